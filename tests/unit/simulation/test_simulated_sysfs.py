"""The simulated sysfs behaves like the kernel for every attribute the collection writes (aspm.c, amdgpu_pm.c).

The writes go through the collection's SysRoot, which hands them to the scratch tree's attribute
writer (tests/simulation/tools/sysfs-write, running tests/simulation/sysfs.py): the seam is exercised
as the modules use it.
"""

import errno
import json
import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import AttributeWriteError, SysRoot
from tests.simulation import simulated_boot, sysfs

POLICY = "/sys/module/pcie_aspm/parameters/policy"
R9700 = "/sys/bus/pci/devices/0000:03:00.0"


def read(root, path):
    with open(os.path.join(root, path.lstrip("/"))) as handle:
        return handle.read()


def test_inert_on_a_real_root_and_without_marker(tmp_path):
    assert sysfs.load("/") is None
    assert sysfs.load(str(tmp_path)) is None
    assert simulated_boot.load("/") is None
    with pytest.raises(SystemExit, match="no simulation marker"):
        sysfs.write_status(str(tmp_path), POLICY, "performance")


def test_policy_write_moves_the_brackets(scratch_host):
    root = scratch_host("r9700_desktop")
    SysRoot(root).write_attribute(POLICY, "performance")
    assert read(root, POLICY) == "default [performance] powersave powersupersave \n"


def test_unknown_policy_word_is_einval_and_leaves_the_file(scratch_host):
    root = scratch_host("r9700_desktop")
    with pytest.raises(AttributeWriteError) as info:
        SysRoot(root).write_attribute(POLICY, "turbo")
    assert info.value.errno == errno.EINVAL
    assert read(root, POLICY) == "[default] performance powersave powersupersave \n"


def test_firmware_locked_host_refuses_with_eperm(scratch_host):
    root = scratch_host("aspm_locked")
    with pytest.raises(AttributeWriteError) as info:
        SysRoot(root).write_attribute(POLICY, "performance")
    assert info.value.errno == errno.EPERM
    assert "forbids" in str(info.value)


def test_performance_level_accepts_kernel_words_only(scratch_host):
    root = scratch_host("r9700_desktop")
    sysroot = SysRoot(root)
    sysroot.write_attribute(R9700 + "/power_dpm_force_performance_level", "manual")
    assert read(root, R9700 + "/power_dpm_force_performance_level") == "manual\n"
    with pytest.raises(AttributeWriteError) as info:
        sysroot.write_attribute(R9700 + "/power_dpm_force_performance_level", "turbo")
    assert info.value.errno == errno.EINVAL


def test_profile_index_moves_the_star_in_the_smu14_layout(scratch_host):
    root = scratch_host("r9700_desktop")
    SysRoot(root).write_attribute("/sys/class/drm/card1/device/pp_power_profile_mode", "5")
    text = read(root, R9700 + "/pp_power_profile_mode")
    assert " 5        COMPUTE*:\n" in text
    assert " 0 BOOTUP_DEFAULT :\n" in text
    assert text.count("*") == 1


def test_profile_mode_takes_the_first_character_as_the_index(scratch_host):
    # amdgpu_set_pp_power_profile_mode(): kstrtol() of buf[0] alone, so "51" selects mode 5.
    root = scratch_host("r9700_desktop")
    SysRoot(root).write_attribute(R9700 + "/pp_power_profile_mode", "51")
    assert " 5        COMPUTE*:\n" in read(root, R9700 + "/pp_power_profile_mode")
    for word in ("COMPUTE", " 5", "x"):
        with pytest.raises(AttributeWriteError) as info:
            SysRoot(root).write_attribute(R9700 + "/pp_power_profile_mode", word)
        assert info.value.errno == errno.EINVAL


def test_custom_profile_as_smu_14_0_2_takes_it(scratch_host):
    root = scratch_host("r9700_desktop")
    path = R9700 + "/pp_power_profile_mode"
    sysroot = SysRoot(root)
    sysroot.write_attribute(path, "6")  # no numbers: the stored coefficients are used
    assert " 6         CUSTOM*:\n" in read(root, path)
    sysroot.write_attribute(path, "6 1 0 1 0 4 800000 12 -3 0x10")  # nine numbers, clock index 1 (FCLK)
    for word in ("6 1 2 3", "6 2 0 1 0 4 800000 12 -3 0", "6 0 0 1 0 4 800000 12 -3 abc"):
        with pytest.raises(AttributeWriteError) as info:
            sysroot.write_attribute(path, word)
        assert info.value.errno == errno.EINVAL


def test_profile_index_not_listed_is_einval(scratch_host):
    root = scratch_host("r9700_desktop")
    with pytest.raises(AttributeWriteError) as info:
        SysRoot(root).write_attribute(R9700 + "/pp_power_profile_mode", "8")
    assert info.value.errno == errno.EINVAL


def test_strix_halo_has_no_profile_file_to_write(scratch_host):
    root = scratch_host("strix_halo_128g")
    with pytest.raises(AttributeWriteError) as info:
        SysRoot(root).write_attribute("/sys/class/drm/card1/device/pp_power_profile_mode", "5")
    assert info.value.errno == errno.ENOENT


def test_performance_level_prefix_match_and_smu14_refusals(scratch_host):
    root = scratch_host("r9700_desktop")
    path = R9700 + "/power_dpm_force_performance_level"
    sysroot = SysRoot(root)
    sysroot.write_attribute(path, "highest")  # strncmp("high", buf, 4)
    assert read(root, path) == "high\n"
    for word in ("perf_determinism", "profile_exit", "turbo"):
        with pytest.raises(AttributeWriteError) as info:
            sysroot.write_attribute(path, word)
        assert info.value.errno == errno.EINVAL
    sysroot.write_attribute(path, "profile_peak")
    sysroot.write_attribute(path, "profile_exit")  # back to the level saved on entering (smu_enable_umd_pstate)
    assert read(root, path) == "high\n"


def test_power_cap_is_range_checked_in_whole_watts(scratch_host):
    root = scratch_host("r9700_desktop")
    cap = R9700 + "/hwmon/hwmon2/power1_cap"
    SysRoot(root).write_attribute(cap, "250000000")
    assert read(root, cap) == "250000000\n"
    SysRoot(root).write_attribute(cap, "250999999")  # amdgpu_hwmon_set_power_cap(): value / 1000000
    assert read(root, cap) == "250000000\n"
    SysRoot(root).write_attribute(cap, "300999999")  # 300 W after truncation: within the 300 W maximum
    assert read(root, cap) == "300000000\n"
    for word in ("400000000", "209999999", "-1", "250e6"):
        with pytest.raises(AttributeWriteError) as info:
            SysRoot(root).write_attribute(cap, word)
        assert info.value.errno == errno.EINVAL


def test_link_state_files_take_kernel_booleans(scratch_host):
    root = scratch_host("rx9070xt_chipset")
    path = "/sys/bus/pci/devices/0000:04:00.0/link/l1_1_aspm"
    for word, value in (("n", "0\n"), ("on", "1\n"), ("off", "0\n"), ("true", "1\n"), ("F", "0\n"), ("Yes", "1\n"),
                        ("d", "0\n"), ("e", "1\n")):
        SysRoot(root).write_attribute(path, word)
        assert read(root, path) == value, word
    for word in ("maybe", "o", "2"):
        with pytest.raises(AttributeWriteError) as info:
            SysRoot(root).write_attribute(path, word)
        assert info.value.errno == errno.EINVAL


def link(root, device, name):
    return read(root, "/sys/bus/pci/devices/%s/link/%s" % (device, name))


def test_l1_off_clears_the_substates_and_l1_on_does_not_bring_them_back(scratch_host):
    root = scratch_host("r9700_desktop")
    SysRoot(root).write_attribute("/sys/bus/pci/devices/0000:03:00.0/link/l1_aspm", "0")
    assert [link(root, "0000:03:00.0", n) for n in ("l1_aspm", "l1_1_aspm", "l1_1_pcipm")] == ["0\n"] * 3
    SysRoot(root).write_attribute("/sys/bus/pci/devices/0000:03:00.0/link/l1_aspm", "1")
    assert link(root, "0000:03:00.0", "l1_aspm") == "1\n"
    assert link(root, "0000:03:00.0", "l1_1_aspm") == "0\n"  # still in the disable mask
    SysRoot(root).write_attribute("/sys/bus/pci/devices/0000:03:00.0/link/l1_1_aspm", "1")
    assert link(root, "0000:03:00.0", "l1_1_aspm") == "1\n"


def test_functions_of_one_device_share_the_link_state(scratch_host):
    root = scratch_host("r9700_desktop")
    SysRoot(root).write_attribute("/sys/bus/pci/devices/0000:03:00.1/link/clkpm", "0")
    assert link(root, "0000:03:00.0", "clkpm") == "0\n"
    SysRoot(root).write_attribute("/sys/bus/pci/devices/0000:03:00.0/link/l1_aspm", "0")
    assert link(root, "0000:03:00.1", "l1_aspm") == "0\n"


def test_global_policy_rewrites_every_link_as_the_kernel_does(scratch_host):
    root = scratch_host("r9700_desktop")
    sysroot = SysRoot(root)
    sysroot.write_attribute(POLICY, "performance")
    for device in ("0000:01:00.0", "0000:03:00.0", "0000:03:00.1"):
        folder = os.path.join(root, "sys/bus/pci/devices", device, "link")
        assert {name: read(root, "/sys/bus/pci/devices/%s/link/%s" % (device, name)) for name in os.listdir(folder)} \
            == dict((name, "0\n") for name in os.listdir(folder))
    sysroot.write_attribute(POLICY, "powersupersave")  # everything the link is capable of, clock PM on
    assert [link(root, "0000:03:00.0", n) for n in ("clkpm", "l1_aspm", "l1_2_aspm", "l1_2_pcipm")] == ["1\n"] * 4
    assert not os.path.exists(os.path.join(root, "sys/bus/pci/devices/0000:03:00.0/link/l0s_aspm"))  # not capable
    sysroot.write_attribute(POLICY, "powersave")  # L0s and L1 only: the substates go off
    assert [link(root, "0000:03:00.0", n) for n in ("clkpm", "l1_aspm", "l1_1_aspm")] == ["1\n", "1\n", "0\n"]
    sysroot.write_attribute("/sys/bus/pci/devices/0000:03:00.0/link/l1_aspm", "0")
    sysroot.write_attribute(POLICY, "default")  # the firmware's choice, less what was disabled
    assert link(root, "0000:03:00.0", "l1_aspm") == "0\n"
    assert link(root, "0000:01:00.0", "l1_2_aspm") == "1\n"


def test_writing_the_active_policy_is_a_no_op_and_locked_hosts_say_eperm(scratch_host):
    root = scratch_host("r9700_desktop")
    SysRoot(root).write_attribute("/sys/bus/pci/devices/0000:03:00.0/link/l1_aspm", "0")
    SysRoot(root).write_attribute(POLICY, "default")  # same word: pcie_aspm_set_policy() returns 0 at once
    assert link(root, "0000:03:00.0", "l1_aspm") == "0\n"
    locked = scratch_host("aspm_locked")
    with pytest.raises(AttributeWriteError) as info:
        SysRoot(locked).write_attribute(POLICY, "default")
    assert info.value.errno == errno.EPERM


def test_refuse_map_emulates_busy_and_read_only(scratch_host):
    root = scratch_host("r9700_desktop")
    kernel = simulated_boot.load(root)
    kernel.config["refuse"] = {"*/pp_power_profile_mode": "EBUSY"}
    kernel.save_config()
    with pytest.raises(AttributeWriteError) as info:
        SysRoot(root).write_attribute("/sys/class/drm/card1/device/pp_power_profile_mode", "5")
    assert info.value.errno == errno.EBUSY


def test_reboot_restores_boot_defaults_and_reads_grub(scratch_host):
    root = scratch_host("r9700_desktop")
    sysroot = SysRoot(root)
    sysroot.write_attribute(POLICY, "powersave")
    sysroot.write_attribute(R9700 + "/power_dpm_force_performance_level", "high")
    grub_cfg = os.path.join(root, "boot/grub/grub.cfg")
    with open(grub_cfg) as handle:
        text = handle.read()
    with open(grub_cfg, "w") as handle:
        handle.write(text.replace("ro quiet", "ro quiet pcie_aspm.policy=performance"))
    simulated_boot.load(root).reboot()
    assert read(root, "/proc/cmdline").endswith(" ro quiet pcie_aspm.policy=performance\n")
    assert read(root, POLICY) == "default [performance] powersave powersupersave \n"
    assert read(root, R9700 + "/power_dpm_force_performance_level") == "auto\n"
    with open(os.path.join(root, simulated_boot.MARKER)) as handle:
        assert json.load(handle)["boot_count"] == 1


def test_reboot_reads_bls_entries(scratch_host):
    root = scratch_host("strix_halo_128g")
    cmdline = simulated_boot.load(root).next_boot_cmdline()
    assert cmdline.endswith(" ro rootflags=subvol=root rhgb quiet")


def test_bracket_choice_keeps_kernel_format():
    assert simulated_boot.bracket_choice("always [madvise] never\n", "always") == "[always] madvise never \n"
    assert simulated_boot.bracket_choice("always [madvise] never\n", "sometimes") is None


def test_star_moves_to_the_mode_not_to_a_coefficient_that_looks_like_one():
    text = (" 0 BOOTUP_DEFAULT*:\n                    0(       GFXCLK)       0       1      10       5       7\n"
            " 5        COMPUTE :\n                    0(       GFXCLK)       0       1      10       5       7\n")
    moved = sysfs.move_profile_star(text, 5)
    assert moved == text.replace("DEFAULT*:", "DEFAULT :").replace("COMPUTE :", "COMPUTE*:")
