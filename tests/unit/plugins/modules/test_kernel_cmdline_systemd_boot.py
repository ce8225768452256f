"""kernel_cmdline on systemd-boot at the edges (issue 24): boot counting names, bytes, UKI layouts, an ESP on vfat.

Boot counting: with /etc/kernel/tries, kernel-install's 90-loaderentry.install names the entry
``<token>-<version>+<tries>.conf`` (systemd 252 and current); systemd-boot renames it to
``+LEFT-DONE`` at each try.  Such an entry is kernel-install's, so the arguments go to
/etc/kernel/cmdline (where the next kernel takes them from) and kernel-install rewrites it.
"""

import errno
import os

import pytest

from tests.simulation import simulated_boot
from tests.simulation.bootloader_hosts import make_bootloader_host
from tests.unit.host_files import tool_log
from tests.unit.module_runner import run_module

MACHINE_ID = "4c1f0e8d2b6a4f3e9a7d5c0b1e2f3a4b"
VERSION = "6.12.57+deb13-amd64"
ENTRIES = "/boot/efi/loader/entries/"
ENTRY = ENTRIES + "%s-%s.conf" % (MACHINE_ID, VERSION)
ROOT_ARG = "root=UUID=0c6f3b1e-5a7d-4d8e-9b2f-3e1a6c9d8f72"


def path(root, machine_path):
    return os.path.join(root, machine_path.lstrip("/"))


def read(root, machine_path):
    with open(path(root, machine_path), "rb") as handle:
        return handle.read()


def write(root, machine_path, data):
    os.makedirs(os.path.dirname(path(root, machine_path)), exist_ok=True)
    with open(path(root, machine_path), "wb") as handle:
        handle.write(data)


def entries(root):
    return sorted(os.listdir(path(root, ENTRIES)))


def snapshot(root):
    found = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            rel = os.path.relpath(os.path.join(folder, name), root)
            if not rel.startswith(("var/log/inferops-sim", ".inferops")) and not os.path.islink(path(root, rel)):
                found[rel] = read(root, rel)
    return found


def run(root, **args):
    check = args.pop("check_mode", False)
    failure = args.pop("expect_failure", False)
    return run_module("kernel_cmdline", dict(args, sysroot=root), check_mode=check, expect_failure=failure)


@pytest.fixture
def host(tmp_path):
    def make(name="systemd_boot_host", systemd=257):
        root = make_bootloader_host(name, str(tmp_path / name))
        kernel = simulated_boot.load(root)
        kernel.config["kernel_install_systemd"] = systemd
        kernel.save_config()
        return root
    return make


def counted(root, counter, header=True):
    """Rename the host's entry to a boot counting name, as kernel-install (+N) or systemd-boot (+L-D) left it."""
    data = read(root, ENTRY)
    if not header:
        data = b"".join(line for line in data.splitlines(True) if not line.startswith(b"#"))
    os.unlink(path(root, ENTRY))
    name = ENTRIES + "%s-%s%s.conf" % (MACHINE_ID, VERSION, counter)
    write(root, name, data)
    return name


@pytest.mark.parametrize("systemd, header, counter, tries", [
    (252, False, "+3", b"3\n"),      # Debian 12: no header, kernel-install wrote +3, not booted yet
    (252, False, "+2-1", b"3\n"),    # ... systemd-boot tried it once
    (257, True, "+2-1", b"3\n"),     # current systemd, header, one try done
    (257, True, "+0-3", None),       # tries used up and /etc/kernel/tries since removed
])
def test_a_boot_counted_entry_is_kernel_install_s_and_the_next_kernel_keeps_the_argument(host, systemd, header,
                                                                                         counter, tries):
    root = host(systemd=systemd)
    old = counted(root, counter, header)
    old_bytes = read(root, old)
    if tries is not None:
        write(root, "/etc/kernel/tries", tries)
    result = run(root, present=["iommu=pt"])
    assert result["changed"] is True
    # the argument is where kernel-install takes it from for every later kernel
    assert read(root, "/etc/kernel/cmdline") == ("%s ro quiet iommu=pt\n" % ROOT_ARG).encode()
    assert [call["argv"][:2] for call in tool_log(root)] == [["add", VERSION]]
    # one entry for the kernel, under the name kernel-install gives it now
    new = "%s-%s%s.conf" % (MACHINE_ID, VERSION, "+3" if tries else "")
    assert [name for name in entries(root) if name.endswith(".conf")] == [new]
    assert b" iommu=pt " in read(root, ENTRIES + new)
    if ENTRIES + new != old:
        # the older name of the same kernel is gone, its bytes kept in a backup beside it
        (backup,) = [name for name in result["backup_files"] if name.startswith(old + ".")]
        assert read(root, backup) == old_bytes and backup.endswith("~")
    again = run(root, present=["iommu=pt"])
    assert again["changed"] is False and len(tool_log(root)) == 1
    simulated_boot.load(root).reboot()
    assert "iommu=pt" in read(root, "/proc/cmdline").decode().split()


def test_an_unchanged_counted_entry_is_left_alone(host):
    root = host(systemd=252)
    counted(root, "+2-1", header=False)
    write(root, "/etc/kernel/tries", b"3\n")
    before = snapshot(root)
    assert run(root, present=["quiet"])["changed"] is False
    assert snapshot(root) == before and tool_log(root) == []


def test_a_failing_kernel_install_puts_the_counted_entry_back(host):
    root = host()
    counted(root, "+2-1")
    write(root, "/etc/kernel/tries", b"3\n")
    kernel = simulated_boot.load(root)
    kernel.config["fail_tools"] = {"kernel-install": "kernel-install: dracut failed"}
    kernel.save_config()
    before = snapshot(root)
    result = run(root, present=["iommu=pt"], expect_failure=True)
    assert "dracut failed" in result["msg"] and result["changed"] is False
    assert snapshot(root) == before


def test_a_tries_file_kernel_install_refuses_is_refused_before_anything_is_written(host):
    root = host()
    write(root, "/etc/kernel/tries", b"three\n")
    before = snapshot(root)
    result = run(root, present=["iommu=pt"], expect_failure=True)
    assert "/etc/kernel/tries holds 'three'" in result["msg"] and result["changed"] is False
    assert snapshot(root) == before and tool_log(root) == []


def test_etc_kernel_cmdline_keeps_crlf_latin1_and_spacing(host):
    root = host()
    data = ("# r\xe9glages\r\n%s  ro\r\nquiet" % ROOT_ARG).encode("latin-1")
    write(root, "/etc/kernel/cmdline", data)
    write(root, ENTRY, read(root, ENTRY).replace(b"ro quiet", b"ro\r quiet"))
    result = run(root, present=["iommu=pt"], absent=["quiet"])
    assert read(root, "/etc/kernel/cmdline") == data.replace(b"\r\nquiet", b"\r\niommu=pt")
    assert read(root, result["backup_file"]) == data


@pytest.mark.parametrize("conf_path, text", [
    ("/etc/kernel/install.conf", b'layout="uki"\n'),
    ("/usr/lib/kernel/install.conf", b"layout=uki\n"),
    ("/etc/kernel/install.conf.d/50-uki.conf", b"layout=uki\n"),
    ("/usr/lib/kernel/install.conf.d/50-uki.conf", b"layout=uki\n"),
])
def test_every_place_kernel_install_reads_its_layout_from_is_seen(host, conf_path, text):
    root = host()
    write(root, conf_path, text)
    before = snapshot(root)
    result = run(root, present=["iommu=pt"], expect_failure=True)
    assert "unified kernel image" in result["msg"] and conf_path in result["msg"]
    assert snapshot(root) == before and tool_log(root) == []


def test_a_hand_written_entry_on_a_vfat_like_esp_is_edited_with_a_backup(host, monkeypatch):
    """vfat refuses ':' (and the other characters below) in names: the ESP at /boot of the Arch host acts like one."""
    root = host("arch_systemd_boot")
    from ansible_collections.inferops.amd.plugins.module_utils._host import sysroot

    real_replace = sysroot.SysRoot._replace
    boot = path(root, "/boot") + os.sep
    made = []

    def vfat_replace(target, data, like, mode):
        if target.startswith(boot) and any(char in os.path.basename(target) for char in ':*?"<>|\\'):
            raise OSError(errno.EINVAL, "Invalid argument", target)
        made.append(target)
        return real_replace(target, data, like, mode)

    monkeypatch.setattr(sysroot.SysRoot, "_replace", staticmethod(vfat_replace))
    result = run(root, present=["iommu=pt"])
    assert result["changed"] is True and b"iommu=pt" in read(root, "/boot/loader/entries/arch.conf")
    backups = result["backup_files"]
    assert backups and all(":" not in name for name in backups)
    assert all(os.path.exists(path(root, name)) for name in backups)
    assert any(name.startswith(boot) for name in made)
