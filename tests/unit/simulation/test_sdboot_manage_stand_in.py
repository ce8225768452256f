"""The simulated sdboot-manage writes what CachyOS's script writes (CachyOS-PKGBUILDS systemd-boot-manager/sdboot-manage).

The host is the cachyos_sdboot_manage overlay: the shipped /etc/sdboot-manage.conf
(LINUX_OPTIONS="zswap.enabled=0 nowatchdog quiet splash", REMOVE_EXISTING="no",
OVERWRITE_EXISTING="yes"), ESP at /boot, root on btrfs subvolume /@, kernel linux-cachyos.
"""

import os
import subprocess

from tests.simulation.bootloader_hosts import OVERLAYS, make_bootloader_host
from tests.unit.host_files import tool_log, tree_files
from tests.unit.host_files import read_bytes as read
from tests.unit.host_files import write_bytes as write

FIXTURE = os.path.join(OVERLAYS, "cachyos_sdboot_manage", "root")
ENTRIES = "boot/loader/entries"
ROOT_OPTIONS = b"root=UUID=7b3f1c2e-9d4a-4e8b-a6c5-2f0e1d9c8b7a rw rootflags=subvol=/@"
SHIPPED_OPTIONS = b"zswap.enabled=0 nowatchdog quiet splash"


def host(tmp_path):
    return make_bootloader_host("cachyos_sdboot_manage", str(tmp_path / "h"))


def sdboot_manage(root, *args, **env):
    return subprocess.run([os.path.join(root, "usr/bin/sdboot-manage")] + list(args), capture_output=True,
                          env=dict({"PATH": os.environ["PATH"]}, **env), check=False)


def add_to_config(root, text):
    write(root, "/etc/sdboot-manage.conf", read(root, "/etc/sdboot-manage.conf") + text)


def entries(root):
    folder = os.path.join(root, ENTRIES)
    return {name: read(root, os.path.join(ENTRIES, name)) for name in sorted(os.listdir(folder))}


def options_line(text):
    return [line for line in text.split(b"\n") if line.startswith(b"options ")][0]


def add_kernel(root, name):
    write(root, "/boot/vmlinuz-%s" % name, b"placeholder kernel image (never booted)\n")
    write(root, "/boot/initramfs-%s.img" % name, b"placeholder initramfs (never booted)\n")


def test_gen_gives_back_the_checked_in_entries_byte_for_byte(tmp_path):
    root = host(tmp_path)
    checked_in = {name: read(FIXTURE, os.path.join(ENTRIES, name)) for name in os.listdir(os.path.join(FIXTURE, ENTRIES))}
    assert list(checked_in) == ["linux-cachyos.conf"]
    os.unlink(os.path.join(root, ENTRIES, "linux-cachyos.conf"))
    taken = sdboot_manage(root, "gen")
    assert (taken.returncode, taken.stdout, taken.stderr) == (0, b"", b"")
    assert entries(root) == checked_in
    assert checked_in["linux-cachyos.conf"] == (
        b"title Linux CachyOS\n"
        b"options " + ROOT_OPTIONS + b" " + SHIPPED_OPTIONS + b"\n"
        b"linux /vmlinuz-linux-cachyos\n"
        b"initrd /initramfs-linux-cachyos.img\n")
    # gen never touches loader.conf (DEFAULT_ENTRY is only read by `setup`)
    assert read(root, "/boot/loader/loader.conf") == read(FIXTURE, "/boot/loader/loader.conf")
    assert [call["argv"] for call in tool_log(root) if call["tool"] == "sdboot-manage"] == [["gen"]]


def test_the_booted_command_line_is_the_entry_options():
    cmdline = read(FIXTURE, "/proc/cmdline")
    options = options_line(read(FIXTURE, os.path.join(ENTRIES, "linux-cachyos.conf")))[len(b"options "):]
    assert cmdline == b"initrd=\\initramfs-linux-cachyos.img " + options + b"\n"


def test_linux_options_reach_every_entry_and_fallback_options_the_fallback(tmp_path):
    root = host(tmp_path)
    add_kernel(root, "linux-cachyos-lts")
    # the script looks for the fallback image from / ("${kernelpath}${initramfs}-fallback.img"), not below the ESP
    write(root, "/initramfs-linux-cachyos-fallback.img", b"x")
    add_to_config(root, b'LINUX_OPTIONS="amd_iommu=off amdgpu.gttsize=126976"\nLINUX_FALLBACK_OPTIONS="single"\n')
    assert sdboot_manage(root, "gen").returncode == 0
    found = entries(root)
    assert sorted(found) == ["linux-cachyos-fallback.conf", "linux-cachyos-lts.conf", "linux-cachyos.conf"]
    for name in ("linux-cachyos.conf", "linux-cachyos-lts.conf"):
        assert options_line(found[name]) == b"options " + ROOT_OPTIONS + b" amd_iommu=off amdgpu.gttsize=126976"
    assert found["linux-cachyos-lts.conf"] == (
        b"title Linux CachyOS Lts\n"
        b"options " + ROOT_OPTIONS + b" amd_iommu=off amdgpu.gttsize=126976\n"
        b"linux /vmlinuz-linux-cachyos-lts\n"
        b"initrd /initramfs-linux-cachyos-lts.img\n")
    assert found["linux-cachyos-fallback.conf"] == (
        b"title Linux CachyOS (Fallback)\n"
        b"options " + ROOT_OPTIONS + b" single\n"
        b"linux /vmlinuz-linux-cachyos\n"
        b"initrd /initramfs-linux-cachyos-fallback.img\n")


def test_a_fallback_image_on_the_esp_gives_no_fallback_entry(tmp_path):
    root = host(tmp_path)
    write(root, "/boot/initramfs-linux-cachyos-fallback.img", b"x")
    assert sdboot_manage(root, "gen").returncode == 0
    assert list(entries(root)) == ["linux-cachyos.conf"]
    write(root, "/initramfs-linux-cachyos-fallback.img", b"x")
    add_to_config(root, b'DISABLE_FALLBACK="yes"\n')
    assert sdboot_manage(root, "gen").returncode == 0
    assert list(entries(root)) == ["linux-cachyos.conf"]


def test_titles_follow_the_kernel_names(tmp_path):
    root = host(tmp_path)
    for name in ("linux-cachyos-rt-bore", "linux-zen", "linux-cachyos-bore-lto"):
        add_kernel(root, name)
    assert sdboot_manage(root, "gen").returncode == 0
    titles = {name: text.split(b"\n")[0] for name, text in entries(root).items()}
    assert titles == {"linux-cachyos.conf": b"title Linux CachyOS",
                      "linux-cachyos-bore-lto.conf": b"title Linux CachyOS Bore Lto",
                      "linux-cachyos-rt-bore.conf": b"title Linux CachyOS (Realtime) Bore",
                      "linux-zen.conf": b"title Linux Zen"}


def test_a_foreign_entry_is_kept_by_the_shipped_config_and_removed_with_remove_existing(tmp_path):
    root = host(tmp_path)
    foreign = b"title Windows\nefi /EFI/Microsoft/Boot/bootmgfw.efi\n"
    write(root, "/boot/loader/entries/windows.conf", foreign)
    assert sdboot_manage(root, "gen").returncode == 0  # REMOVE_EXISTING="no"
    assert entries(root)["windows.conf"] == foreign
    add_to_config(root, b'REMOVE_EXISTING="yes"\nPRESERVE_FOREIGN="yes"\n')
    assert sdboot_manage(root, "gen").returncode == 0
    assert list(entries(root)) == ["linux-cachyos.conf"]


def test_without_a_config_the_script_defaults_apply(tmp_path):
    root = host(tmp_path)
    os.unlink(os.path.join(root, "etc/sdboot-manage.conf"))
    write(root, "/boot/loader/entries/windows.conf", b"title Windows\n")
    assert sdboot_manage(root, "gen").returncode == 0  # REMOVE_EXISTING=yes, no LINUX_OPTIONS
    assert entries(root) == {"linux-cachyos.conf": b"title Linux CachyOS\noptions " + ROOT_OPTIONS + b" \n"
                                                   b"linux /vmlinuz-linux-cachyos\ninitrd /initramfs-linux-cachyos.img\n"}


def test_an_existing_entry_stays_unless_overwrite_existing(tmp_path):
    root = host(tmp_path)
    write(root, "/boot/loader/entries/linux-cachyos.conf", b"hand edited\n")
    add_to_config(root, b'OVERWRITE_EXISTING="no"\n')
    assert sdboot_manage(root, "gen").returncode == 0
    assert entries(root) == {"linux-cachyos.conf": b"hand edited\n"}


def test_the_config_is_read_by_bash(tmp_path):
    root = host(tmp_path)
    add_to_config(root, b'LINUX_OPTIONS+=" amd_pstate=active"\nEXTRA="iommu=pt  ttm.pages_limit=1"\n'
                        b'LINUX_OPTIONS="${LINUX_OPTIONS} ${EXTRA}"\nINITRD_ENTRIES=(/amd-ucode.img)\n')
    write(root, "/usr/lib/sdboot-manage.conf.d/10-vendor.conf", b'LINUX_OPTIONS+=" from-usr-lib"\n')
    write(root, "/etc/sdboot-manage.conf.d/90-local.conf", b'LINUX_OPTIONS="${LINUX_OPTIONS/quiet /}"\n')
    assert sdboot_manage(root, "gen").returncode == 0
    assert entries(root)["linux-cachyos.conf"] == (
        b"title Linux CachyOS\n"
        b"options " + ROOT_OPTIONS + b" zswap.enabled=0 nowatchdog splash amd_pstate=active iommu=pt  ttm.pages_limit=1"
        b" from-usr-lib\n"
        b"linux /vmlinuz-linux-cachyos\n"
        b"initrd /amd-ucode.img\n"
        b"initrd /initramfs-linux-cachyos.img\n")


def test_a_value_exported_without_one_comes_from_the_environment(tmp_path):
    root = host(tmp_path)
    os.unlink(os.path.join(root, "etc/sdboot-manage.conf"))
    assert sdboot_manage(root, "gen", LINUX_OPTIONS="from-env", KERNEL_PATTERN="ignored").returncode == 0
    assert options_line(entries(root)["linux-cachyos.conf"]) == b"options " + ROOT_OPTIONS + b" from-env"


def test_missing_loader_conf_fails_with_the_script_message(tmp_path):
    root = host(tmp_path)
    os.unlink(os.path.join(root, "boot/loader/loader.conf"))
    before = tree_files(root)
    taken = sdboot_manage(root, "gen")
    assert (taken.returncode, taken.stdout, taken.stderr) == (1, b"", b"Error: /boot/loader/loader.conf does not exist\n")
    assert tree_files(root) == before


def test_no_kernel_and_no_entry_left_fails(tmp_path):
    root = host(tmp_path)
    add_to_config(root, b'KERNEL_PATTERN="vmlinuz-*-lts"\nREMOVE_EXISTING="yes"\n')
    taken = sdboot_manage(root, "gen")
    assert (taken.returncode, taken.stderr) == (1, b"Error: There are no boot loader entries after entry generation\n")
    assert entries(root) == {}


def test_autogen_follows_no_autogen(tmp_path):
    root = host(tmp_path)
    os.unlink(os.path.join(root, ENTRIES, "linux-cachyos.conf"))
    add_to_config(root, b'NO_AUTOGEN="yes"\n')
    assert sdboot_manage(root, "autogen").returncode == 0
    assert entries(root) == {}
    add_to_config(root, b'NO_AUTOGEN="no"\n')
    assert sdboot_manage(root, "autogen").returncode == 0
    assert list(entries(root)) == ["linux-cachyos.conf"]


def test_options_shift_the_action_and_the_usage_exits_0(tmp_path):
    root = host(tmp_path)
    os.unlink(os.path.join(root, ENTRIES, "linux-cachyos.conf"))
    # `for i in "$@"; ... shift`: an option after the action shifts the action away
    late = sdboot_manage(root, "gen", "--esp-path=/boot")
    assert late.returncode == 0 and late.stdout.startswith(b"Usage: /usr/bin/sdboot-manage [OPTIONS]... [ACTION]\n")
    assert entries(root) == {}
    early = sdboot_manage(root, "-e=/boot", "--config=/etc/sdboot-manage.conf", "gen")
    assert (early.returncode, early.stdout) == (0, b"")
    assert list(entries(root)) == ["linux-cachyos.conf"]
    assert sdboot_manage(root, "remove").returncode == 1  # not simulated


def test_the_failure_knob_exits_1_and_touches_nothing(tmp_path):
    root = host(tmp_path)
    add_to_config(root, b'REMOVE_EXISTING="yes"\nKERNEL_PATTERN="none"\n')
    before = tree_files(root)
    taken = sdboot_manage(root, "gen", INFEROPS_SIM_FAIL="sdboot-manage")
    assert (taken.returncode, taken.stderr) == (1, b"sdboot-manage: simulated failure (INFEROPS_SIM_FAIL)\n")
    assert tree_files(root) == before
