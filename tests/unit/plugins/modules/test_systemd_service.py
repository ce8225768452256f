"""systemd_service on a simulated host (its stand-in systemctl) and on a plain tree.

What the module ran is read from the tree's tools log, which the stand-in systemctl appends to on every call.
"""

import json
import os

import pytest

from tests.unit.module_runner import run_module

UNIT = "etc/systemd/system/demo.service"
RELOAD_SCRIPT = "usr/local/bin/demo-reload"


def write(root, path, text, mode=0o644):
    target = os.path.join(root, path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w") as handle:
        handle.write(text)
    os.chmod(target, mode)


def unit_text(reload_command=None):
    # No ExecStart=: the stand-in keeps such a unit active without a process to clean up.
    service = "[Service]\nType=simple\n"
    if reload_command:
        service += "ExecReload=%s\n" % reload_command
    return "[Unit]\nDescription=demo\n\n" + service + "\n[Install]\nWantedBy=multi-user.target\n"


@pytest.fixture
def host(scratch_host):
    root = scratch_host("no_amd_gpu")
    write(root, UNIT, unit_text())
    return root


def systemctl_calls(root):
    """The argv of every stand-in systemctl call so far, in order."""
    path = os.path.join(root, "var/log/inferops-sim/tools.log")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        entries = [json.loads(line) for line in handle if line.strip()]
    return [entry["argv"] for entry in entries if entry["tool"] == "systemctl"]


def verbs(root):
    return [argv[0] for argv in systemctl_calls(root)]


def service(root, check_mode=False, expect_failure=False, **args):
    args.setdefault("name", "demo")
    return run_module("systemd_service", dict(sysroot=root, **args), check_mode=check_mode,
                      expect_failure=expect_failure)


def wants_link(root):
    return os.path.lexists(os.path.join(root, "etc/systemd/system/multi-user.target.wants/demo.service"))


def test_started_and_enabled_enables_then_starts_and_a_second_run_changes_nothing(host):
    first = service(host, state="started", enabled=True)
    assert first["changed"] and first["name"] == "demo.service"
    assert first["actions"] == ["enable demo.service", "start demo.service"]
    assert (first["active"], first["enabled"]) == (True, True)
    assert first["status"]["ActiveState"] == "active" and first["status"]["UnitFileState"] == "enabled"
    assert wants_link(host)
    assert verbs(host) == ["show", "enable", "start", "show"]

    second = service(host, state="started", enabled=True)
    assert not second["changed"] and second["actions"] == []
    assert (second["active"], second["enabled"]) == (True, True)
    assert verbs(host)[4:] == ["show"], "a unit already as asked is only read"


def test_check_mode_predicts_and_runs_only_show(host):
    result = service(host, check_mode=True, state="started", enabled=True, daemon_reload=True)
    assert result["changed"] and result["actions"] == ["enable demo.service", "start demo.service"]
    assert (result["active"], result["enabled"], result["daemon_reloaded"]) == (True, True, True)
    assert result["status"]["ActiveState"] == "inactive", "status is what systemctl show said before"
    assert verbs(host) == ["show"]
    assert not wants_link(host)


def test_stopped_and_disabled(host):
    service(host, state="started", enabled=True)
    result = service(host, state="stopped", enabled=False)
    assert result["changed"] and result["actions"] == ["disable demo.service", "stop demo.service"]
    assert (result["active"], result["enabled"]) == (False, False)
    assert not wants_link(host)
    assert not service(host, state="stopped", enabled=False)["changed"]


def test_restarted_always_restarts(host):
    service(host, state="started")
    for run in range(2):
        result = service(host, state="restarted")
        assert result["changed"] and result["actions"] == ["restart demo.service"] and result["active"], run
    assert verbs(host).count("restart") == 2


def test_reloaded_reloads_a_running_unit_and_starts_one_that_is_not(host):
    write(host, RELOAD_SCRIPT, "#!/bin/sh\nexit 0\n", mode=0o755)
    write(host, UNIT, unit_text("/" + RELOAD_SCRIPT))
    first = service(host, state="reloaded")
    assert first["actions"] == ["start demo.service"] and first["active"]
    second = service(host, state="reloaded")
    assert second["changed"] and second["actions"] == ["reload demo.service"] and second["active"]


def test_reloading_a_unit_without_exec_reload_fails_with_systemctls_words(host):
    service(host, state="started")
    result = service(host, state="reloaded", expect_failure=True)
    assert "reload" in result["msg"] and "not applicable" in result["msg"]
    assert not result["changed"]


def test_daemon_reload_runs_first_and_is_no_change_of_its_own(host):
    result = service(host, daemon_reload=True, state="started")
    assert result["daemon_reloaded"] and verbs(host)[:2] == ["daemon-reload", "show"]
    again = service(host, daemon_reload=True, state="started")
    assert not again["changed"] and again["daemon_reloaded"]
    assert verbs(host).count("daemon-reload") == 2


def test_name_alone_reports_the_state(host):
    result = service(host)
    assert not result["changed"] and result["actions"] == []
    assert (result["active"], result["enabled"]) == (False, False)
    assert result["status"]["LoadState"] == "loaded"


def test_a_unit_that_is_not_installed_cannot_start_but_is_already_stopped(host):
    failed = service(host, name="nosuch", state="started", expect_failure=True)
    assert "nosuch.service is not installed" in failed["msg"]
    assert "start" not in verbs(host)
    stopped = service(host, name="nosuch", state="stopped", enabled=False)
    assert not stopped["changed"] and stopped["active"] is False


def test_check_mode_plans_a_unit_an_earlier_task_would_write(host):
    result = service(host, name="later", state="started", enabled=True, check_mode=True)
    assert result["changed"] and result["actions"] == ["enable later.service", "start later.service"]
    assert "not installed yet" in result["msg"] and verbs(host) == ["show"]


def test_a_masked_unit_is_refused_with_the_way_out(host):
    link = os.path.join(host, "etc/systemd/system/masked.service")
    os.symlink("/dev/null", link)
    result = service(host, name="masked.service", enabled=True, expect_failure=True)
    assert "masked.service is masked" in result["msg"] and "systemctl unmask masked.service" in result["msg"]
    assert "enable" not in verbs(host)


@pytest.mark.parametrize("name", ["", "-now", "demo service", "demo;reboot", "../demo", "x" * 256])
def test_a_name_that_is_no_unit_name_is_refused_before_anything_runs(host, name):
    result = service(host, name=name, state="started", expect_failure=True)
    assert "'%s' is not a systemd unit name" % name in result["msg"] and "nothing was run" in result["msg"]
    assert systemctl_calls(host) == []


def test_a_tree_without_the_simulation_switch_has_no_running_services(host, monkeypatch):
    monkeypatch.delenv("INFEROPS_SIMULATION")
    result = service(host, state="started", enabled=True, daemon_reload=True)
    assert not result["changed"] and result["actions"] == [] and not result["daemon_reloaded"]
    assert (result["active"], result["enabled"], result["status"]) == (None, None, {})
    assert "has no running services" in result["msg"] and "INFEROPS_SIMULATION=1" in result["msg"]
    assert systemctl_calls(host) == [] and not wants_link(host)


def test_a_tree_without_systemctl_has_no_running_services(host):
    os.unlink(os.path.join(host, "usr/bin/systemctl"))
    result = service(host, state="started", enabled=True)
    assert not result["changed"] and result["active"] is None
    assert "has no running services" in result["msg"] and "no systemctl" in result["msg"]
    assert not wants_link(host)


def test_the_stand_in_runs_in_the_c_locale(host):
    """The module runs systemctl with LC_ALL=C whatever the controller's locale (the command runner's rule)."""
    probe = os.path.join(host, "usr/bin/systemctl")
    real = probe + ".real"
    os.rename(probe, real)
    write(host, "usr/bin/systemctl", "#!/bin/sh\necho \"$LC_ALL $LANG\" >> \"%s/locale.log\"\nexec %s \"$@\"\n"
          % (host, real), mode=0o755)
    service(host, state="started")
    with open(os.path.join(host, "locale.log")) as handle:
        assert set(handle.read().split()) == {"C"}
