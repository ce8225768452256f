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


CAPTURE = "/var/tmp/inferops-capture.tar.gz"
REPLAY = "/var/tmp/inferops-capture-replay"


def facts_on_guest(host, sysroot):
    result = host.ansible("inferops.amd.hardware_facts", "sysroot=%s" % sysroot, check=False)
    facts = result["ansible_facts"]["inferops_amd"]
    assert facts.pop("sysroot") == sysroot
    return facts


def test_capture_of_the_real_vm_replays_to_the_same_facts(host):
    """hardware_capture on a real kernel, extracted on the guest: hardware_facts there equals the live one."""
    captured = host.ansible("inferops.amd.hardware_capture", "dest=%s" % CAPTURE, check=False)
    assert not captured.get("failed"), captured
    manifest = captured["manifest"]
    assert manifest["kernel_release"] == host.run("uname -r").stdout.strip()
    host.run_test("rm -rf %s && mkdir -p %s && tar -xzf %s -C %s" % (REPLAY, REPLAY, CAPTURE, REPLAY))
    live = facts_on_guest(host, "/")
    replayed = facts_on_guest(host, REPLAY)
    # A capture is data: its tools are empty 0644 files, so nothing depending on running one is found there.
    assert all(path is None for path in replayed["tools"].values())
    assert replayed["ryzenadj_installed"] is False and replayed["tuned"] is None
    tool_facts = ("tools", "ryzenadj_installed", "tuned")
    assert dict((k, v) for k, v in replayed.items() if k not in tool_facts) == \
        dict((k, v) for k, v in live.items() if k not in tool_facts)
    assert manifest["host_class"] == live["host_class"]
    # sysfs links stay links: readlink -f inside the tree lands where it does on the machine.
    for link in host.run("ls -1 /sys/bus/pci/devices").stdout.split():
        on_machine = host.run("readlink -f /sys/bus/pci/devices/%s" % link).stdout.strip()
        in_tree = host.run("readlink -f %s/sys/bus/pci/devices/%s" % (REPLAY, link)).stdout.strip()
        assert in_tree == REPLAY + on_machine
