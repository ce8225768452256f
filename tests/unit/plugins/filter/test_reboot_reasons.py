"""The reboot_reasons filter: why a kernel_cmdline result needs a reboot, in the run report's words."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.inferops.amd.plugins.filter.reboot_reasons import FilterModule, reboot_reasons


def test_the_filter_is_published_under_its_name():
    assert FilterModule().filters() == {"reboot_reasons": reboot_reasons}


def test_the_arguments_still_to_boot_and_those_taken_off():
    result = {"added": ["iommu=pt"], "removed": ["ttm.pages_limit=1"], "running": ["ro", "ttm.pages_limit=1"],
              "reboot_required": True, "changed": True}
    assert reboot_reasons(result, kernel_args=["iommu=pt", "ttm.pages_limit=2"]) == [
        "kernel command line needs iommu=pt ttm.pages_limit=2", "kernel command line drops ttm.pages_limit=1"]


def test_no_reason_without_a_reboot_or_for_a_skipped_task():
    assert reboot_reasons({"reboot_required": False, "running": []}, kernel_args=["iommu=pt"]) == []
    assert reboot_reasons({"skipped": True}) == []


def test_bad_input_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="must be a registered kernel_cmdline result, got str"):
        reboot_reasons("iommu=pt")
