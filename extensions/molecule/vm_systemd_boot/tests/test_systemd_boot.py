"""A UEFI VM booted through Debian's systemd-boot, after converge, idempotence and a failed change.

converge (site.yml) put the ASPM argument on the command line and rebooted; side_effect.yml
then made kernel-install fail while adding another argument and rebooted again. These tests
read the running kernel, the firmware variables systemd-boot sets and the files on the ESP,
against the records prepare.yml and side_effect.yml kept under /var/lib/inferops-test/.
"""

import json
import os

MANAGED_ARGUMENT = "pcie_aspm.policy=performance"
FAILED_ARGUMENT = "inferops.kernel_install_failure=1"
RECORDS = "/var/lib/inferops-test"
ENTRIES = "/boot/efi/loader/entries"
# systemd's Boot Loader Interface vendor GUID (docs/BOOT_LOADER_INTERFACE.md)
LOADER_GUID = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"


def read(host, path):
    return host.file(path).content_string


def efi_variable(host, name):
    """A string variable from efivarfs: 4 bytes of attributes, then UTF-16LE text."""
    raw = host.file("/sys/firmware/efi/efivars/%s-%s" % (name, LOADER_GUID)).content
    return raw[4:].decode("utf-16-le").rstrip("\0")


def entries(host, folder):
    """{file name: text} of the *.conf loader entries in a folder."""
    names = host.run("ls -1 %s" % folder).stdout.split()
    return {name: read(host, os.path.join(folder, name)) for name in names if name.endswith(".conf")}


def options(entry_text):
    """The kernel arguments of a type #1 entry: all its `options` lines, in order."""
    found = []
    for line in entry_text.splitlines():
        key, _sep, value = line.strip().partition(" ")
        if key == "options":
            found += value.split()
    return found


def other_lines(entry_text):
    return [line for line in entry_text.splitlines() if line.split()[:1] != ["options"]]


def booted_entry(host):
    selected = efi_variable(host, "LoaderEntrySelected")
    name = selected if selected.endswith(".conf") else selected + ".conf"
    return name, read(host, os.path.join(ENTRIES, name))


def test_the_firmware_booted_systemd_boot(host):
    assert host.file("/sys/firmware/efi").is_directory
    assert efi_variable(host, "LoaderInfo").startswith("systemd-boot")


def test_the_vm_rebooted_after_converge_and_after_the_failure(host):
    now = read(host, "/proc/sys/kernel/random/boot_id")
    assert now != read(host, RECORDS + "/boot_id.pristine")
    assert now != read(host, RECORDS + "/boot_id.before-failure")


def test_running_kernel_has_the_managed_argument_once(host):
    assert read(host, "/proc/cmdline").split().count(MANAGED_ARGUMENT) == 1


def others(args):
    """Arguments other than the managed one; the failed change's argument has its own tests."""
    return [arg for arg in args if arg not in (MANAGED_ARGUMENT, FAILED_ARGUMENT)]


def test_running_kernel_kept_the_arguments_it_had(host):
    before = read(host, RECORDS + "/cmdline.pristine").split()
    after = read(host, "/proc/cmdline").split()
    assert others(after) == before


def test_aspm_policy_is_performance(host):
    policy = read(host, "/sys/module/pcie_aspm/parameters/policy")
    assert "[performance]" in policy.split()


def test_the_booted_entry_carries_the_managed_argument_and_kept_the_others(host):
    name, text = booted_entry(host)
    pristine = entries(host, RECORDS + "/entries.pristine")
    assert name in pristine, "booted %s, not one of the entries the image had: %s" % (name, sorted(pristine))
    assert options(text).count(MANAGED_ARGUMENT) == 1
    assert others(options(text)) == options(pristine[name])


def test_entries_changed_only_in_their_options_and_none_appeared(host):
    pristine = entries(host, RECORDS + "/entries.pristine")
    current = entries(host, ENTRIES)
    assert sorted(current) == sorted(pristine)
    for name, text in current.items():
        assert other_lines(text) == other_lines(pristine[name]), name


def test_bootctl_lists_the_entry_with_the_argument(host):
    listing = host.run("bootctl --no-pager list")
    assert listing.rc == 0, listing.stderr
    assert MANAGED_ARGUMENT in listing.stdout


def test_kernel_cmdline_failed_naming_kernel_install_and_its_error(host):
    result = json.loads(read(host, RECORDS + "/failure-result.json"))
    assert result["task_failed"], "kernel_cmdline succeeded although kernel-install fails: %s" % result
    assert "kernel-install" in result["msg"] and "simulated failure" in result["msg"], result["msg"]


def test_the_failed_change_left_no_trace(host):
    assert FAILED_ARGUMENT not in read(host, "/proc/cmdline")
    for name, text in entries(host, ENTRIES).items():
        assert FAILED_ARGUMENT not in text, name
    if host.file("/etc/kernel/cmdline").exists:
        assert FAILED_ARGUMENT not in read(host, "/etc/kernel/cmdline")
    assert not host.file("/etc/kernel/install.d/95-inferops-fail.install").exists


def test_entries_after_the_failure_are_the_entries_before_it(host):
    assert entries(host, ENTRIES) == entries(host, RECORDS + "/entries.before-failure")


def test_no_file_on_the_esp_or_in_etc_kernel_changed_by_the_failure(host):
    before = read(host, RECORDS + "/files.before-failure")
    after = read(host, RECORDS + "/files.after-failure")
    assert after == before


def test_the_kernel_booted_after_the_failure_with_the_same_command_line(host):
    assert read(host, "/proc/cmdline") == read(host, RECORDS + "/cmdline.before-failure")
