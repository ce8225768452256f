"""The verbs systemd_service plans from what `systemctl show` said, and where a service manager is asked."""

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._systemd import service as systemd_service
from ansible_collections.inferops.amd.plugins.module_utils._systemd.service import ServiceError, plan


def props(active="inactive", file_state="disabled", load="loaded"):
    return {"LoadState": load, "ActiveState": active, "UnitFileState": file_state}


@pytest.mark.parametrize("state, active, expected", [
    ("started", "inactive", ["start"]), ("started", "failed", ["start"]), ("started", "active", []),
    ("started", "activating", []),
    ("stopped", "active", ["stop"]), ("stopped", "reloading", ["stop"]), ("stopped", "inactive", []),
    ("stopped", "failed", []),
    ("restarted", "active", ["restart"]), ("restarted", "inactive", ["restart"]),
    ("reloaded", "active", ["reload"]), ("reloaded", "inactive", ["start"]),
    (None, "active", []), (None, "inactive", []),
])
def test_state_verbs(state, active, expected):
    assert [action[0] for action in plan("a.service", props(active=active), state=state)] == expected


@pytest.mark.parametrize("enabled, file_state, expected", [
    (True, "disabled", ["enable"]), (True, "linked", ["enable"]), (True, "linked-runtime", ["enable"]),
    (True, "enabled", []), (True, "static", []), (True, "indirect", []), (True, "generated", []),
    (False, "enabled", ["disable"]), (False, "enabled-runtime", ["disable"]), (False, "disabled", []),
    (False, "static", []), (False, "masked", []),
    (None, "disabled", []), (None, "enabled", []),
])
def test_enable_verbs(enabled, file_state, expected):
    assert [action[0] for action in plan("a.service", props(file_state=file_state), enabled=enabled)] == expected


def test_enable_or_disable_comes_before_the_state_and_names_the_unit():
    expected = [["enable", "a.service"], ["start", "a.service"]]
    assert plan("a.service", props(), state="started", enabled=True) == expected


@pytest.mark.parametrize("properties, words", [
    (props(load="not-found", file_state=""), "a.service is not installed"),
    (props(load="masked", file_state="masked"), "a.service is masked"),
    (props(file_state="masked-runtime"), "a.service is masked"),
    (props(load="bad-setting", file_state="bad"), "systemd cannot load a.service"),
])
@pytest.mark.parametrize("ask", [{"state": "started"}, {"state": "restarted"}, {"state": "reloaded"},
                                 {"enabled": True}])
def test_a_unit_that_cannot_run_is_refused_when_asked_to_run_or_be_enabled(properties, words, ask):
    with pytest.raises(ServiceError, match=words):
        plan("a.service", properties, **ask)


def test_in_check_mode_a_unit_not_installed_yet_is_planned_as_disabled_and_stopped():
    missing = props(load="not-found", file_state="")
    assert plan("a.service", missing, state="started", enabled=True, check_mode=True) == [
        ["enable", "a.service"], ["start", "a.service"]]
    with pytest.raises(ServiceError, match="a.service is not installed"):
        plan("a.service", missing, state="started", enabled=True)


def test_a_running_unit_whose_file_is_gone_can_still_be_stopped():
    assert plan("a.service", props(active="active", load="not-found", file_state=""), state="stopped",
                enabled=False) == [["stop", "a.service"]]


def test_an_unknown_state_names_the_value_and_the_choices():
    with pytest.raises(ServiceError, match="state 'running' is not one of started, stopped, restarted, reloaded"):
        plan("a.service", props(), state="running")


@pytest.mark.parametrize("actions, expected", [
    ([], (False, False)), ([["enable", "a"], ["start", "a"]], (True, True)), ([["restart", "a"]], (True, False)),
])
def test_check_mode_prediction(actions, expected):
    assert systemd_service.predicted(props(), actions) == expected


@pytest.mark.parametrize("name, unit", [("ollama", "ollama.service"), ("llama-server.service", "llama-server.service"),
                                        ("getty@tty1", "getty@tty1.service"), ("multi-user.target",
                                                                               "multi-user.target")])
def test_a_name_without_suffix_is_a_service(name, unit):
    assert systemd_service.check_name(name) == unit


class FakeRoot:
    def __init__(self, live, may_run):
        self.is_live, self.may_run_tree_code, self.root = live, may_run, "/" if live else "/srv/tree"


class FakeRunner:
    def __init__(self, root, tool):
        self.root, self.tool = root, tool

    def find(self, name):
        return self.tool


def test_a_live_host_without_systemctl_is_an_error_not_a_tree():
    root = FakeRoot(live=True, may_run=True)
    with pytest.raises(ServiceError, match="systemctl is not installed on this host"):
        systemd_service.service_manager(root, FakeRunner(root, None))


def test_a_tree_runs_its_systemctl_only_with_the_switch():
    tree = FakeRoot(live=False, may_run=False)
    assert systemd_service.service_manager(tree, FakeRunner(tree, "/srv/tree/usr/bin/systemctl"))[0] is None
    simulated = FakeRoot(live=False, may_run=True)
    assert systemd_service.service_manager(simulated, FakeRunner(simulated, "/srv/tree/usr/bin/systemctl")) == (
        "/srv/tree/usr/bin/systemctl", None)
    live = FakeRoot(live=True, may_run=True)
    found = systemd_service.service_manager(live, FakeRunner(live, "/usr/bin/systemctl"))
    assert found == ("/usr/bin/systemctl", None)
