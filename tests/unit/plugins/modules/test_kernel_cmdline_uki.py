"""kernel_cmdline with unified kernel images that kernel-install builds with ukify (layout=uki).

The host is systemd_boot_host (Debian with systemd-boot and kernel-install) switched to
``layout=uki`` in /etc/kernel/install.conf, its type #1 entry replaced by the UKI that
``kernel-install add`` builds: the simulated kernel-install runs what 60-ukify.install and
90-uki-copy.install do (tests/simulation/tools/kernel-install) and writes a PE image
(tests/simulation/pe_image.py); binutils' objcopy, a real PE reader, checks that image.
"""

import os
import subprocess

import pytest

from tests.simulation import pe_image, simulated_boot
from tests.simulation.bootloader_hosts import make_bootloader_host
from tests.unit.host_files import read_bytes as read
from tests.unit.host_files import tool_log
from tests.unit.host_files import tree_files as snapshot
from tests.unit.host_files import write_bytes as write
from tests.unit.module_runner import run_on_root

MACHINE_ID = "4c1f0e8d2b6a4f3e9a7d5c0b1e2f3a4b"
VERSION = "6.12.57+deb13-amd64"
UKI_DIR = "boot/efi/EFI/Linux"
UKI = "%s/%s-%s.efi" % (UKI_DIR, MACHINE_ID, VERSION)
ROOT_ARG = "root=UUID=0c6f3b1e-5a7d-4d8e-9b2f-3e1a6c9d8f72"
TUNING = ["iommu=pt", "pcie_aspm.policy=performance"]


def uki_cmdline(root, path=UKI):
    return pe_image.read_sections(read(root, path))[".cmdline"].rstrip(b"\0").decode().split()


def ukis(root):
    return sorted(os.listdir(os.path.join(root, UKI_DIR)))


def kernel_install(root):
    """What a kernel update runs (Debian's /etc/kernel/postinst.d/zz-systemd-boot): kernel-install add."""
    subprocess.run([os.path.join(root, "usr/bin/kernel-install"), "add", VERSION, "/boot/vmlinuz-" + VERSION],
                   check=True, capture_output=True)


def changing_calls(root, before):
    return [call["argv"] for call in tool_log(root)[before:]]


def run(root, **args):
    return run_on_root("kernel_cmdline", root, **args)


@pytest.fixture
def host(tmp_path):
    """systemd_boot_host after `layout=uki` and a kernel-install run: one UKI, no type #1 entry."""
    def make(uki_conf=None):
        root = make_bootloader_host("systemd_boot_host", str(tmp_path / "uki"))
        write(root, "etc/kernel/install.conf", b"layout=uki\n")
        if uki_conf is not None:
            write(root, "etc/kernel/uki.conf", uki_conf)
        write(root, "boot/vmlinuz-" + VERSION, b"simulated kernel image")
        os.unlink(os.path.join(root, "boot/efi/loader/entries/%s-%s.conf" % (MACHINE_ID, VERSION)))
        kernel_install(root)
        kernel = simulated_boot.load(root)
        kernel.config.update(bootloader="uki", uki_dir="/" + UKI_DIR)
        kernel.save_config()
        return root
    return make


def test_objcopy_reads_the_simulated_uki_as_a_pe_image(host, tmp_path):
    root = host()
    out = str(tmp_path / "cmdline")
    subprocess.run(["objcopy", "--dump-section", ".cmdline=" + out, os.path.join(root, UKI), str(tmp_path / "copy")],
                   check=True, capture_output=True)
    with open(out, "rb") as handle:
        assert handle.read().split() == [word.encode() for word in uki_cmdline(root)]


def test_the_argument_reaches_the_uki_and_survives_a_kernel_update_and_a_reboot(host):
    root = host()
    calls = len(tool_log(root))
    first = run(root, present=TUNING, absent=["quiet"])
    assert first["bootloader"] == "systemd_boot" and first["changed"] and first["reboot_required"]
    assert changing_calls(root, calls) == [["add", VERSION, "/boot/vmlinuz-" + VERSION]]
    assert read(root, "etc/kernel/cmdline") == ("%s ro iommu=pt pcie_aspm.policy=performance\n" % ROOT_ARG).encode()
    assert uki_cmdline(root) == [ROOT_ARG, "ro"] + TUNING + ["systemd.machine_id=" + MACHINE_ID]
    assert ukis(root) == ["%s-%s.efi" % (MACHINE_ID, VERSION)]
    second = run(root, present=TUNING, absent=["quiet"])
    assert second["changed"] is False and len(tool_log(root)) == calls + 1
    kernel_install(root)  # the distribution's own rebuild at the next kernel update
    assert set(TUNING) <= set(uki_cmdline(root))
    simulated_boot.load(root).reboot()
    assert set(TUNING) <= set(read(root, "proc/cmdline").decode().split())
    assert run(root, present=TUNING, absent=["quiet"])["reboot_required"] is False


def test_a_failed_rebuild_puts_the_uki_and_etc_kernel_cmdline_back(host):
    root = host()
    before = snapshot(root)
    kernel = simulated_boot.load(root)
    kernel.config["fail_tools"] = {"kernel-install": "kernel-install: ukify failed"}
    kernel.save_config()
    result = run(root, present=TUNING, expect_failure=True)
    assert "ukify failed" in result["msg"] and result["changed"] is False
    after = snapshot(root)
    after.pop(".inferops-simulation.json", None)
    before.pop(".inferops-simulation.json", None)
    assert after == before


def test_boot_counting_renames_the_uki_and_keeps_one_per_kernel(host):
    root = host()
    write(root, "etc/kernel/tries", b"3\n")
    run(root, present=TUNING)
    assert ukis(root) == ["%s-%s+3.efi" % (MACHINE_ID, VERSION)]
    assert set(TUNING) <= set(uki_cmdline(root, "%s/%s" % (UKI_DIR, ukis(root)[0])))
    assert run(root, present=TUNING)["changed"] is False


def test_a_signed_uki_is_refused_when_ukify_would_not_sign_the_rebuild(host):
    root = host(uki_conf=b"[UKI]\nSecureBootPrivateKey=/etc/kernel/secure-boot.key\n"
                         b"SecureBootCertificate=/etc/kernel/secure-boot.pem\n")
    os.unlink(os.path.join(root, "etc/kernel/uki.conf"))
    before = snapshot(root)
    result = run(root, present=TUNING, expect_failure=True)
    assert "is signed for Secure Boot" in result["msg"] and UKI in result["msg"]
    assert snapshot(root) == before


def test_a_signed_uki_is_rebuilt_signed_where_ukify_signs(host):
    root = host(uki_conf=b"[UKI]\nSecureBootPrivateKey=/etc/kernel/secure-boot.key\n"
                         b"SecureBootCertificate=/etc/kernel/secure-boot.pem\n")
    result = run(root, present=TUNING)
    assert result["changed"] and set(TUNING) <= set(uki_cmdline(root))
    data = read(root, UKI)
    assert b"simulated signature" in data


def test_an_argument_only_the_uki_has_is_refused(host):
    root = host()
    write(root, "etc/kernel/cmdline", ("%s ro\n" % ROOT_ARG).encode())  # quiet only in the UKI now
    before = snapshot(root)
    result = run(root, present=TUNING, expect_failure=True)
    assert UKI in result["msg"] and "quiet" in result["msg"] and "kernel-install would drop it" in result["msg"]
    assert snapshot(root) == before


def test_type1_entries_of_kernel_install_beside_ukis_are_still_refused(host):
    root = host()
    write(root, "etc/kernel/install.conf", b"layout=bls\n")
    kernel_install(root)  # a type #1 entry again, next to the UKI
    write(root, "etc/kernel/install.conf", b"layout=uki\n")
    before = snapshot(root)
    result = run(root, present=TUNING, expect_failure=True)
    assert "unified kernel image" in result["msg"] and snapshot(root) == before


def test_another_uki_generator_is_refused(host):
    root = host()
    write(root, "etc/kernel/install.conf", b"layout=uki\nuki_generator=mkosi\n")
    result = run(root, present=TUNING, expect_failure=True)
    assert "uki_generator=mkosi" in result["msg"]
