"""The simulation layer behaves like the kernel for every attribute the collection writes."""

import errno
import json
import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils import simulated_kernel
from ansible_collections.inferops.amd.plugins.module_utils.sysroot import AttributeWriteError, SysRoot

POLICY = "/sys/module/pcie_aspm/parameters/policy"
R9700 = "/sys/bus/pci/devices/0000:03:00.0"


def read(root, path):
    with open(os.path.join(root, path.lstrip("/"))) as handle:
        return handle.read()


def test_inert_on_a_real_root_and_without_marker(tmp_path):
    assert simulated_kernel.load("/") is None
    assert simulated_kernel.load(str(tmp_path)) is None


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


def test_profile_index_moves_the_star_in_the_apu_layout(scratch_host):
    root = scratch_host("strix_halo_128g")
    SysRoot(root).write_attribute("/sys/class/drm/card1/device/pp_power_profile_mode", "1")
    text = read(root, "/sys/bus/pci/devices/0000:c5:00.0/pp_power_profile_mode")
    assert text.splitlines()[:2] == [" 0 BOOTUP_DEFAULT ", " 1 3D_FULL_SCREEN*"]


def test_profile_index_without_such_mode_or_bare_custom_is_einval(scratch_host):
    root = scratch_host("strix_halo_128g")
    sysroot = SysRoot(root)
    for word in ("2", "6", "COMPUTE"):  # POWER_SAVING is not offered on this APU; CUSTOM needs numbers
        with pytest.raises(AttributeWriteError) as info:
            sysroot.write_attribute("/sys/class/drm/card1/device/pp_power_profile_mode", word)
        assert info.value.errno == errno.EINVAL


def test_power_cap_is_range_checked(scratch_host):
    root = scratch_host("r9700_desktop")
    cap = R9700 + "/hwmon/hwmon2/power1_cap"
    SysRoot(root).write_attribute(cap, "250000000")
    assert read(root, cap) == "250000000\n"
    with pytest.raises(AttributeWriteError) as info:
        SysRoot(root).write_attribute(cap, "400000000")
    assert info.value.errno == errno.EINVAL


def test_link_state_files_take_kernel_booleans(scratch_host):
    root = scratch_host("rx9070xt_chipset")
    path = "/sys/bus/pci/devices/0000:06:00.0/link/l1_aspm"
    SysRoot(root).write_attribute(path, "n")
    assert read(root, path) == "0\n"
    with pytest.raises(AttributeWriteError):
        SysRoot(root).write_attribute(path, "maybe")


def test_refuse_map_emulates_busy_and_read_only(scratch_host):
    root = scratch_host("r9700_desktop")
    kernel = simulated_kernel.load(root)
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
    simulated_kernel.load(root).reboot()
    assert read(root, "/proc/cmdline").endswith(" ro quiet pcie_aspm.policy=performance\n")
    assert read(root, POLICY) == "default [performance] powersave powersupersave \n"
    assert read(root, R9700 + "/power_dpm_force_performance_level") == "auto\n"
    with open(os.path.join(root, simulated_kernel.MARKER)) as handle:
        assert json.load(handle)["boot_count"] == 1


def test_reboot_reads_bls_entries(scratch_host):
    root = scratch_host("strix_halo_128g")
    cmdline = simulated_kernel.load(root).next_boot_cmdline()
    assert cmdline.endswith(" ro rootflags=subvol=root rhgb quiet")


def test_bracket_choice_keeps_kernel_format():
    assert simulated_kernel.bracket_choice("always [madvise] never\n", "always") == "[always] madvise never \n"
    assert simulated_kernel.bracket_choice("always [madvise] never\n", "sometimes") is None
