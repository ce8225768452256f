"""A simulated reboot applies the kernel arguments the way the kernel does (aspm.c, pci_root.c, amdgpu_ttm.c)."""

import errno
import glob
import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import AttributeWriteError, SysRoot
from tests.simulation import simulated_boot

POLICY = "/sys/module/pcie_aspm/parameters/policy"
GPU_LINK = "/sys/bus/pci/devices/0000:03:00.0/link"


def read(root, path):
    with open(os.path.join(root, path.lstrip("/"))) as handle:
        return handle.read()


def boot_with(root, *args):
    """Put ``args`` on the next boot's command line (GRUB or BLS) and reboot."""
    entries = glob.glob(os.path.join(root, "boot/loader/entries/*.conf"))
    path = entries[0] if entries else os.path.join(root, "boot/grub/grub.cfg")
    text = read(root, "/" + os.path.relpath(path, root))
    if entries:
        text = "".join(line.rstrip("\n") + " " + " ".join(args) + "\n" if line.startswith("options ") else line
                       for line in text.splitlines(True))
    else:
        text = text.replace(" ro quiet\n", " ro quiet %s\n" % " ".join(args), 1)
    with open(path, "w") as handle:
        handle.write(text)
    simulated_boot.load(root).reboot()


def test_pcie_aspm_off_hides_the_link_files_and_refuses_policy_writes(scratch_host):
    root = scratch_host("r9700_desktop")
    boot_with(root, "pcie_aspm=off")
    assert os.listdir(os.path.join(root, GPU_LINK.lstrip("/"))) == []  # the folder stays, empty
    assert read(root, POLICY) == "[default] performance powersave powersupersave \n"
    with pytest.raises(AttributeWriteError) as info:
        SysRoot(root).write_attribute(POLICY, "default")
    assert info.value.errno == errno.EPERM


def test_after_pcie_aspm_off_a_normal_boot_brings_the_firmware_state_back(scratch_host):
    root = scratch_host("r9700_desktop")
    before = dict((name, read(root, GPU_LINK + "/" + name)) for name in os.listdir(os.path.join(root, GPU_LINK[1:])))
    boot_with(root, "pcie_aspm=off")
    grub = os.path.join(root, "boot/grub/grub.cfg")
    with open(grub) as handle:
        text = handle.read().replace(" pcie_aspm=off", "")
    with open(grub, "w") as handle:
        handle.write(text)
    simulated_boot.load(root).reboot()
    assert dict((name, read(root, GPU_LINK + "/" + name)) for name in before) == before


def test_firmware_refusal_is_lifted_by_pcie_aspm_force(scratch_host):
    root = scratch_host("aspm_locked")
    with pytest.raises(AttributeWriteError):
        SysRoot(root).write_attribute(POLICY, "performance")
    boot_with(root, "pcie_aspm=force")
    SysRoot(root).write_attribute(POLICY, "performance")
    assert read(root, POLICY) == "default [performance] powersave powersupersave \n"


def test_boot_policy_on_a_firmware_locked_host_configures_links_but_reads_default(scratch_host):
    # pcie_aspm.policy= is set before the scan; pcie_no_aspm() after it resets the policy to default.
    root = scratch_host("aspm_locked")
    boot_with(root, "pcie_aspm.policy=performance")
    assert read(root, GPU_LINK + "/l1_aspm") == "0\n" and read(root, GPU_LINK + "/clkpm") == "0\n"
    assert read(root, POLICY) == "[default] performance powersave powersupersave \n"
    with pytest.raises(AttributeWriteError) as info:
        SysRoot(root).write_attribute(POLICY, "default")
    assert info.value.errno == errno.EPERM


def test_boot_policy_performance_clears_every_link_and_reboot_forgets_link_writes(scratch_host):
    root = scratch_host("r9700_desktop")
    SysRoot(root).write_attribute(GPU_LINK + "/l1_aspm", "0")
    simulated_boot.load(root).reboot()
    assert read(root, GPU_LINK + "/l1_aspm") == "1\n"  # the disable mask starts empty at boot
    boot_with(root, "pcie_aspm.policy=performance")
    for device in ("0000:01:00.0", "0000:03:00.0", "0000:03:00.1"):
        folder = os.path.join(root, "sys/bus/pci/devices", device, "link")
        assert set(read(root, "/" + os.path.relpath(os.path.join(folder, n), root)) for n in os.listdir(folder)) == {"0\n"}


def gtt(root):
    return int(read(root, "/sys/class/drm/card1/device/mem_info_gtt_total"))


def test_reboot_recomputes_gtt_from_ttm_pages_limit_and_amdgpu_gttsize(scratch_host):
    root = scratch_host("strix_halo_128g")
    half = gtt(root)
    assert half == 132556528 * 1024 // 4096 // 2 * 4096  # ttm_global_init(): half of totalram
    boot_with(root, "ttm.pages_limit=32090368")
    assert gtt(root) == 32090368 * 4096
    boot_with(root, "amdgpu.gttsize=1024")  # the last one given wins; gttsize overrides the TTM limit
    assert gtt(root) == 1024 << 20


def test_reboot_without_gtt_arguments_gives_half_of_ram(scratch_host):
    root = scratch_host("strix_halo_laptop_64g")
    with open(os.path.join(root, "sys/bus/pci/devices/0000:c5:00.0/mem_info_gtt_total"), "w") as handle:
        handle.write("1\n")
    simulated_boot.load(root).reboot()
    assert gtt(root) == 65221212 * 1024 // 4096 // 2 * 4096
