"""Knob items from registered module results."""

import pytest

from ansible_collections.inferops.amd.plugins.plugin_utils.knob_report import (
    KnobReportError,
    knob_items,
    reboot_reasons,
    verify_failures,
)


def test_global_aspm_and_its_skip():
    items = knob_items({"scope": "global", "previous": "default", "policy": "default", "changed": False,
                        "skipped_reason": "firmware"}, "aspm", "why")
    assert items == [{"knob": "ASPM policy", "before": "default", "after": "default", "changed": False,
                      "reason": "why", "note": "firmware"}]


def test_gpu_links_count_links_awake():
    links = [{"before": {"l1_aspm": 1, "clkpm": 1}, "after": {"l1_aspm": 0, "clkpm": 0}, "changed_files": ["l1_aspm"]},
             {"before": {"l1_aspm": 0}, "after": {"l1_aspm": 0}, "changed_files": []}]
    (item,) = knob_items({"scope": "gpu_links", "links": links, "changed": True}, "aspm")
    assert (item["knob"], item["before"], item["after"]) == ("ASPM on GPU links", "1/2 links awake", "2/2 links awake")


def test_aspm_knobs_change_only_with_the_policy_or_links_when_the_module_also_kept_the_command_line():
    # pcie_aspm's changed also covers its kernel_cmdline half, which is a knob of its own
    (policy,) = knob_items({"scope": "global", "previous": "performance", "policy": "performance", "changed": True,
                            "kernel_cmdline": {"added": ["pcie_aspm.policy=performance"]}}, "aspm")
    assert policy["changed"] is False
    (links,) = knob_items({"scope": "gpu_links", "links": [{"before": {}, "after": {}, "changed_files": []}],
                           "rule_file_changed": False, "changed": True}, "aspm")
    assert links["changed"] is False
    (rules,) = knob_items({"scope": "gpu_links", "links": [], "rule_file_changed": True, "changed": True}, "aspm")
    assert rules["changed"] is True


def test_a_failed_command_line_half_that_wrote_nothing_gives_nothing():
    assert knob_items({"failed": True, "changed": False, "added": ["pcie_aspm.policy=performance"]}, "cmdline") == []


def test_cmdline_added_and_removed():
    items = knob_items({"added": ["ttm.pages_limit=2"], "removed": ["ttm.pages_limit=1"]}, "cmdline")
    assert [(i["before"], i["after"]) for i in items] == [("-", "ttm.pages_limit=2"), ("ttm.pages_limit=1", "-")]


def test_ryzenadj_notes_what_the_firmware_kept():
    limits = {"slow_limit": {"unit": "W", "requested": 85.0, "before": 70.0, "effective": 70.0, "changed": False,
                             "clamped": True}}
    (item,) = knob_items({"limits": limits}, "ryzenadj")
    assert item["note"] == "slow_limit: the firmware keeps 70 W (requested 85)"


def test_skipped_task_gives_nothing_and_unknown_kind_is_refused():
    assert knob_items({"skipped": True}, "aspm") == []
    assert knob_items({}, "aspm") == []
    with pytest.raises(KnobReportError):
        knob_items({"changed": False}, "turbo")


def test_a_failure_that_changed_nothing_gives_nothing_one_that_wrote_state_is_reported():
    assert knob_items({"failed": True, "changed": False, "msg": "EINVAL"}, "aspm") == []
    written = {"failed": True, "changed": True, "cards": [
        {"card": "card1", "before": {"performance_level": "auto"}, "after": {"performance_level": "high"},
         "changed": True}]}
    assert [(i["knob"], i["before"], i["after"]) for i in knob_items(written, "amdgpu_power")] == [
        ("amdgpu card1", "auto", "high")]


def test_a_file_reads_as_a_before_and_after_of_the_same_kind():
    (rewritten,) = knob_items({"changed": True}, "file", "why", "sysctl settings")
    assert (rewritten["before"], rewritten["after"], rewritten["changed"]) == ("not as configured", "as configured", True)
    (kept,) = knob_items({"changed": False}, "file", "why", "sysctl settings")
    assert (kept["before"], kept["after"], kept["changed"]) == ("as configured", "as configured", False)


def test_handing_the_gpu_links_back_reports_the_rule_it_removed_and_nothing_when_there_was_none():
    links = [{"before": {"l1_aspm": 0}, "after": {"l1_aspm": 0}, "changed_files": []}]
    (removed,) = knob_items({"scope": "gpu_links", "policy": "default", "links": links, "rule_file_changed": True,
                             "changed": True}, "aspm", "why")
    assert removed == {"knob": "udev rule of the gpu_links mode", "before": "present", "after": "removed",
                       "changed": True, "reason": "why"}
    assert knob_items({"scope": "gpu_links", "policy": "default", "links": [], "rule_file_changed": False,
                       "changed": False}, "aspm") == []


def test_a_setting_the_role_compares_itself_is_changed_when_before_and_after_differ():
    (switched,) = knob_items({"before": "balanced", "after": "accelerator-performance"}, "value", "why", "tuned profile")
    assert switched == {"knob": "tuned profile", "before": "balanced", "after": "accelerator-performance",
                        "changed": True, "reason": "why"}
    (kept,) = knob_items({"before": "throughput", "after": "throughput"}, "value", "why", "tuned profile")
    assert kept["changed"] is False


# kernel_cmdline results as the module returns them (check mode in a verification)
RUNNING = ["BOOT_IMAGE=/vmlinuz", "root=UUID=1", "ro", "quiet"]
ASPM_ARG = "pcie_aspm.policy=performance"


def test_reboot_reasons_name_the_arguments_the_running_kernel_lacks():
    added = {"added": [ASPM_ARG], "removed": [], "running": RUNNING, "reboot_required": True, "changed": True}
    assert reboot_reasons(added, [ASPM_ARG]) == ["kernel command line needs " + ASPM_ARG]
    # a run before the reboot added nothing, and still owes it
    assert reboot_reasons(dict(added, added=[], changed=False), [ASPM_ARG]) == ["kernel command line needs " + ASPM_ARG]
    # arguments already running are not named, even when quoted the way a bootloader may pass them
    both = dict(added, running=RUNNING + ['iommu="pt"'])
    assert reboot_reasons(both, ["iommu=pt", ASPM_ARG]) == ["kernel command line needs " + ASPM_ARG]


def test_reboot_reasons_say_what_was_dropped_and_nothing_without_a_reboot():
    dropped = {"added": [], "removed": [ASPM_ARG], "running": RUNNING + [ASPM_ARG], "reboot_required": True,
               "changed": True}
    assert reboot_reasons(dropped, []) == ["kernel command line drops " + ASPM_ARG]
    owed = dict(dropped, removed=[], changed=False)
    assert reboot_reasons(owed, []) == ["the running kernel still has arguments an earlier run took off"]
    assert reboot_reasons(dict(dropped, reboot_required=False), [ASPM_ARG]) == []
    assert reboot_reasons({"skipped": True}, [ASPM_ARG]) == []
    assert reboot_reasons({}, [ASPM_ARG]) == []


def test_verify_failures_one_message_per_setting_that_does_not_hold_in_input_order():
    aspm = {"scope": "global", "previous": "default", "policy": "performance", "changed": True,
            "kernel_argument": ASPM_ARG}
    cmdline = {"added": [ASPM_ARG], "removed": [], "running": RUNNING, "reboot_required": True, "changed": True}
    power = {"skipped": True}
    assert verify_failures({"aspm": aspm, "cmdline": cmdline, "amdgpu_power": power}, [ASPM_ARG]) == [
        "ASPM policy is default, expected performance",
        "kernel argument is -, expected " + ASPM_ARG,
        "the running kernel lacks %s (/proc/cmdline: %s)" % (ASPM_ARG, " ".join(RUNNING))]


def test_verify_failures_are_empty_when_everything_holds():
    aspm = {"scope": "global", "previous": "performance", "policy": "performance", "changed": False}
    cmdline = {"added": [], "removed": [], "running": RUNNING + [ASPM_ARG], "reboot_required": False, "changed": False}
    assert verify_failures({"aspm": aspm, "cmdline": cmdline}, [ASPM_ARG]) == []


def test_verify_failures_of_a_running_kernel_with_an_argument_taken_off_and_of_ryzenadj():
    cmdline = {"added": [], "removed": [], "running": RUNNING + ["iommu=pt"], "reboot_required": True,
               "changed": False}
    limits = {"stapm_limit": {"unit": "W", "requested": 85.0, "before": 59.0, "effective": 81.0, "changed": True,
                              "clamped": True}}
    assert verify_failures({"cmdline": cmdline, "ryzenadj": {"limits": limits}}, ["ttm.pages_limit=1"]) == [
        "the running kernel lacks ttm.pages_limit=1 (/proc/cmdline: %s iommu=pt)" % " ".join(RUNNING),
        "RyzenAdj stapm_limit is 59 W, expected 81 W"]
    assert verify_failures({"cmdline": cmdline}, []) == [
        "the running kernel still has arguments the configured command line no longer has (/proc/cmdline: %s iommu=pt)"
        % " ".join(RUNNING)]


def test_verify_failures_refuse_an_unknown_kind():
    with pytest.raises(KnobReportError, match="unknown knob kind 'turbo'"):
        verify_failures({"turbo": {"changed": True}})
