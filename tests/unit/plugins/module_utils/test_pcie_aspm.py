"""Parsing the global ASPM policy file."""

import errno

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._pci import aspm as pcie_aspm
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import AttributeWriteError, SysRoot


def test_parses_the_verified_kernel_format():
    policy = pcie_aspm.parse_policy("[default] performance powersave powersupersave \n")
    assert policy.active == "default"
    assert policy.available == ("default", "performance", "powersave", "powersupersave")


def test_active_policy_may_be_any_word():
    assert pcie_aspm.parse_policy("default [performance] powersave powersupersave \n").active == "performance"


@pytest.mark.parametrize("garbage", [
    "", "\n", "default performance\n", "[default] [performance]\n", "[def ault]\n", "\x00\x01\n", "[Default!]\n",
])
def test_garbage_is_a_clear_error(garbage):
    with pytest.raises(pcie_aspm.AspmPolicyError, match="unexpected content"):
        pcie_aspm.parse_policy(garbage)


def test_missing_file_names_the_kernel_option(tmp_path):
    with pytest.raises(pcie_aspm.AspmPolicyError, match="CONFIG_PCIEASPM"):
        pcie_aspm.read_policy(SysRoot(str(tmp_path)))


def test_kernel_argument():
    assert pcie_aspm.kernel_argument("performance") == "pcie_aspm.policy=performance"


def test_only_eperm_means_forbidden():
    assert pcie_aspm.is_forbidden(AttributeWriteError("/p", "x", errno.EPERM))
    assert not pcie_aspm.is_forbidden(AttributeWriteError("/p", "x", errno.EINVAL))


def _lock_detail(scratch_host, cmdline):
    root = scratch_host("aspm_locked")
    with open(root + "/proc/cmdline", "w") as handle:
        handle.write(cmdline)
    tree = SysRoot(root)
    return pcie_aspm.probe_policy_lock(tree, pcie_aspm.read_policy(tree))


def test_the_eperm_detail_names_a_pcie_aspm_off_on_the_running_command_line(scratch_host):
    detail = _lock_detail(scratch_host, "BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 ro quiet pcie_aspm=off\n")
    assert "EPERM" in detail
    assert "/proc/cmdline has pcie_aspm=off" in detail and "remove it" in detail


@pytest.mark.parametrize("cmdline", ["ro quiet pcie_aspm=force\n", "ro quiet pcie_aspm.policy=performance\n",
                                     "ro quiet -- pcie_aspm=off\n"])  # after "--" the arguments are init's
def test_the_eperm_detail_names_no_pcie_aspm_off_when_the_kernel_did_not_take_one(scratch_host, cmdline):
    detail = _lock_detail(scratch_host, cmdline)
    assert "EPERM" in detail and "pcie_aspm=off" not in detail
