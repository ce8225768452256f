"""The verify_failures filter: a verification's check-mode results as one message per setting that does not hold."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.inferops.amd.plugins.filter.verify_failures import FilterModule, verify_failures

RUNNING = ["BOOT_IMAGE=/vmlinuz", "ro", "quiet"]


def test_the_filter_is_published_under_its_name():
    assert FilterModule().filters() == {"verify_failures": verify_failures}


def test_drift_and_a_running_kernel_without_the_argument():
    checks = {"aspm": {"scope": "global", "previous": "default", "policy": "performance", "changed": True},
              "cmdline": {"added": [], "removed": [], "running": RUNNING, "reboot_required": True, "changed": False},
              "amdgpu_power": {"skipped": True, "changed": False}}
    assert verify_failures(checks, kernel_args=["pcie_aspm.policy=performance"]) == [
        "ASPM policy is default, expected performance",
        "the running kernel lacks pcie_aspm.policy=performance (/proc/cmdline: BOOT_IMAGE=/vmlinuz ro quiet)"]


def test_nothing_when_every_check_holds_or_was_skipped():
    assert verify_failures({"cmdline": {"skipped": True}, "ryzenadj": {"skipped": True}}) == []


def test_bad_input_is_a_filter_error_naming_what_is_expected():
    with pytest.raises(AnsibleFilterError, match="must map knob kinds to registered results, got list"):
        verify_failures([{"changed": True}])
    with pytest.raises(AnsibleFilterError, match="verify_failures: unknown knob kind 'turbo'"):
        verify_failures({"turbo": {"changed": True}})


def test_an_undefined_input_stays_undefined():
    """A register that did not run (or a linter templating statically) is undefined, not a wrong type."""
    import jinja2
    from ansible_collections.inferops.amd.plugins.filter.reboot_reasons import reboot_reasons
    with pytest.raises(jinja2.UndefinedError):
        verify_failures(jinja2.StrictUndefined(name="__checks"))
    with pytest.raises(jinja2.UndefinedError):
        reboot_reasons(jinja2.StrictUndefined(name="__cmdline"))
