"""Per-link ASPM controls on the path from the root port to each AMD GPU."""

import os
import shutil

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._pci import links as pcie_links
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot
from tests.unit.host_files import expected_file, refuse

CHIPSET_GPU = "0000:08:00.0"
ALL_OFF = {"l1_2_pcipm": 0, "l1_1_pcipm": 0, "l1_2_aspm": 0, "l1_1_aspm": 0, "l1_aspm": 0, "clkpm": 0}

EXPECTED_CHIPSET_RULES = expected_file("pcie-aspm-links-rx9070xt_chipset.rules")


@pytest.fixture
def chipset(scratch_host):
    return SysRoot(scratch_host("rx9070xt_chipset"))


def test_read_link_states_in_write_order_and_only_present_files(chipset):
    assert pcie_links.read_link_states(chipset, "0000:04:00.0") == {
        "l1_2_pcipm": 0, "l1_1_pcipm": 1, "l1_2_aspm": 0, "l1_1_aspm": 1, "l1_aspm": 1, "clkpm": 1}
    assert pcie_links.read_link_states(chipset, "0000:05:08.0") == {}


def test_path_devices_pair_each_device_with_its_parent(chipset):
    assert pcie_links.gpu_path_devices(chipset, CHIPSET_GPU) == [
        ("0000:04:00.0", "0000:00:02.1"), ("0000:05:08.0", "0000:04:00.0"), ("0000:06:00.0", "0000:05:08.0"),
        ("0000:07:00.0", "0000:06:00.0"), ("0000:08:00.0", "0000:07:00.0")]


def test_chipset_gpu_has_three_links_and_the_nvme_is_not_one(chipset):
    # root port -> chipset, chipset port -> the card's own switch, switch -> GPU
    ends, missing = pcie_links.find_gpu_links(chipset)
    assert missing == []
    assert [(end.upstream, end.bdf, end.gpus) for end in ends] == [
        ("0000:00:02.1", "0000:04:00.0", [CHIPSET_GPU]), ("0000:05:08.0", "0000:06:00.0", [CHIPSET_GPU]),
        ("0000:07:00.0", "0000:08:00.0", [CHIPSET_GPU])]


def test_r9700_links_skip_the_switch_internal_port(scratch_host):
    root = SysRoot(scratch_host("r9700_desktop"))
    ends, _missing = pcie_links.find_gpu_links(root)
    assert [(end.upstream, end.bdf) for end in ends] == [
        ("0000:00:01.1", "0000:01:00.0"), ("0000:02:00.0", "0000:03:00.0")]
    # the card's switch upstream port advertises L1 without ClockPM (and no L0s) on the root port link
    assert "clkpm" not in ends[0].states and "l0s_aspm" not in ends[0].states and "clkpm" in ends[1].states


def test_plan_disables_only_files_that_read_one(chipset):
    ends, _missing = pcie_links.find_gpu_links(chipset)
    writes = pcie_links.plan_disable(ends)
    assert [(end.bdf, name) for end, name in writes] == [
        ("0000:04:00.0", "l1_1_pcipm"), ("0000:04:00.0", "l1_1_aspm"), ("0000:04:00.0", "l1_aspm"),
        ("0000:04:00.0", "clkpm"),
        ("0000:06:00.0", "l1_1_pcipm"), ("0000:06:00.0", "l1_1_aspm"), ("0000:06:00.0", "l1_aspm"),
        ("0000:08:00.0", "l1_1_pcipm"), ("0000:08:00.0", "l1_1_aspm"), ("0000:08:00.0", "l1_aspm"),
        ("0000:08:00.0", "clkpm")]
    only_l1 = pcie_links.plan_disable(ends, ["l1_aspm"])
    assert [(end.bdf, name) for end, name in only_l1] == [
        ("0000:04:00.0", "l1_aspm"), ("0000:06:00.0", "l1_aspm"), ("0000:08:00.0", "l1_aspm")]


def test_apply_disable_writes_zero_and_leaves_other_links(chipset):
    ends, _missing = pcie_links.find_gpu_links(chipset)
    writes = pcie_links.plan_disable(ends)
    pcie_links.apply_disable(chipset, writes)
    assert pcie_links.read_link_states(chipset, "0000:04:00.0") == ALL_OFF
    assert pcie_links.read_link_states(chipset, "0000:08:00.0") == ALL_OFF
    assert pcie_links.read_link_states(chipset, "0000:08:00.1") == ALL_OFF  # the audio function shares the link
    assert pcie_links.read_link_states(chipset, "0000:06:00.0") == dict((k, 0) for k in ALL_OFF if k != "clkpm")
    assert pcie_links.read_link_states(chipset, "0000:01:00.0")["l1_aspm"] == 1
    assert pcie_links.read_link_states(chipset, "0000:09:00.0")["l1_aspm"] == 1
    links = pcie_links.describe_links(ends, writes)
    assert links[0]["changed_files"] == ["l1_1_pcipm", "l1_1_aspm", "l1_aspm", "clkpm"]
    assert links[0]["after"] == ALL_OFF


def test_refused_link_write_names_the_link(scratch_host):
    host = scratch_host("rx9070xt_chipset")
    refuse(host, "*/0000:04:00.0/link/*", "EPERM")
    root = SysRoot(host)
    ends, _missing = pcie_links.find_gpu_links(root)
    with pytest.raises(pcie_links.PcieLinkError) as caught:
        pcie_links.apply_disable(root, pcie_links.plan_disable(ends))
    assert "disabling l1_1_pcipm on the link 0000:00:02.1 <-> 0000:04:00.0 failed" in str(caught.value)
    assert str(caught.value).endswith("(the firmware or kernel keeps ASPM control)")


def test_empty_link_folder_like_qemu_is_missing_controls(scratch_host):
    host = scratch_host("rx9070xt_chipset")
    link = os.path.join(host, "sys/bus/pci/devices", CHIPSET_GPU, "link")
    shutil.rmtree(os.path.realpath(link))
    os.mkdir(os.path.realpath(link))
    ends, missing = pcie_links.find_gpu_links(SysRoot(host))
    assert ends == []
    assert [item.gpu for item in missing] == [CHIPSET_GPU]
    assert missing[0].message.startswith(
        "GPU 0000:08:00.0 has no per-link ASPM controls (/sys/bus/pci/devices/0000:08:00.0/link/ is empty)")
    assert "use scope=global instead" in missing[0].message


def test_render_rules_exact_content(chipset):
    ends, _missing = pcie_links.find_gpu_links(chipset)
    assert pcie_links.render_rules(ends) == EXPECTED_CHIPSET_RULES


def test_render_rules_without_links_is_no_file():
    assert pcie_links.render_rules([]) is None


def test_discrete_and_integrated_gpus(scratch_host, chipset):
    assert pcie_links.discrete_gpus(chipset) == ([CHIPSET_GPU], [])
    assert pcie_links.discrete_gpus(SysRoot(scratch_host("strix_halo_128g"))) == ([], ["0000:c5:00.0"])


def test_unknown_device_id_is_classed_by_gfx_target(scratch_host):
    root = SysRoot(scratch_host("strix_halo_128g"))
    with open(root.path("/sys/bus/pci/devices/0000:c5:00.0/device"), "w") as handle:
        handle.write("0x15ff\n")
    assert pcie_links.discrete_gpus(root) == ([], ["0000:c5:00.0"])
