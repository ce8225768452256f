"""What `systemctl show` says of a service, turned into the verbs that leave it enabled and running."""

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._systemd import units as systemd_unit


def test_show_output_is_read_as_key_value_lines():
    text = "LoadState=loaded\nUnitFileState=enabled\nActiveState=active\nDescription=A=B\n"
    assert systemd_unit.parse_show(text) == {
        "LoadState": "loaded", "UnitFileState": "enabled", "ActiveState": "active", "Description": "A=B"}


# systemd: verb_is_enabled() counts enabled, enabled-runtime, static, alias, indirect and generated as enabled;
# install_info_may_process() refuses to enable generated and transient units.
@pytest.mark.parametrize("file_state, enable", [
    ("enabled", False), ("enabled-runtime", False), ("static", False), ("alias", False), ("indirect", False),
    ("generated", False), ("transient", False), ("", False),
    ("disabled", True), ("linked", True), ("linked-runtime", True),
])
def test_enable_only_where_it_makes_the_links_is_enabled_looks_for(file_state, enable):
    actions, problem = systemd_unit.start_actions(
        "ollama.service", {"LoadState": "loaded", "UnitFileState": file_state, "ActiveState": "active"})
    assert problem is None and ("enable" in actions) is enable


@pytest.mark.parametrize("active_state, start", [
    ("active", False), ("reloading", False), ("activating", False), ("refreshing", False),
    ("inactive", True), ("failed", True), ("deactivating", True), ("maintenance", True),
])
def test_start_only_where_the_service_is_not_running_or_on_its_way(active_state, start):
    actions, problem = systemd_unit.start_actions(
        "ollama.service", {"LoadState": "loaded", "UnitFileState": "enabled", "ActiveState": active_state})
    assert problem is None and actions == (["start"] if start else [])


def test_enable_comes_before_start():
    assert systemd_unit.start_actions("x.service", {"LoadState": "loaded", "UnitFileState": "disabled",
                                                    "ActiveState": "inactive"}) == (["enable", "start"], None)


@pytest.mark.parametrize("properties, words", [
    ({"LoadState": "not-found", "UnitFileState": "", "ActiveState": "inactive"}, "not installed"),
    ({"LoadState": "masked", "UnitFileState": "masked", "ActiveState": "inactive"}, "is masked"),
    ({"LoadState": "loaded", "UnitFileState": "masked-runtime", "ActiveState": "inactive"}, "is masked"),
    ({"LoadState": "bad-setting", "UnitFileState": "bad", "ActiveState": "inactive"}, "cannot read the unit file"),
])
def test_a_unit_that_cannot_run_is_a_problem_not_a_verb(properties, words):
    actions, problem = systemd_unit.start_actions("ollama.service", properties)
    assert actions == [] and words in problem and "ollama.service" in problem
