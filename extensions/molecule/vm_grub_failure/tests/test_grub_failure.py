"""After a failed bootloader regeneration and a reboot, the VM runs exactly as before."""

RECORDS = "/var/lib/inferops-test"


def read(host, path):
    return host.file(path).content_string


def test_the_vm_came_back_from_a_reboot(host):
    assert read(host, "/proc/sys/kernel/random/boot_id") != read(host, RECORDS + "/boot_id.pristine")


def test_previous_grub_defaults_are_back(host):
    assert read(host, "/etc/default/grub") == read(host, RECORDS + "/grub.pristine")


def test_the_kernel_runs_with_its_old_command_line(host):
    assert read(host, "/proc/cmdline") == read(host, RECORDS + "/cmdline.pristine")
    assert "pcie_aspm.policy=performance" not in read(host, "/proc/cmdline")


def test_grub_cfg_has_no_trace_of_the_failed_change(host):
    assert "pcie_aspm.policy=performance" not in read(host, "/boot/grub/grub.cfg")
