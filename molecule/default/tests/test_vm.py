"""What a user of the collection fears most, checked on a real VM after converge.

The guest booted through its own GRUB, converge changed the kernel command line and rebooted;
these tests read the running kernel and the files on the guest (prepare.yml kept the pristine
copies under /var/lib/inferops-test/).
"""

import re

MANAGED_ARGUMENT = "pcie_aspm.policy=performance"
RECORDS = "/var/lib/inferops-test"
CMDLINE_KEY = "GRUB_CMDLINE_LINUX_DEFAULT"


def read(host, path):
    return host.file(path).content_string


def grub_value(text, key):
    match = re.search(r'^%s="([^"]*)"' % key, text, re.M)
    assert match, "%s missing from /etc/default/grub:\n%s" % (key, text)
    return match.group(1).split()


def test_the_vm_rebooted_after_converge(host):
    assert read(host, "/proc/sys/kernel/random/boot_id") != read(host, RECORDS + "/boot_id.pristine")


def test_the_kernel_booted_through_grub_not_direct_kernel_boot(host):
    # BOOT_IMAGE= is set by GRUB's linux command; qemu's -kernel does not set it.
    assert read(host, "/proc/cmdline").startswith("BOOT_IMAGE=")


def test_running_kernel_has_the_managed_argument(host):
    assert MANAGED_ARGUMENT in read(host, "/proc/cmdline").split()


def test_running_kernel_kept_the_arguments_it_had(host):
    before = read(host, RECORDS + "/cmdline.pristine").split()
    after = read(host, "/proc/cmdline").split()
    assert [arg for arg in after if arg != MANAGED_ARGUMENT] == before


def test_aspm_policy_is_performance(host):
    policy = read(host, "/sys/module/pcie_aspm/parameters/policy")
    assert "[performance]" in policy.split()


def test_grub_defaults_changed_only_the_managed_line(host):
    pristine = read(host, RECORDS + "/grub.pristine").splitlines()
    current = read(host, "/etc/default/grub").splitlines()

    def others(lines):
        return [line for line in lines if not line.startswith(CMDLINE_KEY + "=")]

    assert others(current) == others(pristine)


def test_grub_defaults_kept_the_other_arguments_and_added_ours(host):
    pristine = grub_value(read(host, RECORDS + "/grub.pristine"), CMDLINE_KEY)
    current = grub_value(read(host, "/etc/default/grub"), CMDLINE_KEY)
    assert [arg for arg in current if arg != MANAGED_ARGUMENT] == pristine
    assert current.count(MANAGED_ARGUMENT) == 1


def test_grub_cfg_boots_with_the_managed_argument(host):
    assert MANAGED_ARGUMENT in read(host, "/boot/grub/grub.cfg")


def test_a_backup_of_the_pristine_grub_defaults_exists(host):
    pristine = read(host, RECORDS + "/grub.pristine")
    listing = host.run("ls -1 /etc/default/").stdout.split()
    backups = [name for name in listing if name.startswith("grub") and name != "grub"]
    contents = [read(host, "/etc/default/" + name) for name in backups
                if host.file("/etc/default/" + name).is_file]
    assert pristine in contents, "no backup equal to the pristine file among %s" % backups
