"""pcie_aspm with kernel_cmdline plans both halves before it writes either (issue 24).

Before: a GRUB defaults file the module refuses was found only after the runtime policy had
been written, so the host was left half-changed.
"""

import os

from ansible_collections.inferops.amd.plugins.module_utils._pci.links import RULES_FILE
from tests.unit.module_runner import run_module

POLICY = "sys/module/pcie_aspm/parameters/policy"


def read(root, path):
    with open(os.path.join(root, path)) as handle:
        return handle.read()


def refused_grub_defaults(root):
    path = os.path.join(root, "etc/default/grub")
    with open(path, "a") as handle:
        handle.write('if [ -e /etc/gpu ]; then\n  GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nfi\n')


def test_a_command_line_that_cannot_change_leaves_the_policy_untouched(scratch_host):
    root = scratch_host("r9700_desktop")
    refused_grub_defaults(root)
    policy, grub = read(root, POLICY), read(root, "etc/default/grub")
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "performance",
                                      "kernel_cmdline": {"owner": "rdna4_aspm"}}, expect_failure=True)
    assert result["msg"].startswith("nothing was changed")
    assert "set inside a shell block" in result["msg"] and result["changed"] is False
    assert read(root, POLICY) == policy and read(root, "etc/default/grub") == grub


def test_gpu_links_with_a_refused_command_line_leave_the_links_untouched(scratch_host):
    root = scratch_host("rx9070xt_chipset")
    refused_grub_defaults(root)
    before = run_module("hardware_facts", {"sysroot": root})
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "performance", "scope": "gpu_links",
                                      "kernel_cmdline": {"owner": "rdna4_aspm"}}, expect_failure=True)
    assert result["changed"] is False
    assert run_module("hardware_facts", {"sysroot": root}) == before
    assert not os.path.exists(os.path.join(root, RULES_FILE.lstrip("/")))
