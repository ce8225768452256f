"""Splitting, validating and planning kernel command lines (module_utils/_kernel_cmdline/arguments.py)."""

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import (
    KernelArgumentError,
    join_cmdline,
    managed_arguments,
    normalize_argument,
    parse_argument,
    plan_cmdline_change,
    reboot_required,
    running_arguments,
    split_cmdline,
    validate_request,
)


@pytest.mark.parametrize("text, args", [
    ("", []),
    ("  \n", []),
    ("ro quiet\n", ["ro", "quiet"]),
    ("a  b\tc", ["a", "b", "c"]),
    ('ro "acpi_osi=!Windows 2020" quiet', ["ro", '"acpi_osi=!Windows 2020"', "quiet"]),
    ('acpi_osi="!Windows 2020" x', ['acpi_osi="!Windows 2020"', "x"]),
    ("amdgpu.ppfeaturemask=0xffffffff dyndbg=file=a.c=+p", ["amdgpu.ppfeaturemask=0xffffffff", "dyndbg=file=a.c=+p"]),
])
def test_split_follows_the_kernel_rules(text, args):
    assert split_cmdline(text) == args


def test_split_then_join_round_trips_byte_for_byte():
    line = 'BOOT_IMAGE=/vmlinuz root=UUID=1 ro "acpi_osi=!Windows 2020" acpi_osi="Linux x" a=b=c'
    assert join_cmdline(split_cmdline(line)) == line


@pytest.mark.parametrize("raw, parsed", [
    ("quiet", ("quiet", None)),
    ("iommu=pt", ("iommu", "pt")),
    ("empty=", ("empty", "")),
    ("dyndbg=file=a.c=+p", ("dyndbg", "file=a.c=+p")),
    ('"acpi_osi=!Windows 2020"', ("acpi_osi", "!Windows 2020")),
    ('acpi_osi="!Windows 2020"', ("acpi_osi", "!Windows 2020")),
])
def test_parse_argument_strips_quotes_like_next_arg(raw, parsed):
    assert parse_argument(raw) == parsed


@pytest.mark.parametrize("given, raw", [
    ("iommu=pt", "iommu=pt"),
    ('"acpi_osi=!Windows 2020"', '"acpi_osi=!Windows 2020"'),
    ('acpi_osi="!Windows 2020"', 'acpi_osi="!Windows 2020"'),
    ("acpi_osi=!Windows 2020", 'acpi_osi="!Windows 2020"'),
    ("amdgpu.ppfeaturemask=0xffffffff", "amdgpu.ppfeaturemask=0xffffffff"),
])
def test_normalize_keeps_what_the_user_wrote_or_quotes_spaces(given, raw):
    assert normalize_argument(given) == raw


@pytest.mark.parametrize("bad, why", [
    ("", "empty"),
    ("   ", "empty"),
    ("=value", "empty name"),
    ("bad name=1", "white space"),
    ("a=b\nc", "line break"),
    ("a=b\r", "line break"),
    (" quiet", "leading or trailing"),
    ('a="b', "unbalanced"),
    ('a=b"c"d', "double quote"),
])
def test_bad_arguments_are_refused_with_the_reason(bad, why):
    with pytest.raises(KernelArgumentError, match=why):
        normalize_argument(bad)


def test_request_refuses_an_argument_both_present_and_absent():
    with pytest.raises(KernelArgumentError, match="both present"):
        validate_request(["iommu=pt"], ["iommu"])
    with pytest.raises(KernelArgumentError, match="both present"):
        validate_request(["iommu=pt"], ["iommu=pt"])
    # another exact value of the same name may be absent
    assert validate_request(["iommu=pt"], ["iommu=soft"]) == (["iommu=pt"], ["iommu=soft"])


def test_request_refuses_two_values_for_one_name_and_drops_repeats():
    with pytest.raises(KernelArgumentError, match="one value per name"):
        validate_request(["ttm.pages_limit=1", "ttm.pages_limit=2"], [])
    assert validate_request(["quiet", "quiet"], []) == (["quiet"], [])


def test_plan_adds_new_arguments_at_the_end():
    plan = plan_cmdline_change(["quiet"], ["pcie_aspm.policy=performance"], [])
    assert plan.args == ["quiet", "pcie_aspm.policy=performance"]
    assert plan.added == ["pcie_aspm.policy=performance"] and plan.removed == []


def test_plan_replaces_another_value_in_place_instead_of_duplicating():
    plan = plan_cmdline_change(["ro", "ttm.pages_limit=15466496", "quiet"], ["ttm.pages_limit=32505856"], [])
    assert plan.args == ["ro", "ttm.pages_limit=32505856", "quiet"]
    assert plan.removed == ["ttm.pages_limit=15466496"]


def test_plan_collapses_duplicates_of_a_managed_name():
    plan = plan_cmdline_change(["iommu=soft", "quiet", "iommu=pt"], ["iommu=pt"], [])
    assert plan.args == ["iommu=pt", "quiet"]


def test_plan_is_empty_when_everything_is_there_in_any_quoting():
    current = ["ro", 'acpi_osi="!Windows 2020"', "iommu=pt"]
    plan = plan_cmdline_change(current, ['"acpi_osi=!Windows 2020"', "iommu=pt"], ["amdgpu.gttsize"])
    assert plan.args == current and plan.added == [] and plan.removed == []


def test_plan_absent_by_name_or_exact_value():
    current = ["console=tty0", "console=ttyS0,115200", "amdgpu.gttsize=126976", "quiet"]
    assert plan_cmdline_change(current, [], ["console=ttyS0,115200"]).args == \
        ["console=tty0", "amdgpu.gttsize=126976", "quiet"]
    assert plan_cmdline_change(current, [], ["console", "amdgpu.gttsize"]).args == ["quiet"]


def test_managed_arguments_ignore_everything_not_named():
    args = ["BOOT_IMAGE=/vmlinuz", "ro", "iommu=pt", "quiet"]
    assert managed_arguments(args, ["iommu=pt"], ["amdgpu.gttsize"]) == [("iommu", "pt")]


def test_reboot_required_compares_only_managed_arguments():
    running = split_cmdline("BOOT_IMAGE=/vmlinuz root=UUID=1 ro quiet")
    assert reboot_required(["quiet", "pcie_aspm.policy=performance"], running, ["pcie_aspm.policy=performance"], [])
    after = running + ["pcie_aspm.policy=performance"]
    assert not reboot_required(["quiet", "splash", "pcie_aspm.policy=performance"], after,
                               ["pcie_aspm.policy=performance"], [])
    # a removal is pending until the running kernel lost it too
    assert reboot_required(["quiet"], after + ["amdgpu.gttsize=1"], [], ["amdgpu.gttsize"])
    assert not reboot_required(["quiet"], after, [], ["amdgpu.gttsize"])


def test_reboot_required_treats_quoting_styles_as_equal():
    assert not reboot_required(['"acpi_osi=!Windows 2020"'], ['acpi_osi="!Windows 2020"'],
                               ['"acpi_osi=!Windows 2020"'], [])


def test_running_arguments_drop_what_the_bootloader_adds():
    assert running_arguments("BOOT_IMAGE=/vmlinuz initrd=\\EFI\\x root=UUID=1 ro\n") == ["root=UUID=1", "ro"]


# -- issue 11: lists only, shell characters, boot-critical names, - and _ ------------------------------------------

@pytest.mark.parametrize("value", ["memmap=64M$0x10000000", "a=`x`", "a=${X}", "a=1;b", "a=1|b", "a=$(id)",
                                   "a='x'", "a=x\\y", "a=<x>", "a=x&", "a=[x]", "a=#x"])
def test_shell_and_grub_script_characters_are_refused(value):
    from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import validate_request
    with pytest.raises(KernelArgumentError, match="shell and GRUB script characters"):
        validate_request([value], [])
    with pytest.raises(KernelArgumentError, match="shell and GRUB script characters"):
        validate_request([], [value])


@pytest.mark.parametrize("option", ["present", "absent"])
@pytest.mark.parametrize("value", ["iommu=pt", "iommu=pt quiet", {"iommu": "pt"}, 3])
def test_present_and_absent_must_be_lists(option, value):
    from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import validate_request
    with pytest.raises(KernelArgumentError, match="%s must be a list" % option):
        validate_request(value if option == "present" else [], value if option == "absent" else [])


@pytest.mark.parametrize("name", ["root", "ro", "rw", "rootflags=subvol=@", "cryptdevice", "rd.luks.uuid=1",
                                  "resume", "resume-offset", "init", "rd.lvm.lv"])
def test_boot_critical_names_need_the_explicit_option(name):
    from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import validate_request
    with pytest.raises(KernelArgumentError, match="boot-critical"):
        validate_request([], [name])
    assert validate_request([], [name], allow_boot_critical=True) == ([], [name])


def test_names_compare_with_dash_and_underscore_alike():
    from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import (
        matches_absent,
        plan_cmdline_change,
        same_argument,
    )
    assert same_argument("nvme_core.default_ps_max_latency_us=0", "nvme-core.default-ps-max-latency-us=0")
    assert not same_argument("a-b=1", "a_b=2")
    assert matches_absent("transparent_hugepage=always", "transparent-hugepage")
    plan = plan_cmdline_change(["quiet", "amd_pstate=passive"], ["amd-pstate=active"], [])
    assert plan.args == ["quiet", "amd-pstate=active"] and plan.removed == ["amd_pstate=passive"]
