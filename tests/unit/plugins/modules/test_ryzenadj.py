"""inferops.amd.ryzenadj against scratch copies of the recorded hosts and the simulated ryzenadj."""

import os
import subprocess

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._ryzenadj import info as ryzenadj_info
from tests.simulation import simulated_boot
from tests.unit.host_files import read_or_none as read, tool_log
from tests.unit.module_runner import run_module

UNIT = "etc/systemd/system/inferops-ryzenadj.service"
HP = {"stapm_limit": 85, "fast_limit": 85, "slow_limit": 85, "apu_slow_limit": 85}
WITHIN_CAPS = {"stapm_limit": 65, "fast_limit": 75, "slow_limit": 65, "apu_slow_limit": 65}
SLEEP_LINKS = ["multi-user.target", "suspend.target", "hibernate.target", "hybrid-sleep.target",
               "suspend-then-hibernate.target"]


@pytest.fixture
def laptop(scratch_host):
    return scratch_host("strix_halo_laptop_64g")


def args(host, **extra):
    result = {"sysroot": host}
    result.update(extra)
    return result


def tool_calls(host, tool="ryzenadj"):
    return [entry["argv"] for entry in tool_log(host) if entry["tool"] == tool]


def writes(host):
    return [argv for argv in tool_calls(host) if argv not in (["--info"], ["-i"])]


def limits_now(host):
    proc = subprocess.run([os.path.join(host, "usr/bin/ryzenadj"), "--info"], stdout=subprocess.PIPE,
                          universal_newlines=True, env=dict(os.environ, INFEROPS_SYSROOT=host), check=True)
    info = ryzenadj_info.parse_info(proc.stdout)
    return dict((p, info.value(p)) for p in ("stapm-limit", "fast-limit", "slow-limit", "apu-slow-limit"))


def set_marker(host, **ryzenadj):
    kernel = simulated_boot.load(host)
    kernel.config.setdefault("ryzenadj", {}).update(ryzenadj)
    kernel.save_config()


def enabled_links(host):
    return [t for t in SLEEP_LINKS
            if os.path.islink(os.path.join(host, "etc/systemd/system/%s.wants/inferops-ryzenadj.service" % t))]


def test_sets_the_limits_that_differ_and_reads_them_back(laptop):
    result = run_module("ryzenadj", args(laptop, **WITHIN_CAPS))
    assert result["changed"] is True
    assert writes(laptop) == [["--stapm-limit=65000", "--fast-limit=75000", "--slow-limit=65000",
                               "--apu-slow-limit=65000"]]
    assert limits_now(laptop) == {"stapm-limit": 65.0, "fast-limit": 75.0, "slow-limit": 65.0, "apu-slow-limit": 65.0}
    assert result["limits"]["stapm_limit"] == {"parameter": "stapm-limit", "unit": "W", "requested": 65.0,
                                               "requested_tool_value": 65000, "before": 59.0, "effective": 65.0,
                                               "written": True, "changed": True, "clamped": False}
    assert result["clamped"] == [] and result["unreadable"] == [] and result["table_error"] is None
    assert result["ryzenadj"] == {"family": "Strix Halo", "smu_bios_interface_version": 25,
                                  "version": "v0.17.0", "pm_table_version": "64020c"}


def test_only_differing_limits_are_passed(laptop):
    result = run_module("ryzenadj", args(laptop, stapm_limit=65, slow_limit=70), diff=True)
    assert writes(laptop) == [["--stapm-limit=65000"]]
    assert result["limits"]["slow_limit"]["written"] is False
    assert result["diff"][0]["before"] == "stapm_limit = 59 W\nslow_limit = 70 W\n"
    assert result["diff"][0]["after"] == "stapm_limit = 65 W\nslow_limit = 70 W\n"


def test_second_run_changes_nothing_and_writes_nothing(laptop):
    run_module("ryzenadj", args(laptop, **WITHIN_CAPS))
    ryzenadj_calls, systemctl_calls = len(tool_calls(laptop)), len(tool_calls(laptop, "systemctl"))
    result = run_module("ryzenadj", args(laptop, **WITHIN_CAPS))
    assert result["changed"] is False and result["unit_changed"] is False and result["command"] == []
    assert tool_calls(laptop)[ryzenadj_calls:] == [["--info"]]
    assert len(tool_calls(laptop, "systemctl")) == systemctl_calls


def test_check_mode_only_reads(laptop):
    result = run_module("ryzenadj", args(laptop, **HP), check_mode=True, diff=True)
    assert result["changed"] is True and result["unit_changed"] is True
    assert result["command"][1:] == ["--stapm-limit=85000", "--fast-limit=85000", "--slow-limit=85000",
                                     "--apu-slow-limit=85000"]
    assert result["limits"]["slow_limit"]["effective"] == 85.0  # predicted: check mode cannot know the cap
    assert tool_calls(laptop) == [["--info"]] and tool_calls(laptop, "systemctl") == []
    assert read(laptop, UNIT) is None and enabled_links(laptop) == []
    assert limits_now(laptop)["stapm-limit"] == 59.0
    assert "ExecStart=/usr/bin/ryzenadj --stapm-limit=85000" in result["diff"][1]["after"]


def test_hp_firmware_clamp_is_reported_and_warned(laptop):
    """002_efe874760a0bae42.txt: 85 W asked, STAPM and fast PPT read 81 W, slow and APU PPT stay at 70 W."""
    result = run_module("ryzenadj", args(laptop, **HP))
    assert result["changed"] is True
    assert result["clamped"] == ["stapm_limit", "fast_limit", "slow_limit", "apu_slow_limit"]
    slow = result["limits"]["slow_limit"]
    assert (slow["requested"], slow["before"], slow["effective"], slow["changed"]) == (85.0, 70.0, 70.0, False)
    assert result["limits"]["stapm_limit"]["effective"] == 81.0
    # (The warning text is tested in test_ryzenadj_limits; warnings are not asserted here: once the
    # controller side of ansible is imported in the same process they are collected elsewhere.)
    # The unit asks for what the user asked, not for the cap.
    assert "--slow-limit=85000" in read(laptop, UNIT)


def test_known_firmware_caps_are_recorded_and_not_asked_again(laptop):
    run_module("ryzenadj", args(laptop, **HP))
    assert "# Firmware kept: apu-slow-limit=70000 fast-limit=81000 slow-limit=70000 stapm-limit=81000\n" in read(laptop, UNIT)
    calls = len(tool_calls(laptop))
    result = run_module("ryzenadj", args(laptop, **HP))
    assert result["changed"] is False and result["command"] == []
    assert tool_calls(laptop)[calls:] == [["--info"]]
    assert result["clamped"] == ["stapm_limit", "fast_limit", "slow_limit", "apu_slow_limit"]
    assert result["limits"]["slow_limit"]["written"] is False


def test_a_new_request_asks_again_despite_a_recorded_cap(laptop):
    run_module("ryzenadj", args(laptop, **HP))
    higher_slow_limit = dict(HP)
    higher_slow_limit["slow_limit"] = 90
    result = run_module("ryzenadj", args(laptop, **higher_slow_limit))
    assert writes(laptop)[-1] == ["--slow-limit=90000"]
    assert result["limits"]["slow_limit"]["effective"] == 70.0 and result["changed"] is True  # the unit changed
    assert "--slow-limit=90000" in read(laptop, UNIT)


def test_check_mode_after_reboot_verifies_the_restored_limits(laptop):
    """What playbooks/tasks/verify.yml does: the same task in check mode must report no change."""
    run_module("ryzenadj", args(laptop, **HP))
    simulated_boot.load(laptop).reboot()
    result = run_module("ryzenadj", args(laptop, **HP), check_mode=True)
    assert result["changed"] is False


def test_check_mode_after_reboot_finds_limits_the_unit_did_not_restore(laptop):
    run_module("ryzenadj", args(laptop, **HP))
    for target in SLEEP_LINKS:
        os.unlink(os.path.join(laptop, "etc/systemd/system/%s.wants/inferops-ryzenadj.service" % target))
    simulated_boot.load(laptop).reboot()
    result = run_module("ryzenadj", args(laptop, **HP), check_mode=True)
    assert result["changed"] is True and result["limits"]["stapm_limit"]["before"] == 59.0


def test_allow_clamped_false_fails_naming_the_values(laptop):
    result = run_module("ryzenadj", args(laptop, slow_limit=85, allow_clamped=False), expect_failure=True)
    assert "the firmware clamped slow_limit: requested 85 W, firmware kept 70 W" in result["msg"]
    assert read(laptop, UNIT) is None


def test_smu_access_failure_names_what_is_missing(laptop):
    set_marker(laptop, fail="smu")
    result = run_module("ryzenadj", args(laptop, **HP), expect_failure=True)
    assert result["failure"] == "smu_access"
    assert "Unable to get os_access Obj, check permission" in result["msg"] and "ryzen_smu" in result["msg"]
    assert writes(laptop) == [] and read(laptop, UNIT) is None


def test_unsupported_cpu_is_a_clear_failure(laptop):
    set_marker(laptop, fail="unsupported")
    result = run_module("ryzenadj", args(laptop, **HP), expect_failure=True)
    assert result["failure"] == "unsupported_cpu"
    assert "Fam1ah: unsupported model 112 / Only Ryzen Mobile Series are supported" in result["msg"]


def test_option_the_family_lacks_fails_with_the_tools_words(laptop):
    set_marker(laptop, unsupported_options=["apu-slow-limit"])
    result = run_module("ryzenadj", args(laptop, **WITHIN_CAPS), expect_failure=True)
    assert "set_apu_slow_limit is not supported on this family" in result["msg"]
    assert read(laptop, UNIT) is None
    # ryzenadj set the other limits before it gave up: that is a change.
    assert result["changed"] is True
    assert limits_now(laptop)["stapm-limit"] == 65


def test_only_an_unsupported_option_reports_no_change(laptop):
    set_marker(laptop, unsupported_options=["apu-slow-limit"])
    result = run_module("ryzenadj", args(laptop, apu_slow_limit=65, persist=False), expect_failure=True)
    assert result["changed"] is False


def test_unreadable_table_writes_and_warns(laptop):
    set_marker(laptop, fail="table")
    result = run_module("ryzenadj", args(laptop, stapm_limit=65))
    assert result["changed"] is True and writes(laptop) == [["--stapm-limit=65000"]]
    assert result["limits"]["stapm_limit"]["effective"] is None
    assert result["unreadable"] == ["stapm_limit"]
    assert "Unable to init power metric table: -5" in result["table_error"]


def test_missing_binary_on_the_desktop_strix_halo(scratch_host):
    host = scratch_host("strix_halo_128g")
    result = run_module("ryzenadj", args(host, **HP), expect_failure=True)
    assert result["msg"].startswith("ryzenadj not found in %s (looked in /usr/local/sbin, /usr/local/bin" % host)


def test_milliwatts_are_refused_before_anything_runs(laptop):
    result = run_module("ryzenadj", args(laptop, stapm_limit=85000), expect_failure=True)
    assert "looks like milliwatts" in result["msg"] and tool_calls(laptop) == []


def test_persist_true_needs_a_limit(laptop):
    result = run_module("ryzenadj", args(laptop), expect_failure=True)
    assert result["msg"].startswith("nothing to set")


def test_unit_is_written_enabled_and_reloaded(laptop):
    result = run_module("ryzenadj", args(laptop, **WITHIN_CAPS))
    assert result["unit_changed"] is True and result["daemon_reload_performed"] is True
    assert read(laptop, UNIT).splitlines()[-5:] == [
        "Type=oneshot",
        "ExecStart=/usr/bin/ryzenadj --stapm-limit=65000 --fast-limit=75000 --slow-limit=65000 --apu-slow-limit=65000",
        "", "[Install]",
        "WantedBy=multi-user.target suspend.target hibernate.target hybrid-sleep.target suspend-then-hibernate.target"]
    assert enabled_links(laptop) == SLEEP_LINKS
    assert tool_calls(laptop, "systemctl") == [["daemon-reload"], ["enable", "inferops-ryzenadj.service"]]


def test_changed_limits_rewrite_the_unit(laptop):
    run_module("ryzenadj", args(laptop, **WITHIN_CAPS))
    result = run_module("ryzenadj", args(laptop, stapm_limit=60))
    assert result["unit_changed"] is True
    assert "ExecStart=/usr/bin/ryzenadj --stapm-limit=60000\n" in read(laptop, UNIT)
    assert tool_calls(laptop, "systemctl")[-1] == ["daemon-reload"]  # already enabled: links unchanged


def test_persist_false_disables_and_removes_the_unit(laptop):
    run_module("ryzenadj", args(laptop, **WITHIN_CAPS))
    result = run_module("ryzenadj", args(laptop, persist=False))
    assert result["changed"] is True and result["unit_present"] is False
    assert read(laptop, UNIT) is None and enabled_links(laptop) == []
    assert tool_calls(laptop, "systemctl")[-2:] == [["disable", "inferops-ryzenadj.service"], ["daemon-reload"]]
    again = run_module("ryzenadj", args(laptop, persist=False))
    assert again["changed"] is False


def test_persist_false_still_sets_the_limits(laptop):
    result = run_module("ryzenadj", args(laptop, stapm_limit=65, persist=False))
    assert result["changed"] is True and result["unit_changed"] is False
    assert limits_now(laptop)["stapm-limit"] == 65.0 and read(laptop, UNIT) is None


def test_without_persistence_reboot_and_suspend_lose_the_limits(laptop):
    run_module("ryzenadj", args(laptop, stapm_limit=65, persist=False))
    simulated_boot.load(laptop).suspend_resume()
    assert limits_now(laptop)["stapm-limit"] == 59.0
    run_module("ryzenadj", args(laptop, stapm_limit=65, persist=False))
    simulated_boot.load(laptop).reboot()
    assert limits_now(laptop)["stapm-limit"] == 59.0


def test_unit_restores_the_limits_after_reboot_and_after_resume(laptop):
    run_module("ryzenadj", args(laptop, **HP))
    expected = {"stapm-limit": 81.0, "fast-limit": 81.0, "slow-limit": 70.0, "apu-slow-limit": 70.0}
    assert limits_now(laptop) == expected
    simulated_boot.load(laptop).reboot()
    assert limits_now(laptop) == expected
    for action in ("suspend", "hibernate"):
        simulated_boot.load(laptop).suspend_resume(action)
        assert limits_now(laptop) == expected
    assert run_module("ryzenadj", args(laptop, **HP))["changed"] is False


def test_missing_systemctl_fails_before_any_write(laptop):
    os.unlink(os.path.join(laptop, "usr/bin/systemctl"))
    result = run_module("ryzenadj", args(laptop, **WITHIN_CAPS), expect_failure=True)
    assert result["msg"].startswith("systemctl not found in %s: cannot enable the unit" % laptop)
    assert writes(laptop) == []


def test_links_left_by_a_removed_unit_file_are_cleaned_up(laptop):
    run_module("ryzenadj", args(laptop, **WITHIN_CAPS))
    os.unlink(os.path.join(laptop, UNIT))
    result = run_module("ryzenadj", args(laptop, persist=False))
    assert result["changed"] is True and enabled_links(laptop) == []
    assert ["disable", "inferops-ryzenadj.service"] not in tool_calls(laptop, "systemctl")


def test_a_table_failure_exits_non_zero_and_is_still_read(laptop):
    # main.c keeps init_table()'s error as the exit status; the simulated tool does the same.
    set_marker(laptop, fail="table")
    proc = subprocess.run([os.path.join(laptop, "usr/bin/ryzenadj"), "--info"], stdout=subprocess.PIPE,
                          universal_newlines=True, check=False, env=dict(os.environ, INFEROPS_SYSROOT=laptop))
    assert proc.returncode != 0 and "Unable to init power metric table" in proc.stdout
    result = run_module("ryzenadj", args(laptop, stapm_limit=65))
    assert result["changed"] is True and result["ryzenadj"]["family"] == "Strix Halo"


def test_release_0_19_spelling_works_the_same(laptop):
    set_marker(laptop, version="v0.19.0")
    proc = subprocess.run([os.path.join(laptop, "usr/bin/ryzenadj"), "--stapm-limit=65000"], stdout=subprocess.PIPE,
                          universal_newlines=True, check=True, env=dict(os.environ, INFEROPS_SYSROOT=laptop))
    assert "Successfully set stapm_limit to 65000" in proc.stdout
    assert ryzenadj_info.set_confirmations(proc.stdout) == {"stapm_limit": 65000}
    result = run_module("ryzenadj", args(laptop, stapm_limit=66))
    assert result["changed"] is True and result["limits"]["stapm_limit"]["effective"] == 66
