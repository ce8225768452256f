"""The simulated boot runs the ATTR{} writes of matching udev rules (coldplug)."""

import os

from tests.simulation import simulated_boot

CARD = "sys/bus/pci/devices/0000:03:00.0"


def write_rules(host, name, text):
    folder = os.path.join(host, "etc/udev/rules.d")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
        handle.write(text)


def read(host, path):
    with open(os.path.join(host, path), "r", encoding="utf-8") as handle:
        return handle.read()


def test_rule_on_the_drm_card_below_the_pci_address_applies_at_boot(scratch_host):
    host = scratch_host("r9700_desktop")
    write_rules(host, "90-x.rules", 'ACTION=="add", SUBSYSTEM=="drm", KERNEL=="card[0-9]*", ENV{DEVTYPE}=="drm_minor", '
                'KERNELS=="0000:03:00.0", DRIVERS=="amdgpu", ATTR{device/power_dpm_force_performance_level}="high"\n')
    simulated_boot.load(host).reboot()
    assert read(host, CARD + "/power_dpm_force_performance_level") == "high\n"


def test_values_set_without_a_rule_are_gone_after_boot(scratch_host):
    host = scratch_host("r9700_desktop")
    kernel = simulated_boot.load(host)
    kernel.write("/" + CARD + "/power_dpm_force_performance_level", "high")
    kernel.reboot()
    assert read(host, CARD + "/power_dpm_force_performance_level") == "auto\n"


def test_rule_for_another_address_or_driver_does_nothing(scratch_host):
    host = scratch_host("r9700_desktop")
    write_rules(host, "90-x.rules",
                'ACTION=="add", SUBSYSTEM=="drm", KERNELS=="0000:09:00.0", ATTR{device/power_dpm_force_performance_level}="high"\n'
                'ACTION=="add", SUBSYSTEM=="drm", KERNELS=="0000:03:00.0", DRIVERS=="nvidia", '
                'ATTR{device/power_dpm_force_performance_level}="low"\n'
                'ACTION=="remove", SUBSYSTEM=="hwmon", ATTR{power1_cap}="250000000"\n')
    simulated_boot.load(host).reboot()
    assert read(host, CARD + "/power_dpm_force_performance_level") == "auto\n"
    assert read(host, CARD + "/hwmon/hwmon2/power1_cap") == "300000000\n"


def test_kernels_and_drivers_must_match_the_same_parent(scratch_host):
    host = scratch_host("r9700_desktop")
    # 0000:02:00.0 is a parent of the card but is bound to pcieport, not amdgpu.
    write_rules(host, "90-x.rules", 'ACTION=="add", SUBSYSTEM=="hwmon", KERNELS=="0000:02:00.0", DRIVERS=="amdgpu", '
                'ATTR{power1_cap}="250000000"\n')
    simulated_boot.load(host).reboot()
    assert read(host, CARD + "/hwmon/hwmon2/power1_cap") == "300000000\n"


def test_hwmon_and_pci_link_rules_and_not_equal(scratch_host):
    host = scratch_host("rx9070xt_chipset")
    write_rules(host, "90-x.rules",
                'ACTION=="add", SUBSYSTEM=="hwmon", KERNELS=="0000:08:00.0", DRIVERS=="amdgpu", ATTR{power1_cap}="250000000"\n'
                'ACTION=="add", SUBSYSTEM=="pci", KERNEL=="0000:04:00.0|0000:08:00.0", KERNEL!="0000:08:00.0", '
                'ATTR{link/l1_aspm}="0"\n')
    simulated_boot.load(host).reboot()
    assert read(host, "sys/bus/pci/devices/0000:08:00.0/hwmon/hwmon3/power1_cap") == "250000000\n"
    assert read(host, "sys/bus/pci/devices/0000:04:00.0/link/l1_aspm") == "0\n"
    assert read(host, "sys/bus/pci/devices/0000:08:00.0/link/l1_aspm") == "1\n"


def test_a_refused_or_bad_write_is_skipped_like_udev_does(scratch_host):
    host = scratch_host("r9700_desktop")
    write_rules(host, "90-x.rules",
                'ACTION=="add", SUBSYSTEM=="hwmon", KERNELS=="0000:03:00.0", ATTR{power1_cap}="999000000"\n'
                '# comment\n'
                'ACTION=="add", SUBSYSTEM=="drm", KERNEL=="card1", ATTR{device/power_dpm_force_performance_level}="low"\n')
    simulated_boot.load(host).reboot()
    assert read(host, CARD + "/hwmon/hwmon2/power1_cap") == "300000000\n"
    assert read(host, CARD + "/power_dpm_force_performance_level") == "low\n"


def test_later_files_win(scratch_host):
    host = scratch_host("r9700_desktop")
    rule = 'ACTION=="add", SUBSYSTEM=="drm", KERNEL=="card1", ATTR{device/power_dpm_force_performance_level}="%s"\n'
    write_rules(host, "95-late.rules", rule % "low")
    write_rules(host, "10-early.rules", rule % "high")
    simulated_boot.load(host).reboot()
    assert read(host, CARD + "/power_dpm_force_performance_level") == "low\n"
