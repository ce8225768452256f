"""Parsing the global ASPM policy file."""

import errno

import pytest

from ansible_collections.inferops.amd.plugins.module_utils import pcie_aspm
from ansible_collections.inferops.amd.plugins.module_utils.sysroot import AttributeWriteError, SysRoot


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
