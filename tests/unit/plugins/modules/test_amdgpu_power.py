"""inferops.amd.amdgpu_power against scratch copies of the recorded hosts."""

import os
import shutil

import pytest

from tests.simulation import simulated_boot
from tests.simulation.scratch_host import install_tool
from tests.unit.host_files import expected_file, read_or_none as read, refuse
from tests.unit.module_runner import run_module

R9700 = "sys/bus/pci/devices/0000:03:00.0"
RULES = "etc/udev/rules.d/90-inferops-amdgpu-power.rules"

EXPECTED_RULES = expected_file("amdgpu-power-r9700_desktop.rules")


def level(host):
    return read(host, R9700 + "/power_dpm_force_performance_level")


def active_profile_line(host):
    return [line for line in read(host, R9700 + "/pp_power_profile_mode").splitlines() if "*" in line]


def cap(host):
    return read(host, R9700 + "/hwmon/hwmon2/power1_cap")


@pytest.fixture
def r9700(scratch_host):
    return scratch_host("r9700_desktop")


def compute_250(host, **extra):
    args = {"sysroot": host, "power_profile": "COMPUTE", "power_cap_watts": 250}
    args.update(extra)
    return args


def test_sets_level_profile_and_cap_and_reads_them_back(r9700):
    result = run_module("amdgpu_power", compute_250(r9700))
    assert result["changed"] is True
    (card,) = result["cards"]
    assert card["pci_address"] == "0000:03:00.0" and card["card"] == "card1" and card["changed"] is True
    assert card["before"] == {"performance_level": "auto", "power_profile": "3D_FULL_SCREEN", "power_cap_watts": 300}
    assert card["after"] == {"performance_level": "manual", "power_profile": "COMPUTE", "power_cap_watts": 250}
    assert [w["setting"] for w in card["writes"]] == ["performance_level", "power_profile", "power_cap_watts"]
    assert level(r9700) == "manual\n"
    assert active_profile_line(r9700) == [" 5        COMPUTE*:"]
    assert cap(r9700) == "250000000\n"


def test_second_run_changes_nothing(r9700):
    run_module("amdgpu_power", compute_250(r9700))
    again = run_module("amdgpu_power", compute_250(r9700))
    assert again["changed"] is False
    assert again["rule_file_changed"] is False
    assert again["cards"][0]["writes"] == []


def test_persistence_artefact_exact_content(r9700):
    result = run_module("amdgpu_power", compute_250(r9700))
    assert result["rule_file"] == "/etc/udev/rules.d/90-inferops-amdgpu-power.rules"
    assert result["rule_file_changed"] is True and result["rule_file_present"] is True
    assert read(r9700, RULES) == EXPECTED_RULES
    assert oct(os.stat(os.path.join(r9700, RULES)).st_mode & 0o777) == "0o644"


def test_simulated_reboot_brings_the_values_back_through_the_rule(r9700):
    run_module("amdgpu_power", compute_250(r9700))
    simulated_boot.load(r9700).reboot()
    assert level(r9700) == "manual\n"
    assert active_profile_line(r9700) == [" 5        COMPUTE*:"]
    assert cap(r9700) == "250000000\n"
    assert run_module("amdgpu_power", compute_250(r9700))["changed"] is False


def test_without_persistence_a_reboot_restores_the_defaults(r9700):
    result = run_module("amdgpu_power", compute_250(r9700, persist=False))
    assert result["changed"] is True and result["rule_file_present"] is False
    assert read(r9700, RULES) is None
    simulated_boot.load(r9700).reboot()
    assert level(r9700) == "auto\n"
    assert active_profile_line(r9700) == [" 1 3D_FULL_SCREEN*:"]  # the 6.12 boot default
    assert cap(r9700) == "300000000\n"


def test_remove_persisted_removes_the_rule(r9700):
    run_module("amdgpu_power", compute_250(r9700))
    forget = {"sysroot": r9700, "persist": False, "remove_persisted": True}
    result = run_module("amdgpu_power", forget)
    assert result["changed"] is True and result["rule_file_changed"] is True
    assert result["cards"][0]["changed"] is False
    assert read(r9700, RULES) is None
    assert run_module("amdgpu_power", forget)["changed"] is False


def test_persist_false_keeps_the_settings_persisted_earlier(r9700):
    # The module's own example: pin clocks for a benchmark, for this boot only.
    run_module("amdgpu_power", compute_250(r9700))
    result = run_module("amdgpu_power", {"sysroot": r9700, "cards": ["card1"], "performance_level": "profile_peak",
                                         "persist": False})
    assert result["changed"] is True and result["rule_file_changed"] is False
    assert level(r9700) == "profile_peak\n"
    assert read(r9700, RULES) == expected_file("amdgpu-power-r9700_desktop.rules")


def test_persist_false_without_anything_to_set_or_remove_is_an_error(r9700):
    result = run_module("amdgpu_power", {"sysroot": r9700, "persist": False}, expect_failure=True)
    assert "nothing to set" in result["msg"] and "remove_persisted=true" in result["msg"]


def test_a_refused_write_after_others_reports_the_change_it_made(r9700):
    refuse(r9700, "/sys/devices/*/hwmon/hwmon2/power1_cap", "EPERM")
    result = run_module("amdgpu_power", compute_250(r9700), expect_failure=True)
    assert "already applied: performance_level=manual, power_profile=COMPUTE (index 5)" in result["msg"]
    assert result["changed"] is True
    assert level(r9700) == "manual\n"


def test_a_first_refused_write_reports_no_change(r9700):
    refuse(r9700, "/sys/devices/*/power_dpm_force_performance_level", "EPERM")
    result = run_module("amdgpu_power", {"sysroot": r9700, "performance_level": "high"}, expect_failure=True)
    assert result["changed"] is False


def test_an_unwritable_rules_folder_fails_and_reports_the_settings_it_wrote(r9700):
    folder = os.path.join(r9700, os.path.dirname(RULES))
    os.makedirs(os.path.dirname(folder), exist_ok=True)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    with open(folder, "w") as handle:  # a path that cannot hold files, even for root
        handle.write("")
    result = run_module("amdgpu_power", compute_250(r9700), expect_failure=True)
    assert result["msg"].startswith("cannot write /etc/udev/rules.d/90-inferops-amdgpu-power.rules")
    assert result["changed"] is True
    assert cap(r9700) == "250000000\n"


def test_later_runs_merge_into_the_persisted_settings(r9700):
    run_module("amdgpu_power", {"sysroot": r9700, "power_cap_watts": 250})
    run_module("amdgpu_power", {"sysroot": r9700, "power_profile": "COMPUTE"})
    assert read(r9700, RULES) == EXPECTED_RULES


def test_check_mode_writes_nothing_and_predicts(r9700):
    before = (level(r9700), active_profile_line(r9700), cap(r9700))
    result = run_module("amdgpu_power", compute_250(r9700), check_mode=True)
    assert result["changed"] is True and result["rule_file_changed"] is True
    assert result["cards"][0]["after"] == {"performance_level": "manual", "power_profile": "COMPUTE",
                                           "power_cap_watts": 250}
    assert (level(r9700), active_profile_line(r9700), cap(r9700)) == before
    assert read(r9700, RULES) is None


def test_diff_shows_card_values_and_rule_file(r9700):
    result = run_module("amdgpu_power", compute_250(r9700), diff=True)
    live, rules = result["diff"]
    assert live["before"] == ("[card1 (0000:03:00.0)]\nperformance_level: auto\npower_cap_watts: 300\n"
                              "power_profile: 3D_FULL_SCREEN\n")
    assert live["after"] == ("[card1 (0000:03:00.0)]\nperformance_level: manual\npower_cap_watts: 250\n"
                             "power_profile: COMPUTE\n")
    assert rules == {"before_header": "/etc/udev/rules.d/90-inferops-amdgpu-power.rules (absent)",
                     "after_header": "/etc/udev/rules.d/90-inferops-amdgpu-power.rules",
                     "before": "", "after": EXPECTED_RULES}


def test_unknown_profile_fails_with_allowed_names_and_writes_nothing(r9700):
    result = run_module("amdgpu_power", {"sysroot": r9700, "performance_level": "high", "power_profile": "TURBO"},
                        expect_failure=True)
    assert result["msg"] == ("card card1 (0000:03:00.0): power profile 'TURBO' is not offered by this card; allowed: "
                             "BOOTUP_DEFAULT, 3D_FULL_SCREEN, POWER_SAVING, VIDEO, VR, COMPUTE, WINDOW_3D")
    assert level(r9700) == "auto\n"
    assert read(r9700, RULES) is None


def test_cap_out_of_range_fails_naming_min_and_max_and_writes_nothing(r9700):
    result = run_module("amdgpu_power", {"sysroot": r9700, "power_profile": "COMPUTE", "power_cap_watts": 500},
                        expect_failure=True)
    assert result["msg"] == ("power_cap_watts 500 is outside the range of card card1 (0000:03:00.0): "
                             "min 210 W, max 300 W (power1_cap_min/max)")
    assert level(r9700) == "auto\n" and cap(r9700) == "300000000\n"


def test_bad_performance_level_is_refused_by_the_argument_spec(r9700):
    result = run_module("amdgpu_power", {"sysroot": r9700, "performance_level": "turbo"}, expect_failure=True)
    assert "performance_level" in result["msg"] and "profile_peak" in result["msg"]


def test_nothing_to_set_is_an_error(r9700):
    result = run_module("amdgpu_power", {"sysroot": r9700}, expect_failure=True)
    assert result["msg"].startswith("nothing to set: give performance_level, power_profile or power_cap_watts")


def test_ebusy_on_the_profile_write_names_card_and_profile(r9700):
    refuse(r9700, "/sys/devices/*/pp_power_profile_mode", "EBUSY")
    result = run_module("amdgpu_power", {"sysroot": r9700, "power_profile": "COMPUTE"}, expect_failure=True)
    assert result["msg"].startswith("card card1 (0000:03:00.0): setting power_profile to COMPUTE (index 5) failed "
                                    "with EBUSY: the card is busy (it usually drives a display")
    assert read(r9700, RULES) is None


def test_eperm_is_reported_with_the_value(r9700):
    refuse(r9700, "/sys/devices/*/hwmon/hwmon2/power1_cap", "EPERM")
    result = run_module("amdgpu_power", {"sysroot": r9700, "power_cap_watts": 250}, expect_failure=True)
    assert "setting power_cap_watts to 250 W failed with EPERM: the kernel does not permit this change" in result["msg"]


def test_cards_by_drm_name_and_unknown_card(r9700):
    assert run_module("amdgpu_power", {"sysroot": r9700, "cards": ["card1"], "performance_level": "high"})["changed"]
    failed = run_module("amdgpu_power", {"sysroot": r9700, "cards": ["card7"], "performance_level": "high"},
                        expect_failure=True)
    assert failed["msg"] == "card 'card7' is not an AMD GPU on this host; AMD GPUs: 0000:03:00.0 (card1)"


def test_apu_profile_and_cap_fail_naming_the_missing_file(scratch_host):
    host = scratch_host("strix_halo_128g")
    failed = run_module("amdgpu_power", {"sysroot": host, "power_profile": "COMPUTE"}, expect_failure=True)
    assert "/sys/bus/pci/devices/0000:c5:00.0/pp_power_profile_mode does not exist" in failed["msg"]
    failed = run_module("amdgpu_power", {"sysroot": host, "power_cap_watts": 100}, expect_failure=True)
    assert "has no hwmon power1_cap" in failed["msg"] and "power1_cap does not exist" in failed["msg"]
    assert run_module("amdgpu_power", {"sysroot": host, "performance_level": "high"})["changed"] is True


def test_no_amd_gpu_host_fails_clearly(scratch_host):
    result = run_module("amdgpu_power", {"sysroot": scratch_host("no_amd_gpu"), "performance_level": "high"},
                        expect_failure=True)
    assert result["msg"].startswith("no AMD GPU (PCI vendor 0x1002, display class) found")


def test_udev_reloads_only_when_the_rule_file_changed(r9700):
    install_tool(r9700, "udevadm", "/usr/bin")
    log = "var/log/udevadm.log"
    assert run_module("amdgpu_power", compute_250(r9700), check_mode=True)["udev_reloaded"] is False
    assert read(r9700, log) is None
    assert run_module("amdgpu_power", compute_250(r9700))["udev_reloaded"] is True
    assert read(r9700, log).split()[1:] == ["control", "--reload"]
    assert run_module("amdgpu_power", compute_250(r9700))["udev_reloaded"] is False
    assert len(read(r9700, log).splitlines()) == 1


def test_every_recorded_host_succeeds_or_fails_clearly(any_host):
    profile, host = any_host
    result = run_module("amdgpu_power", {"sysroot": host, "performance_level": "high", "power_profile": "COMPUTE"},
                        check_mode=True, expect_failure=profile == "no_amd_gpu" or profile.startswith("strix_halo")
                        or profile == "igpu_dgpu_desktop")
    if profile == "no_amd_gpu":
        assert result["msg"].startswith("no AMD GPU")
    elif profile.startswith("strix_halo") or profile == "igpu_dgpu_desktop":
        # The APU (Strix Halo, or the mixed host's Granite Ridge iGPU) offers no profiles.
        assert "pp_power_profile_mode does not exist" in result["msg"]
    else:
        assert [card["after"]["power_profile"] for card in result["cards"]] == ["COMPUTE"]
