"""kernel_cmdline with a unified kernel image built by the real kernel-install and ukify (Debian unstable).

The unit tests drive a kernel-install stand-in (tests/simulation/tools/kernel-install); here Debian
unstable's own systemd 262 does the work in the container of tests/debian_unstable/host.py: its
kernel-install with ``layout=uki`` runs 60-ukify.install (systemd-ukify, with the systemd-stub of
systemd-boot-efi) and 90-uki-copy.install, which puts ``<machine-id>-<version>.efi`` into
``/boot/EFI/Linux``.  There is no kernel to boot in a container: the "kernel" is a file of random
bytes, which ukify embeds as ``.linux`` all the same; what is checked is the command line, which
``ukify inspect`` (the real tool) reads back from the UKI.  Booting such a UKI is the VM's part.

The module runs through Ansible (testinfra's ansible backend over the test connection), with no
simulation switch: a real system at ``/``.
"""

import json

import pytest

from tests.debian_unstable.conftest import container_host

CONTAINER = "inferops-unstable-uki"
VERSION = "6.17.0-inferops-test"
KERNEL = "/usr/lib/modules/%s/vmlinuz" % VERSION
CMDLINE = "root=UUID=0c6f3b1e-5a7d-4d8e-9b2f-3e1a6c9d8f72 ro quiet"
TUNING = ["iommu=pt", "pcie_aspm.policy=performance"]
# A kernel-install plugin that fails after 90-uki-copy.install has replaced the UKI (plugins run in name order).
FAILING_PLUGIN = "/etc/kernel/install.d/99-inferops-test-fail.install"


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    with container_host(tmp_path_factory.mktemp("uki"), CONTAINER) as machine:
        install_a_uki(machine)
        yield machine


def install_a_uki(machine):
    """A systemd-boot layout at /boot with layout=uki, and the UKI kernel-install builds for one kernel.

    One command: every command through testinfra's ansible backend is an Ansible run of its own.
    """
    machine.run_test(" && ".join([
        "mkdir -p /boot/loader/entries /etc/kernel /usr/lib/modules/%s" % VERSION,
        "printf 'timeout 3\\n' > /boot/loader/loader.conf",
        "printf 'layout=uki\\n' > /etc/kernel/install.conf",
        "printf '%%s\\n' '%s' > /etc/kernel/cmdline" % CMDLINE,
        "head -c 65536 /dev/urandom > %s" % KERNEL,
        "kernel-install add %s %s" % (VERSION, KERNEL)]))


_MACHINE_ID = []


def machine_id(machine):
    """The container's /etc/machine-id, kernel-install's entry token here (read once)."""
    if not _MACHINE_ID:
        _MACHINE_ID.append(machine.run_test("cat /etc/machine-id").stdout.strip())
    return _MACHINE_ID[0]


def uki_path(machine):
    return "/boot/EFI/Linux/%s-%s.efi" % (machine_id(machine), VERSION)


def uki_cmdline(machine):
    """The .cmdline section as ukify itself reads it from the UKI."""
    out = machine.run_test("ukify inspect %s --json=short" % uki_path(machine)).stdout
    return json.loads(out)[".cmdline"]["text"].split()


def digest(machine, path):
    return machine.run_test("sha256sum %s" % path).stdout.split()[0]


def run(machine, check=False, **args):
    return machine.ansible("inferops.amd.kernel_cmdline", json.dumps(args), check=check)


def test_the_real_uki_takes_the_arguments_and_keeps_them_through_a_rebuild(host):
    assert uki_cmdline(host)[:3] == CMDLINE.split()
    before = digest(host, uki_path(host))

    predicted = run(host, check=True, present=TUNING, absent=["quiet"])
    assert predicted["changed"] is True and predicted["bootloader"] == "systemd_boot"
    assert digest(host, uki_path(host)) == before and "iommu=pt" not in uki_cmdline(host)

    applied = run(host, present=TUNING, absent=["quiet"])
    assert applied["changed"] is True and applied["commands"] == [["/usr/bin/kernel-install", "add", VERSION, KERNEL]]
    assert uki_cmdline(host) == CMDLINE.split()[:2] + TUNING + ["systemd.machine_id=" + machine_id(host)]
    assert host.run_test("cat /etc/kernel/cmdline").stdout.split() == CMDLINE.split()[:2] + TUNING
    assert host.run_test("ls /boot/EFI/Linux").stdout.split() == [uki_path(host).rsplit("/", 1)[1]]

    again = run(host, present=TUNING, absent=["quiet"])
    assert again["changed"] is False

    host.run_test("kernel-install add %s %s" % (VERSION, KERNEL))  # what the next kernel update runs
    assert set(TUNING) <= set(uki_cmdline(host))


def test_a_failing_kernel_install_leaves_the_uki_and_the_cmdline_as_they_were(host):
    uki_before, cmdline_before = digest(host, uki_path(host)), digest(host, "/etc/kernel/cmdline")
    host.run_test("printf '#!/bin/sh\\necho simulated plugin failure >&2\\nexit 1\\n' > %s && chmod 755 %s"
                  % (FAILING_PLUGIN, FAILING_PLUGIN))
    try:
        failed = run(host, present=["amdgpu.runpm=0"])
    finally:
        host.run_test("rm -f %s" % FAILING_PLUGIN)
    assert "simulated plugin failure" in failed.get("msg", ""), failed
    assert "restored" in failed["msg"] and "byte for byte" in failed["msg"]
    assert digest(host, uki_path(host)) == uki_before
    assert digest(host, "/etc/kernel/cmdline") == cmdline_before
    assert "amdgpu.runpm=0" not in uki_cmdline(host)


def test_an_argument_comes_off_the_uki_again(host):
    removed = run(host, absent=["iommu"])
    assert removed["changed"] is True and "iommu=pt" not in uki_cmdline(host)


def test_boot_counting_with_the_real_kernel_install(host):
    """/etc/kernel/tries: type #1 entries named <token>-<version>+3.conf by the real 90-loaderentry.install."""
    token = machine_id(host)
    host.run_test("rm -f /boot/EFI/Linux/*.efi && printf 'layout=bls\\n' > /etc/kernel/install.conf && "
                  "printf '3\\n' > /etc/kernel/tries && kernel-install add %s %s" % (VERSION, KERNEL))
    entry = "/boot/loader/entries/%s-%s+3.conf" % (token, VERSION)
    assert host.run_test("ls /boot/loader/entries").stdout.split() == [entry.rsplit("/", 1)[1]]
    # systemd-boot counts a try down at each boot: the entry is now +2-1
    host.run_test("mv %s /boot/loader/entries/%s-%s+2-1.conf" % (entry, token, VERSION))

    applied = run(host, present=["amd_pstate=active"])
    assert applied["changed"] is True, applied
    # kernel-install writes the entry under +3 again; the module removes the +2-1 one: one entry per kernel
    assert host.run_test("ls /boot/loader/entries").stdout.split() == [entry.rsplit("/", 1)[1]]
    assert "amd_pstate=active" in host.run_test("grep ^options %s" % entry).stdout.split()
    assert run(host, present=["amd_pstate=active"])["changed"] is False
