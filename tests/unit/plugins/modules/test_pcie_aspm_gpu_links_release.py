"""pcie_aspm gpu_links, policy default: the reboot stays due for the whole boot (issue 24).

Before: a second run of the same boot said reboot_required: false while the links were still off,
because only the run that removed the rule file knew.
"""

import os

from ansible_collections.inferops.amd.plugins.module_utils._pci.links import RELEASE_RECORD
from tests.simulation import simulated_boot
from tests.unit.module_runner import run_module


def gpu_links(host, **extra):
    return dict({"sysroot": host, "scope": "gpu_links", "policy": "performance"}, **extra)


def l1(host, bdf="0000:04:00.0"):
    with open(os.path.join(host, "sys/bus/pci/devices", bdf, "link/l1_aspm")) as handle:
        return handle.read().strip()


def test_every_run_of_the_boot_that_released_the_links_reports_the_reboot(scratch_host):
    host = scratch_host("rx9070xt_chipset")
    run_module("pcie_aspm", gpu_links(host))
    assert run_module("pcie_aspm", gpu_links(host, policy="default"))["reboot_required"] is True
    for check_mode in (True, False):
        again = run_module("pcie_aspm", gpu_links(host, policy="default"), check_mode=check_mode)
        assert again["changed"] is False and again["reboot_required"] is True and l1(host) == "0"
    simulated_boot.load(host).reboot()
    after = run_module("pcie_aspm", gpu_links(host, policy="default"))
    assert after["changed"] is False and after["reboot_required"] is False and l1(host) == "1"


def test_check_mode_predicts_the_release_and_records_nothing(scratch_host):
    host = scratch_host("rx9070xt_chipset")
    run_module("pcie_aspm", gpu_links(host))
    preview = run_module("pcie_aspm", gpu_links(host, policy="default"), check_mode=True)
    assert preview["reboot_required"] is True
    assert not os.path.exists(os.path.join(host, RELEASE_RECORD.lstrip("/")))


def test_asking_for_performance_again_forgets_the_release(scratch_host):
    host = scratch_host("rx9070xt_chipset")
    run_module("pcie_aspm", gpu_links(host))
    run_module("pcie_aspm", gpu_links(host, policy="default"))
    run_module("pcie_aspm", gpu_links(host))
    assert not os.path.exists(os.path.join(host, RELEASE_RECORD.lstrip("/")))
