"""pcie_aspm: the policy file changes exactly as the kernel shows it."""

import os
import shutil

from tests.unit.module_runner import run_module

POLICY = "sys/module/pcie_aspm/parameters/policy"


def policy_file(root):
    with open(os.path.join(root, POLICY)) as handle:
        return handle.read()


def test_sets_performance_and_moves_the_brackets(scratch_host):
    root = scratch_host("r9700_desktop")
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "performance"})
    assert result["changed"] is True
    assert result["previous"] == "default" and result["policy"] == "performance"
    assert result["kernel_argument"] == "pcie_aspm.policy=performance"
    assert policy_file(root) == "default [performance] powersave powersupersave \n"


def test_second_run_changes_nothing(scratch_host):
    root = scratch_host("rx9070xt_chipset")
    run_module("pcie_aspm", {"sysroot": root, "policy": "performance"})
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "performance"})
    assert result["changed"] is False
    assert result["previous"] == "performance"


def test_check_mode_predicts_and_writes_nothing(scratch_host):
    root = scratch_host("strix_halo_128g")
    before = policy_file(root)
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "powersave"}, check_mode=True, diff=True)
    assert result["changed"] is True and result["policy"] == "powersave"
    assert result["diff"] == {"before_header": "/" + POLICY, "after_header": "/" + POLICY,
                              "before": "policy: default\n", "after": "policy: powersave\n"}
    assert policy_file(root) == before


def test_no_diff_when_nothing_changes(scratch_host):
    root = scratch_host("r9700_desktop")
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "default"}, diff=True)
    assert result["changed"] is False and "diff" not in result


def test_firmware_lock_fails_with_the_reason(scratch_host):
    root = scratch_host("aspm_locked")
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "performance"}, expect_failure=True)
    assert "forbids ASPM changes" in result["msg"] and "EPERM" in result["msg"]
    assert result["changed"] is False and result["policy"] == "default"
    assert policy_file(root) == "[default] performance powersave powersupersave \n"


def test_firmware_lock_can_be_a_reported_skip(scratch_host):
    root = scratch_host("aspm_locked")
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "performance", "on_forbidden": "skip"})
    assert result["changed"] is False
    assert "forbids ASPM changes" in result["skipped_reason"]


def test_check_mode_finds_the_firmware_lock_with_the_no_op_probe(scratch_host):
    root = scratch_host("aspm_locked")
    # The firmware refused OS control after the PCI scan made the link files: they are there.
    assert os.path.isfile(os.path.join(root, "sys/bus/pci/devices/0000:03:00.0/link/l1_aspm"))
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "performance", "on_forbidden": "skip"},
                        check_mode=True, diff=True)
    assert result["changed"] is False and "diff" not in result
    assert "forbids ASPM changes" in result["skipped_reason"] and "EPERM" in result["skipped_reason"]
    failed = run_module("pcie_aspm", {"sysroot": root, "policy": "performance"}, check_mode=True, expect_failure=True)
    assert "forbids ASPM changes" in failed["msg"]
    assert policy_file(root) == "[default] performance powersave powersupersave \n"


def test_check_mode_predicts_a_change_where_the_probe_is_accepted(scratch_host):
    root = scratch_host("r9700_desktop")
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "performance"}, check_mode=True)
    assert result["changed"] is True and "skipped_reason" not in result
    assert policy_file(root) == "[default] performance powersave powersupersave \n"


def test_check_mode_without_link_files_is_not_taken_for_a_lock(scratch_host):
    # Links that support no ASPM state show no files (a QEMU guest); only the probe decides.
    root = scratch_host("r9700_desktop")
    for device in ("0000:01:00.0", "0000:03:00.0", "0000:03:00.1"):
        shutil.rmtree(os.path.realpath(os.path.join(root, "sys/bus/pci/devices", device, "link")))
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "performance"}, check_mode=True)
    assert result["changed"] is True and "skipped_reason" not in result


def test_check_mode_on_a_plain_tree_writes_nothing_and_predicts_the_change(scratch_host):
    root = scratch_host("aspm_locked")
    os.unlink(os.path.join(root, "usr/libexec/inferops/sysfs-write"))  # an extracted capture: no attribute writer
    before = os.stat(os.path.join(root, POLICY))
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "performance"}, check_mode=True)
    assert result["changed"] is True
    assert policy_file(root) == "[default] performance powersave powersupersave \n"
    assert os.stat(os.path.join(root, POLICY)).st_mtime_ns == before.st_mtime_ns


def test_unknown_policy_is_rejected_before_anything_is_touched(scratch_host):
    root = scratch_host("r9700_desktop")
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "turbo"}, expect_failure=True)
    assert "turbo" in result["msg"] and "performance" in result["msg"]
    assert policy_file(root) == "[default] performance powersave powersupersave \n"


def test_policy_not_offered_by_this_kernel(scratch_host):
    root = scratch_host("r9700_desktop")
    with open(os.path.join(root, POLICY), "w") as handle:
        handle.write("[default] performance powersave \n")
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "powersupersave"}, expect_failure=True)
    assert "'powersupersave' is not offered" in result["msg"] and "default, performance, powersave" in result["msg"]


def test_missing_policy_file(scratch_host):
    root = scratch_host("no_amd_gpu")
    os.unlink(os.path.join(root, POLICY))
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "performance"}, expect_failure=True)
    assert "CONFIG_PCIEASPM" in result["msg"]


def test_garbage_in_the_policy_file(scratch_host):
    root = scratch_host("r9700_desktop")
    with open(os.path.join(root, POLICY), "w") as handle:
        handle.write("\x00garbage\n")
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "performance"}, expect_failure=True)
    assert "unexpected content" in result["msg"]


def test_read_only_sysfs_is_a_clear_failure(scratch_host):
    from tests.simulation import simulated_boot
    root = scratch_host("r9700_desktop")
    kernel = simulated_boot.load(root)
    kernel.config["refuse"] = {"/" + POLICY: "EROFS"}
    kernel.save_config()
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "performance"}, expect_failure=True)
    assert "EROFS" in result["msg"] and "read-only" in result["msg"]


def test_policy_survives_reboot_only_through_the_command_line(scratch_host):
    from tests.simulation import simulated_boot
    root = scratch_host("r9700_desktop")
    run_module("pcie_aspm", {"sysroot": root, "policy": "performance"})
    simulated_boot.load(root).reboot()
    assert policy_file(root) == "[default] performance powersave powersupersave \n"
    assert run_module("pcie_aspm", {"sysroot": root, "policy": "performance"})["changed"] is True
