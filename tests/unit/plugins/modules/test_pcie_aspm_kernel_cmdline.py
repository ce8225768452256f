"""pcie_aspm with kernel_cmdline: the policy and its boot argument in one module run.

The command line half must leave exactly what inferops.amd.kernel_cmdline would: each test
that writes it asks kernel_cmdline (check mode) afterwards, and a simulated reboot shows
whether the kernel comes back with the policy.
"""

import json
import os

from tests.simulation import simulated_boot
from tests.unit.module_runner import run_module

ASPM = "pcie_aspm.policy=performance"
POLICY = "sys/module/pcie_aspm/parameters/policy"
OWNERS = "var/lib/inferops.amd/kernel_cmdline.json"


def read(root, path):
    with open(os.path.join(root, path.lstrip("/"))) as handle:
        return handle.read()


def aspm(root, check_mode=False, diff=False, expect_failure=False, **extra):
    args = {"sysroot": root, "policy": "performance", "kernel_cmdline": {"owner": "rdna4_aspm"}}
    args.update(extra)
    return run_module("pcie_aspm", args, check_mode=check_mode, diff=diff, expect_failure=expect_failure)


def kernel_cmdline_would_change(root, present):
    return run_module("kernel_cmdline", {"sysroot": root, "present": present}, check_mode=True)["changed"]


def test_sets_the_policy_and_its_argument_in_one_run(scratch_host):
    root = scratch_host("r9700_desktop")
    result = aspm(root)
    assert result["changed"] is True and result["policy"] == "performance"
    cmdline = result["kernel_cmdline"]
    assert cmdline["bootloader"] == "grub" and cmdline["added"] == [ASPM] and cmdline["removed"] == []
    assert cmdline["reboot_required"] is True and ASPM not in cmdline["running"]
    assert os.path.exists(os.path.join(root, cmdline["backup_file"].lstrip("/")))
    assert ASPM in read(root, "/etc/default/grub")
    assert json.loads(read(root, OWNERS))["owners"]["rdna4_aspm"] == [ASPM]
    assert kernel_cmdline_would_change(root, [ASPM]) is False
    simulated_boot.load(root).reboot()
    assert read(root, POLICY) == "default [performance] powersave powersupersave \n"


def test_second_run_changes_nothing_on_either_half(scratch_host):
    root = scratch_host("rx9070xt_chipset")
    aspm(root)
    result = aspm(root)
    assert result["changed"] is False and result["kernel_cmdline"]["changed"] is False
    assert result["kernel_cmdline"]["added"] == [] and result["kernel_cmdline"]["commands"] == []


def test_check_mode_predicts_both_halves_and_writes_nothing(scratch_host):
    root = scratch_host("r9700_desktop")
    grub, policy = read(root, "/etc/default/grub"), read(root, POLICY)
    result = aspm(root, check_mode=True, diff=True)
    assert result["changed"] is True and result["kernel_cmdline"]["added"] == [ASPM]
    headers = [item["before_header"] for item in result["diff"]]
    assert headers == ["/" + POLICY, "/etc/default/grub"]
    assert ASPM in result["diff"][1]["after"] and ASPM not in result["diff"][1]["before"]
    assert read(root, "/etc/default/grub") == grub and read(root, POLICY) == policy
    assert not os.path.exists(os.path.join(root, OWNERS))


def test_only_the_command_line_missing_is_a_change_too(scratch_host):
    root = scratch_host("r9700_desktop")
    run_module("pcie_aspm", {"sysroot": root, "policy": "performance"})
    result = aspm(root, diff=True)
    assert result["changed"] is True and result["previous"] == "performance"
    assert [item["before_header"] for item in result["diff"]] == ["/etc/default/grub"]


def test_a_skipped_policy_leaves_the_command_line_alone(scratch_host):
    root = scratch_host("aspm_locked")
    grub = read(root, "/etc/default/grub")
    result = aspm(root, on_forbidden="skip")
    assert result["changed"] is False and "skipped_reason" in result and "kernel_cmdline" not in result
    assert read(root, "/etc/default/grub") == grub


def test_gpu_links_takes_off_what_the_global_mode_put_on(scratch_host):
    root = scratch_host("rx9070xt_chipset")
    aspm(root)
    result = aspm(root, scope="gpu_links")
    assert result["changed"] is True
    assert result["kernel_cmdline"]["removed"] == [ASPM] and result["kernel_cmdline"]["released"] == [ASPM]
    assert ASPM not in read(root, "/etc/default/grub")
    assert aspm(root, scope="gpu_links")["changed"] is False


def test_gpu_links_never_removes_an_argument_the_owner_did_not_add(scratch_host):
    root = scratch_host("rx9070xt_chipset")
    run_module("kernel_cmdline", {"sysroot": root, "present": [ASPM]})
    result = aspm(root, scope="gpu_links")
    assert result["kernel_cmdline"]["removed"] == [] and ASPM in read(root, "/etc/default/grub")


def test_a_failed_bootloader_update_fails_and_says_the_policy_was_written(scratch_host):
    root = scratch_host("r9700_desktop")
    kernel = simulated_boot.load(root)
    kernel.config["fail_tools"] = {"update-grub": "/etc/grub.d/10_linux: simulated failure"}
    kernel.save_config()
    grub = read(root, "/etc/default/grub")
    result = aspm(root, expect_failure=True)
    assert result["msg"].startswith("the ASPM setting is made, but the kernel command line was not: grub bootloader")
    assert "simulated failure" in result["msg"]
    # The runtime policy was written, the GRUB defaults were put back: changed says the first.
    assert result["changed"] is True and result["kernel_cmdline"]["changed"] is False
    assert result["kernel_cmdline"]["failed"] is True
    assert read(root, POLICY) == "default [performance] powersave powersupersave \n"
    assert read(root, "/etc/default/grub") == grub


def test_without_the_option_the_command_line_is_not_touched(scratch_host):
    root = scratch_host("r9700_desktop")
    grub = read(root, "/etc/default/grub")
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "performance"})
    assert "kernel_cmdline" not in result and read(root, "/etc/default/grub") == grub
