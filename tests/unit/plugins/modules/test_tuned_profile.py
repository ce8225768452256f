"""tuned_profile on a simulated host (its stand-in tuned-adm, tests/simulation/tools/tuned-adm) and on a plain tree.

The recorded strix_halo_128g host has tuned-adm and the preset `balanced` without a running daemon (its tree has
no /run/tuned/tuned.pid). What the module ran is read from the tree's tools log, which the stand-in appends to.
"""

import json
import os

import pytest

from tests.unit.module_runner import run_module

ACTIVE_PROFILE = "etc/tuned/active_profile"
PID_FILE = "run/tuned/tuned.pid"


@pytest.fixture
def host(scratch_host):
    return scratch_host("strix_halo_128g")


def read(root, path):
    with open(os.path.join(root, path)) as handle:
        return handle.read()


def start_daemon(root):
    os.makedirs(os.path.join(root, "run/tuned"), exist_ok=True)
    with open(os.path.join(root, PID_FILE), "w") as handle:
        handle.write("812")


def tuned_adm_calls(root):
    path = os.path.join(root, "var/log/inferops-sim/tools.log")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        entries = [json.loads(line) for line in handle if line.strip()]
    return [entry["argv"] for entry in entries if entry["tool"] == "tuned-adm"]


def tuned(root, profile="accelerator-performance", check_mode=False, diff=False, expect_failure=False):
    return run_module("tuned_profile", dict(sysroot=root, profile=profile), check_mode=check_mode, diff=diff,
                      expect_failure=expect_failure)


def test_a_preset_of_another_profile_is_switched_and_a_second_run_changes_nothing(host):
    first = tuned(host, diff=True)
    assert first["changed"]
    assert (first["profile"], first["before"], first["running_before"]) == ("accelerator-performance", "balanced", False)
    assert first["msg"] == ("tuned profile accelerator-performance selected "
                            "(was balanced (preset, tuned not running))")
    assert first["diff"]["before"] == "balanced (preset, tuned not running)\n"
    assert first["diff"]["after"] == "accelerator-performance\n"
    assert tuned_adm_calls(host) == [["profile", "accelerator-performance"]]
    assert read(host, ACTIVE_PROFILE) == "accelerator-performance\n"
    assert os.path.isfile(os.path.join(host, PID_FILE)), "tuned-adm profile starts the daemon"

    second = tuned(host)
    assert not second["changed"] and second["msg"] == "tuned runs profile accelerator-performance already"
    assert (second["before"], second["running_before"]) == ("accelerator-performance", True)
    assert len(tuned_adm_calls(host)) == 1, "a profile tuned runs already is only read"


def test_the_profile_asked_for_as_a_preset_only_starts_the_daemon(host):
    with open(os.path.join(host, ACTIVE_PROFILE), "w") as handle:
        handle.write("accelerator-performance\n")
    result = tuned(host)
    assert result["changed"] and result["before"] == "accelerator-performance" and not result["running_before"]
    assert tuned_adm_calls(host) == [["profile", "accelerator-performance"]]
    assert os.path.isfile(os.path.join(host, PID_FILE))


def test_a_running_daemon_without_a_profile_gets_one(host):
    os.remove(os.path.join(host, ACTIVE_PROFILE))
    start_daemon(host)
    result = tuned(host)
    assert result["changed"] and result["before"] is None and result["running_before"]
    assert result["msg"] == "tuned profile accelerator-performance selected (was none)"
    assert read(host, ACTIVE_PROFILE) == "accelerator-performance\n"


def test_check_mode_predicts_and_runs_nothing(host):
    result = tuned(host, check_mode=True, diff=True)
    assert result["changed"] and result["before"] == "balanced"
    assert result["msg"].endswith("would be selected (check mode) (was balanced (preset, tuned not running))")
    assert result["diff"]["after"] == "accelerator-performance\n"
    assert tuned_adm_calls(host) == []
    assert read(host, ACTIVE_PROFILE) == "balanced\n"
    assert not os.path.exists(os.path.join(host, PID_FILE))


def test_check_mode_of_a_profile_in_effect_is_unchanged_with_an_equal_diff(host):
    with open(os.path.join(host, ACTIVE_PROFILE), "w") as handle:
        handle.write("balanced\n")
    start_daemon(host)
    result = tuned(host, profile="balanced", check_mode=True, diff=True)
    assert not result["changed"]
    assert result["diff"]["before"] == result["diff"]["after"] == "balanced\n"


def test_a_profile_tuned_does_not_have_fails_with_tuned_adm_s_message(host):
    result = tuned(host, profile="accelerator-performnce", expect_failure=True)
    assert result["changed"] is False
    assert "tuned profile accelerator-performnce not selected" in result["msg"]
    assert "Requested profile 'accelerator-performnce' doesn't exist." in result["msg"]
    assert read(host, ACTIVE_PROFILE) == "balanced\n"


@pytest.mark.parametrize("profile", ["", "-h", "balanced powersave", ".hidden", "a/b", "balanced\n", "x" * 256])
def test_a_value_that_is_no_profile_name_is_refused_before_anything_runs(host, profile):
    result = tuned(host, profile=profile, expect_failure=True)
    assert "is no tuned profile name" in result["msg"] and repr(profile) in result["msg"]
    assert "nothing was run" in result["msg"]
    assert tuned_adm_calls(host) == []


def test_a_root_without_tuned_adm_fails_saying_so(scratch_host):
    root = scratch_host("no_amd_gpu")
    for check_mode in (False, True):
        result = tuned(root, check_mode=check_mode, expect_failure=True)
        assert result["msg"].startswith("tuned is not installed on sysroot %s: no tuned-adm in /usr/local/sbin" % root)
        assert "install tuned to select profile accelerator-performance" in result["msg"]


def test_a_plain_tree_is_read_in_check_mode_and_its_tuned_adm_never_runs(host, monkeypatch):
    monkeypatch.delenv("INFEROPS_SIMULATION")
    predicted = tuned(host, check_mode=True)
    assert predicted["changed"] and predicted["before"] == "balanced"

    refused = tuned(host, expect_failure=True)
    assert refused["changed"] is False
    assert refused["msg"].startswith("tuned profile accelerator-performance not selected: not running ")
    assert "is a tree, and a tree is data" in refused["msg"] and "INFEROPS_SIMULATION=1" in refused["msg"]
    assert tuned_adm_calls(host) == []
    assert read(host, ACTIVE_PROFILE) == "balanced\n"
    assert not os.path.exists(os.path.join(host, PID_FILE))


def test_a_plain_tree_whose_profile_is_in_effect_needs_nothing_to_run(host, monkeypatch):
    monkeypatch.delenv("INFEROPS_SIMULATION")
    with open(os.path.join(host, ACTIVE_PROFILE), "w") as handle:
        handle.write("accelerator-performance\n")
    start_daemon(host)
    result = tuned(host)
    assert not result["changed"] and tuned_adm_calls(host) == []
