"""tuned_state: the selected profile and whether the daemon runs, as tuned-adm reads them without D-Bus."""

import os

from ansible_collections.inferops.amd.plugins.module_utils._host import tuned as tuned_state
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot


def tree(tmp_path, profile=None, pid=None):
    if profile is not None:
        os.makedirs(str(tmp_path / "etc" / "tuned"))
        (tmp_path / "etc" / "tuned" / "active_profile").write_text(profile)
    if pid is not None:
        os.makedirs(str(tmp_path / "run" / "tuned"))
        (tmp_path / "run" / "tuned" / "tuned.pid").write_text(pid)
    return SysRoot(str(tmp_path))


def test_a_profile_with_its_daemon_pid_file_is_running(tmp_path):
    assert tuned_state.read(tree(tmp_path, "balanced\n", "812")) == {"profile": "balanced", "running": True}


def test_a_profile_without_a_pid_file_is_only_a_preset(tmp_path):
    assert tuned_state.read(tree(tmp_path, "throughput-performance\n")) == {
        "profile": "throughput-performance", "running": False}


def test_an_empty_or_missing_profile_file_is_no_profile(tmp_path):
    assert tuned_state.read(tree(tmp_path, "\n", "812"))["profile"] is None
    os.makedirs(str(tmp_path / "elsewhere"))
    assert tuned_state.read(SysRoot(str(tmp_path / "elsewhere"))) == {"profile": None, "running": False}


def test_on_the_live_system_the_pid_must_name_a_process():
    # os.kill(pid, 0): this process exists; a pid above pid_max (4194304 at most) cannot;
    # EPERM (a process of another user) counts as running, as in tuned-adm.
    assert tuned_state._process_exists(str(os.getpid()))
    assert not tuned_state._process_exists("999999999")
    assert not tuned_state._process_exists("not a pid")


def test_a_switch_is_needed_for_another_profile_or_a_daemon_that_does_not_run():
    assert not tuned_state.needs_switch({"profile": "balanced", "running": True}, "balanced")
    assert tuned_state.needs_switch({"profile": "balanced", "running": False}, "balanced"), "a preset is not in effect"
    assert tuned_state.needs_switch({"profile": "powersave", "running": True}, "balanced")
    assert tuned_state.needs_switch({"profile": None, "running": True}, "balanced")


def test_states_are_described_as_tuned_adm_active_says_them():
    assert tuned_state.describe({"profile": "balanced", "running": True}) == "balanced"
    assert tuned_state.describe({"profile": "balanced", "running": False}) == "balanced (preset, tuned not running)"
    assert tuned_state.describe({"profile": None, "running": False}) == "none"
