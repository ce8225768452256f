"""kernel_cmdline on GRUB: the user's file is bytes, and only the managed assignment's bytes change.

Issue 24: CRLF became LF, Latin-1 bytes became U+FFFD, a failed update-grub "restored"
a file that was not restored and deleted the one true copy; a symlinked defaults file
became a regular file.
"""

import os

from tests.simulation import simulated_boot
from tests.unit.module_runner import run_module

ASPM = "pcie_aspm.policy=performance"
DEFAULTS = "etc/default/grub"
# A defaults file as a Windows editor and a Latin-1 locale leave it: CRLF endings,
# a Latin-1 comment ("Réglages"), no final newline.
USER_FILE = (b"# R\xe9glages de GRUB\r\n"
             b"GRUB_DEFAULT=0\r\n"
             b'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\r\n'
             b'GRUB_CMDLINE_LINUX=""\r\n'
             b"#GRUB_TERMINAL=console")


def run(root, **args):
    check = args.pop("check_mode", False)
    failure = args.pop("expect_failure", False)
    return run_module("kernel_cmdline", dict(args, sysroot=root), check_mode=check, expect_failure=failure)


def write(root, path, data):
    with open(os.path.join(root, path), "wb") as handle:
        handle.write(data)


def read(root, path):
    with open(os.path.join(root, path), "rb") as handle:
        return handle.read()


def test_an_edit_changes_only_the_managed_assignment_bytes(scratch_host):
    root = scratch_host("r9700_desktop")
    write(root, DEFAULTS, USER_FILE)
    result = run(root, present=[ASPM])
    assert result["changed"] is True
    assert read(root, DEFAULTS) == USER_FILE.replace(b'DEFAULT="quiet"\r\n', b'DEFAULT="quiet %s"\r\n' % ASPM.encode())
    assert run(root, present=[ASPM])["changed"] is False


def test_a_failed_regeneration_puts_back_the_exact_bytes_and_says_so(scratch_host):
    root = scratch_host("r9700_desktop")
    write(root, DEFAULTS, USER_FILE)
    kernel = simulated_boot.load(root)
    kernel.config["fail_tools"] = {"update-grub": "/etc/grub.d/10_linux: simulated failure"}
    kernel.save_config()
    result = run(root, present=[ASPM], expect_failure=True)
    assert read(root, DEFAULTS) == USER_FILE
    assert "restored /etc/default/grub byte for byte" in result["msg"] and result["changed"] is False
    assert sorted(os.listdir(os.path.join(root, "etc/default"))) == ["grub"]


def test_a_symlinked_defaults_file_stays_a_link_and_its_target_is_written(scratch_host):
    root = scratch_host("r9700_desktop")
    os.makedirs(os.path.join(root, "etc/grub-local"))
    os.rename(os.path.join(root, DEFAULTS), os.path.join(root, "etc/grub-local/grub"))
    # an absolute link, as a user makes it: inside a tree it means the tree's file, as in a chroot
    os.symlink("/etc/grub-local/grub", os.path.join(root, DEFAULTS))
    run(root, present=[ASPM])
    assert os.readlink(os.path.join(root, DEFAULTS)) == "/etc/grub-local/grub"
    assert b'GRUB_CMDLINE_LINUX_DEFAULT="quiet %s"' % ASPM.encode() in read(root, "etc/grub-local/grub")


def test_a_failed_regeneration_keeps_the_link_and_the_target_bytes(scratch_host):
    root = scratch_host("r9700_desktop")
    write(root, "etc/default/grub.real", USER_FILE)
    os.unlink(os.path.join(root, DEFAULTS))
    os.symlink("grub.real", os.path.join(root, DEFAULTS))
    kernel = simulated_boot.load(root)
    kernel.config["fail_tools"] = {"update-grub": "simulated failure"}
    kernel.save_config()
    run(root, present=[ASPM], expect_failure=True)
    assert os.readlink(os.path.join(root, DEFAULTS)) == "grub.real"
    assert read(root, "etc/default/grub.real") == USER_FILE


def test_spacing_and_braced_references_are_no_change(scratch_host):
    root = scratch_host("r9700_desktop")
    text = read(root, DEFAULTS).replace(b'DEFAULT="quiet"', b'DEFAULT="quiet   splash"')
    write(root, DEFAULTS, text)
    dropin = b'GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT}  amdgpu.ppfeaturemask=0xffffffff"\n'
    os.makedirs(os.path.join(root, "etc/default/grub.d"), exist_ok=True)
    write(root, "etc/default/grub.d/50-gpu.cfg", dropin)
    for check in (True, False):
        result = run(root, present=["quiet", "amdgpu.ppfeaturemask=0xffffffff"], check_mode=check)
        assert result["changed"] is False and result["added"] == [] and result["removed"] == []
    assert read(root, DEFAULTS) == text and read(root, "etc/default/grub.d/50-gpu.cfg") == dropin


def test_an_edited_braced_reference_keeps_its_spelling(scratch_host):
    root = scratch_host("r9700_desktop")
    os.makedirs(os.path.join(root, "etc/default/grub.d"), exist_ok=True)
    write(root, "etc/default/grub.d/50-gpu.cfg",
          b'GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} amdgpu.ppfeaturemask=0xffffffff"\n')
    run(root, present=["amdgpu.ppfeaturemask=0xfff7ffff"])
    assert read(root, "etc/default/grub.d/50-gpu.cfg") == (
        b'GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} amdgpu.ppfeaturemask=0xfff7ffff"\n')


def test_one_line_blocks_do_not_hide_later_assignments(scratch_host):
    root = scratch_host("r9700_desktop")
    text = (b'if [ -e /etc/grub-extra ]; then GRUB_TIMEOUT=1; fi\n'
            b'for f in a b; do :; done\n') + read(root, DEFAULTS)
    write(root, DEFAULTS, text)
    result = run(root, present=[ASPM])
    assert result["added"] == [ASPM]


def test_a_multi_line_block_still_refuses_an_assignment_inside_it(scratch_host):
    root = scratch_host("r9700_desktop")
    text = read(root, DEFAULTS) + b'if [ -e /etc/grub-extra ]; then\n  GRUB_CMDLINE_LINUX_DEFAULT="x"\nfi\n'
    write(root, DEFAULTS, text)
    result = run(root, present=[ASPM], expect_failure=True)
    assert "set inside a shell block" in result["msg"]
    assert read(root, DEFAULTS) == text


def test_an_immutable_defaults_file_leaves_no_backup_and_says_nothing_was_changed(scratch_host, monkeypatch):
    root = scratch_host("r9700_desktop")
    pristine = read(root, DEFAULTS)
    from ansible_collections.inferops.amd.plugins.module_utils._host import sysroot

    real_replace = sysroot.SysRoot._replace

    def refuse_the_defaults(target, data, like, mode):
        if target.endswith("/etc/default/grub"):
            raise PermissionError(1, "Operation not permitted", target)  # chattr +i answers EPERM
        return real_replace(target, data, like, mode)

    monkeypatch.setattr(sysroot.SysRoot, "_replace", staticmethod(refuse_the_defaults))
    result = run(root, present=[ASPM], expect_failure=True)
    assert "no file had been changed yet" in result["msg"] and "restored" not in result["msg"]
    assert sorted(os.listdir(os.path.join(root, "etc/default"))) == ["grub"]
    assert read(root, DEFAULTS) == pristine


def test_backups_are_named_without_colons(scratch_host):
    """vfat (an ESP mounted at /boot) refuses ':' in a name."""
    root = scratch_host("r9700_desktop")
    result = run(root, present=[ASPM], backup=True)
    assert ":" not in os.path.basename(result["backup_file"])
    assert os.path.exists(os.path.join(root, result["backup_file"].lstrip("/")))
