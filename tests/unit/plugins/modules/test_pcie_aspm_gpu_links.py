"""inferops.amd.pcie_aspm with scope=gpu_links: ASPM off on the GPU's links only."""

import os
import shutil

import pytest

from tests.simulation import simulated_boot
from tests.simulation.scratch_host import install_tool
from tests.unit.host_files import expected_file, read_or_none as read
from tests.unit.module_runner import run_module

DEVICES = "sys/bus/pci/devices"
RULES = "etc/udev/rules.d/90-inferops-pcie-aspm-links.rules"
POLICY = "sys/module/pcie_aspm/parameters/policy"
ALL_OFF = {"l1_2_pcipm": 0, "l1_1_pcipm": 0, "l1_2_aspm": 0, "l1_1_aspm": 0, "l1_aspm": 0, "clkpm": 0}

EXPECTED_CHIPSET_RULES = expected_file("pcie-aspm-links-rx9070xt_chipset.rules")


def link(host, bdf):
    folder = os.path.join(host, DEVICES, bdf, "link")
    return dict((name, int(read(host, os.path.join(DEVICES, bdf, "link", name))))
                for name in sorted(os.listdir(folder)))


def gpu_links(host, **extra):
    args = {"sysroot": host, "policy": "performance", "scope": "gpu_links"}
    args.update(extra)
    return args


@pytest.fixture
def chipset(scratch_host):
    return scratch_host("rx9070xt_chipset")


def test_disables_the_three_links_of_the_chipset_gpu_and_nothing_else(chipset):
    nvme_before, nic_before = link(chipset, "0000:01:00.0"), link(chipset, "0000:09:00.0")
    policy_before = read(chipset, POLICY)
    result = run_module("pcie_aspm", gpu_links(chipset))
    assert result["changed"] is True and result["scope"] == "gpu_links"
    assert [(entry["upstream"], entry["device"]) for entry in result["links"]] == [
        ("0000:00:02.1", "0000:04:00.0"), ("0000:05:08.0", "0000:06:00.0"), ("0000:07:00.0", "0000:08:00.0")]
    assert result["links"][0]["changed_files"] == ["l1_1_pcipm", "l1_1_aspm", "l1_aspm", "clkpm"]
    assert result["links"][0]["after"] == ALL_OFF
    assert link(chipset, "0000:04:00.0") == dict((k, 0) for k in ALL_OFF)
    assert link(chipset, "0000:08:00.0") == dict((k, 0) for k in ALL_OFF)
    assert link(chipset, "0000:08:00.1") == dict((k, 0) for k in ALL_OFF)  # the audio function shares the link
    assert link(chipset, "0000:06:00.0") == dict((k, 0) for k in ALL_OFF if k != "clkpm")
    assert link(chipset, "0000:01:00.0") == nvme_before
    assert link(chipset, "0000:09:00.0") == nic_before
    assert read(chipset, POLICY) == policy_before
    assert "kernel_argument" not in result


def test_rule_file_exact_content_and_idempotence(chipset):
    first = run_module("pcie_aspm", gpu_links(chipset))
    assert first["rule_file"] == "/etc/udev/rules.d/90-inferops-pcie-aspm-links.rules"
    assert first["rule_file_changed"] is True
    assert read(chipset, RULES) == EXPECTED_CHIPSET_RULES
    second = run_module("pcie_aspm", gpu_links(chipset))
    assert second["changed"] is False and second["rule_file_changed"] is False
    assert all(entry["changed_files"] == [] for entry in second["links"])


def test_simulated_reboot_disables_the_links_again(chipset):
    run_module("pcie_aspm", gpu_links(chipset))
    simulated_boot.load(chipset).reboot()
    assert link(chipset, "0000:04:00.0")["l1_aspm"] == 0
    assert link(chipset, "0000:08:00.0")["clkpm"] == 0
    assert link(chipset, "0000:01:00.0")["l1_aspm"] == 1
    assert run_module("pcie_aspm", gpu_links(chipset))["changed"] is False


def test_without_persistence_the_links_come_back_at_boot(chipset):
    result = run_module("pcie_aspm", gpu_links(chipset, persist=False))
    assert result["changed"] is True and read(chipset, RULES) is None
    simulated_boot.load(chipset).reboot()
    assert link(chipset, "0000:04:00.0")["l1_aspm"] == 1


def test_policy_default_removes_the_rule_and_reports_the_reboot(chipset):
    run_module("pcie_aspm", gpu_links(chipset))
    result = run_module("pcie_aspm", gpu_links(chipset, policy="default"))
    assert result["changed"] is True and result["rule_file_changed"] is True
    assert result["reboot_required"] is True
    assert read(chipset, RULES) is None
    assert link(chipset, "0000:04:00.0")["l1_aspm"] == 0
    simulated_boot.load(chipset).reboot()
    assert link(chipset, "0000:04:00.0")["l1_aspm"] == 1
    again = run_module("pcie_aspm", gpu_links(chipset, policy="default"))
    assert again["changed"] is False and again["reboot_required"] is False


def test_check_mode_writes_nothing_but_predicts(chipset):
    before = link(chipset, "0000:08:00.0")
    result = run_module("pcie_aspm", gpu_links(chipset), check_mode=True)
    assert result["changed"] is True
    assert result["links"][2]["after"] == ALL_OFF
    assert link(chipset, "0000:08:00.0") == before
    assert read(chipset, RULES) is None


def test_diff_lists_link_files_and_rule_file(chipset):
    live, rules = run_module("pcie_aspm", gpu_links(chipset), diff=True)["diff"]
    assert live["before"].splitlines()[0] == (
        "0000:04:00.0: clkpm=1 l1_1_aspm=1 l1_1_pcipm=1 l1_2_aspm=0 l1_2_pcipm=0 l1_aspm=1")
    assert live["after"].splitlines()[2] == (
        "0000:08:00.0: clkpm=0 l1_1_aspm=0 l1_1_pcipm=0 l1_2_aspm=0 l1_2_pcipm=0 l1_aspm=0")
    assert rules["after"] == EXPECTED_CHIPSET_RULES and rules["before"] == ""


def test_only_the_chosen_link_states(chipset):
    result = run_module("pcie_aspm", gpu_links(chipset, link_states=["l1_aspm"]))
    assert [entry["changed_files"] for entry in result["links"]] == [["l1_aspm"], ["l1_aspm"], ["l1_aspm"]]
    # aspm_attr_store_common(): L1 off takes the L1 substates with it, and the prediction says so
    assert link(chipset, "0000:04:00.0")["l1_1_aspm"] == 0
    assert result["links"][0]["after"]["l1_1_aspm"] == 0
    assert 'ATTR{link/l1_aspm}="0"\n' in read(chipset, RULES)
    assert "l1_1_aspm" not in read(chipset, RULES)


def test_r9700_root_port_link_has_no_clock_pm(scratch_host):
    host = scratch_host("r9700_desktop")
    result = run_module("pcie_aspm", gpu_links(host))
    assert [(entry["upstream"], entry["device"]) for entry in result["links"]] == [
        ("0000:00:01.1", "0000:01:00.0"), ("0000:02:00.0", "0000:03:00.0")]
    # the card's switch upstream port advertises L1 without ClockPM or L0s
    assert "clkpm" not in result["links"][0]["after"] and "clkpm" in result["links"][1]["after"]
    assert set(result["links"][0]["after"].values()) == {0}
    assert set(link(host, "0000:01:00.0").values()) == {0}
    simulated_boot.load(host).reboot()
    assert set(link(host, "0000:03:00.0").values()) == {0}


def empty_gpu_link(host, bdf):
    folder = os.path.realpath(os.path.join(host, DEVICES, bdf, "link"))
    shutil.rmtree(folder)
    os.mkdir(folder)


def test_empty_link_folder_fails_with_the_reason(chipset):
    empty_gpu_link(chipset, "0000:08:00.0")
    result = run_module("pcie_aspm", gpu_links(chipset), expect_failure=True)
    assert result["msg"].startswith("GPU 0000:08:00.0 has no per-link ASPM controls "
                                    "(/sys/bus/pci/devices/0000:08:00.0/link/ is empty)")
    assert link(chipset, "0000:04:00.0")["l1_aspm"] == 1
    assert read(chipset, RULES) is None


def test_empty_link_folder_can_be_skipped(chipset):
    empty_gpu_link(chipset, "0000:08:00.0")
    result = run_module("pcie_aspm", gpu_links(chipset, on_missing_link_controls="skip"))
    assert result["changed"] is False and result["links"] == []
    assert "0000:08:00.0 has no per-link ASPM controls" in result["skipped_reason"]
    assert read(chipset, RULES) is None


def test_powersave_is_not_a_gpu_links_policy(chipset):
    result = run_module("pcie_aspm", gpu_links(chipset, policy="powersave"), expect_failure=True)
    assert result["msg"].startswith("policy 'powersave' is not available with scope=gpu_links")


def test_no_amd_gpu_fails(scratch_host):
    result = run_module("pcie_aspm", gpu_links(scratch_host("no_amd_gpu")), expect_failure=True)
    assert result["msg"].startswith("no AMD GPU")


def test_udev_reload_runs_when_the_rule_file_changes(chipset):
    install_tool(chipset, "udevadm", "/usr/bin")
    assert run_module("pcie_aspm", gpu_links(chipset))["udev_reloaded"] is True
    assert run_module("pcie_aspm", gpu_links(chipset))["udev_reloaded"] is False
    assert len(read(chipset, "var/log/udevadm.log").splitlines()) == 1


def test_global_scope_still_sets_the_policy_file(chipset):
    result = run_module("pcie_aspm", {"sysroot": chipset, "policy": "performance"})
    assert result["scope"] == "global" and result["kernel_argument"] == "pcie_aspm.policy=performance"
    assert read(chipset, POLICY) == "default [performance] powersave powersupersave \n"
    assert read(chipset, RULES) is None


def test_integrated_gpu_has_no_link_to_change(scratch_host):
    host = scratch_host("strix_halo_laptop_64g")
    nvme_before = link(host, "0000:c3:00.0")
    result = run_module("pcie_aspm", gpu_links(host))
    assert result["changed"] is False and result["links"] == []
    assert result["skipped_reason"] == (
        "integrated GPU 0000:c5:00.0 sits on the SoC's internal bus, not behind a PCIe link; nothing to change")
    assert link(host, "0000:c3:00.0") == nvme_before
    assert read(host, RULES) is None


def test_every_recorded_host_succeeds_or_fails_clearly(any_host):
    profile, host = any_host
    fails = profile == "no_amd_gpu"
    result = run_module("pcie_aspm", gpu_links(host), check_mode=True, expect_failure=fails)
    if profile == "no_amd_gpu":
        assert result["msg"].startswith("no AMD GPU")
    else:
        assert result["scope"] == "gpu_links"
