"""PCI devices: ids, link status and the bridge chain read from the resolved sysfs path."""

from ansible_collections.inferops.amd.plugins.module_utils._pci import devices as pci_devices
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot


def test_bridge_chain_through_the_cards_own_switch(scratch_host):
    root = SysRoot(scratch_host("r9700_desktop"))
    assert pci_devices.bridge_chain(root, "0000:03:00.0") == ["0000:00:01.1", "0000:01:00.0", "0000:02:00.0"]


def test_bridge_chain_through_a_chipset_switch(scratch_host):
    root = SysRoot(scratch_host("rx9070xt_chipset"))
    assert pci_devices.bridge_chain(root, "0000:08:00.0") == [
        "0000:00:02.1", "0000:04:00.0", "0000:05:08.0", "0000:06:00.0", "0000:07:00.0"]
    assert pci_devices.bridge_chain(root, "0000:00:02.1") == []


def test_link_status_reads_speed_and_width(scratch_host):
    root = SysRoot(scratch_host("rx9070xt_chipset"))
    assert pci_devices.link_status(root, "0000:08:00.0") == {
        "current_speed": "16.0 GT/s PCIe", "current_width": 4, "max_speed": "32.0 GT/s PCIe", "max_width": 16}


def test_missing_attributes_are_none(scratch_host):
    root = SysRoot(scratch_host("r9700_desktop"))
    assert pci_devices.link_status(root, "0000:00:00.0") == {
        "current_speed": None, "current_width": None, "max_speed": None, "max_width": None}
    assert pci_devices.class_code(root, "0000:99:00.0") is None


def test_display_class_detection(scratch_host):
    root = SysRoot(scratch_host("r9700_desktop"))
    assert pci_devices.is_display(root, "0000:03:00.0")
    assert not pci_devices.is_display(root, "0000:03:00.1")
    assert not pci_devices.is_display(root, "0000:01:00.0")


def test_garbled_class_is_not_display(tmp_path):
    device = tmp_path / "sys" / "bus" / "pci" / "devices" / "0000:01:00.0"
    device.mkdir(parents=True)
    (device / "class").write_text("VGA\n")
    assert not pci_devices.is_display(SysRoot(str(tmp_path)), "0000:01:00.0")


def test_is_bdf():
    assert pci_devices.is_bdf("0000:c5:00.0")
    assert not pci_devices.is_bdf("c5:00.0")
    assert not pci_devices.is_bdf("0000:c5:00.8")
