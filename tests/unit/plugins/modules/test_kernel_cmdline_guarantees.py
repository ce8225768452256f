"""kernel_cmdline never loses, drops or silently skips an argument (issue 11), per class of case.

Each class has the issue's own example and other cases of the same kind.  "Refused" always
means: failed with the file (and line) named, every file byte for byte as before, and no
changing tool call.  "Applied" means: the generated boot configuration proves it.
"""

import json
import os

import pytest

from tests.simulation import simulated_boot as simulated_kernel
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.rpm_ostree import BootloaderRpmOstree
from tests.simulation.bootloader_hosts import make_bootloader_host
from tests.unit.host_files import tool_log, tree_files
from tests.unit.module_runner import run_module

ASPM = "pcie_aspm.policy=performance"
DEBIAN_ROOT = "root=UUID=0c6f3b1e-5a7d-4d8e-9b2f-3e1a6c9d8f72"
ARCH_ROOT = "root=UUID=7b3f1c2e-9d4a-4e8b-a6c5-2f0e1d9c8b7a"
MACHINE_ID = "4c1f0e8d2b6a4f3e9a7d5c0b1e2f3a4b"
DEBIAN_ENTRY = "/boot/efi/loader/entries/%s-6.12.57+deb13-amd64.conf" % MACHINE_ID


def path(root, machine_path):
    return os.path.join(root, machine_path.lstrip("/"))


def read(root, machine_path):
    with open(path(root, machine_path)) as handle:
        return handle.read()


def write(root, machine_path, text, mode=0o644):
    os.makedirs(os.path.dirname(path(root, machine_path)), exist_ok=True)
    with open(path(root, machine_path), "w") as handle:
        handle.write(text)
    os.chmod(path(root, machine_path), mode)


def changing_calls(root):
    return [call for call in tool_log(root)
            if not any(arg.startswith("--info") for arg in call["argv"]) and call["argv"] != ["kargs"]]


def run(root, **args):
    check = args.pop("check_mode", False)
    diff = args.pop("diff", False)
    failure = args.pop("expect_failure", False)
    return run_module("kernel_cmdline", dict(args, sysroot=root), check_mode=check, diff=diff, expect_failure=failure)


def assert_refused(root, before, result, *needles):
    for needle in needles:
        assert needle in result["msg"], result["msg"]
    assert result["changed"] is False
    assert tree_files(root) == before
    assert changing_calls(root) == []


@pytest.fixture
def bootloader_host(tmp_path):
    def make(name):
        return make_bootloader_host(name, str(tmp_path / name))
    return make


def grub_linux_lines(root):
    return [line for line in read(root, "/boot/grub/grub.cfg").splitlines() if line.strip().startswith("linux")]


# -- 1. GRUB: what the shell reads is what counts ------------------------------------------------------------------

@pytest.mark.parametrize("line, number_of", [
    # the examples
    ('[ -n x ] && GRUB_CMDLINE_LINUX_DEFAULT="quiet resume=UUID=5f1e"', 'resume=UUID=5f1e'),
    ('A=1; GRUB_CMDLINE_LINUX_DEFAULT="quiet resume=UUID=5f1e"', 'resume=UUID=5f1e'),
    # others of the same kind
    ('true || GRUB_CMDLINE_LINUX=x; GRUB_CMDLINE_LINUX="nomodeset"', 'nomodeset'),
    ("eval 'GRUB_CMDLINE_LINUX_DEFAULT=\"quiet mitigations=off\"'", 'mitigations=off'),
    ('test -e /nonexistent || GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"', 'splash'),
])
def test_an_assignment_the_parser_does_not_see_is_refused_with_file_and_line(scratch_host, line, number_of):
    root = scratch_host("r9700_desktop")
    grub = read(root, "/etc/default/grub")
    write(root, "/etc/default/grub", grub + line + "\n")
    before = tree_files(root)
    result = run(root, present=[ASPM], expect_failure=True)
    assert_refused(root, before, result, "/etc/default/grub line %d" % (len(grub.splitlines()) + 1), number_of)


def test_an_assignment_in_a_function_never_called_is_refused(scratch_host):
    root = scratch_host("r9700_desktop")
    write(root, "/etc/default/grub.d/50-tuning.cfg",
          "# set by the vendor's tool\nset_args() {\n  GRUB_CMDLINE_LINUX_DEFAULT=\"quiet amd_pstate=active\"\n}\n")
    before = tree_files(root)
    result = run(root, present=[ASPM], expect_failure=True)
    assert_refused(root, before, result, "/etc/default/grub.d/50-tuning.cfg line 4", "amd_pstate=active")


def test_an_assignment_in_a_function_that_is_called_is_edited_and_proven(scratch_host):
    root = scratch_host("r9700_desktop")
    write(root, "/etc/default/grub.d/50-tuning.cfg",
          "set_args() {\n  GRUB_CMDLINE_LINUX_DEFAULT=\"quiet amd_pstate=active\"\n}\nset_args\n")
    result = run(root, present=[ASPM])
    assert result["configured"] == ["quiet", "amd_pstate=active", ASPM]
    assert all(line.endswith("ro quiet amd_pstate=active " + ASPM) for line in grub_linux_lines(root))


def test_a_value_from_a_sourced_file_is_refused(scratch_host):
    root = scratch_host("r9700_desktop")
    write(root, "/etc/default/grub.local", 'GRUB_CMDLINE_LINUX="rd.luks.uuid=9e"\n')
    write(root, "/etc/default/grub.d/10-local.cfg", ". ./etc/default/grub.local\n")
    before = tree_files(root)
    result = run(root, present=[ASPM], expect_failure=True)
    assert_refused(root, before, result, "/etc/default/grub.d/10-local.cfg line 1", "rd.luks.uuid=9e")


def test_defaults_the_shell_cannot_source_are_refused(scratch_host):
    root = scratch_host("r9700_desktop")
    write(root, "/etc/default/grub.d/20-broken.cfg", 'GRUB_CMDLINE_LINUX_DEFAULT="quiet\n')
    before = tree_files(root)
    result = run(root, present=[ASPM], expect_failure=True)
    assert "20-broken.cfg" in result["msg"]
    assert tree_files(root) == before and changing_calls(root) == []


def test_shell_agrees_after_the_edit_and_grub_cfg_proves_it_with_a_dropin_chain(scratch_host):
    root = scratch_host("r9700_desktop")
    write(root, "/etc/default/grub.d/60-extra.cfg", 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT splash"\n')
    result = run(root, present=[ASPM, "iommu=pt"], absent=["splash"])
    assert result["configured"] == ["quiet", ASPM, "iommu=pt"]
    assert read(root, "/etc/default/grub.d/60-extra.cfg") == 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT"\n'
    for line in grub_linux_lines(root):
        assert line.endswith("ro quiet %s iommu=pt" % ASPM)
    assert run(root, present=[ASPM, "iommu=pt"], absent=["splash"])["changed"] is False


# -- 2. GRUB without a GRUB_CMDLINE_LINUX_DEFAULT line; BLS -------------------------------------------------------

def test_no_default_line_the_added_line_counts_and_a_reboot_is_asked_for(scratch_host):
    root = scratch_host("r9700_desktop")
    grub = read(root, "/etc/default/grub").replace('GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n', "")
    write(root, "/etc/default/grub", grub)
    result = run(root, present=[ASPM])
    assert result["changed"] and result["configured"] == [ASPM] and result["reboot_required"] is True
    assert read(root, "/etc/default/grub").endswith('GRUB_CMDLINE_LINUX_DEFAULT="%s"\n' % ASPM)
    assert all(line.endswith("ro " + ASPM) for line in grub_linux_lines(root))
    second = run(root, present=[ASPM])
    assert second["changed"] is False and second["reboot_required"] is True


def test_no_grub_variables_at_all_in_a_minimal_defaults_file(scratch_host):
    root = scratch_host("r9700_desktop")
    write(root, "/etc/default/grub", "GRUB_DEFAULT=0\nGRUB_TIMEOUT=5")  # no newline at the end either
    result = run(root, present=["iommu=pt"])
    assert result["configured"] == ["iommu=pt"]
    assert read(root, "/etc/default/grub") == 'GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT="iommu=pt"\n'


def test_blscfg_set_in_a_dropin_is_refused_too(scratch_host):
    root = scratch_host("r9700_desktop")
    write(root, "/etc/default/grub.d/90-bls.cfg", "GRUB_ENABLE_BLSCFG=true\n")
    before = tree_files(root)
    result = run(root, present=[ASPM], bootloader="grub", expect_failure=True)
    assert_refused(root, before, result, "GRUB_ENABLE_BLSCFG=true", "grubby")


# -- read back of grub.cfg, full rollback ---------------------------------------------------------------------------

def _replace_tool(root, name, body):
    write(root, "/usr/sbin/" + name, "#!/bin/sh\n" + body, mode=0o755)


@pytest.mark.parametrize("body, complaint", [
    ("exit 0\n", "managed arguments are (none) instead of %s" % ASPM),          # succeeds, writes nothing
    ("sed -i 's/ ro quiet/ ro/' \"$INFEROPS_SYSROOT/boot/grub/grub.cfg\"\n"    # regenerates without quiet
     "sed -i 's/ ro$/ ro %s/' \"$INFEROPS_SYSROOT/boot/grub/grub.cfg\"\n" % ASPM, "lost quiet"),
])
def test_grub_cfg_that_does_not_boot_the_defaults_puts_everything_back(scratch_host, body, complaint):
    root = scratch_host("r9700_desktop")
    _replace_tool(root, "update-grub", body)
    before = tree_files(root)
    result = run(root, present=[ASPM], expect_failure=True)
    assert "/boot/grub/grub.cfg, entry" in result["msg"] and complaint in result["msg"]
    assert "restored" in result["msg"] and result["changed"] is False
    assert tree_files(root) == before  # defaults, grub.cfg and no backup left behind


def test_a_regenerator_failing_after_writing_grub_cfg_is_rolled_back(scratch_host):
    root = scratch_host("r9700_desktop")
    _replace_tool(root, "update-grub", "echo broken > \"$INFEROPS_SYSROOT/boot/grub/grub.cfg\"\n"
                                       "echo '/etc/grub.d/30_os-prober: error' >&2; exit 1\n")
    before = tree_files(root)
    result = run(root, present=[ASPM], expect_failure=True)
    assert "exit 1" in result["msg"] and "30_os-prober: error" in result["msg"]
    assert tree_files(root) == before


# -- 3. systemd-boot -----------------------------------------------------------------------------------------------

def test_hand_written_entries_edit_the_default_and_leave_the_fallback(bootloader_host):
    root = bootloader_host("arch_systemd_boot")
    fallback = read(root, "/boot/loader/entries/arch-fallback.conf")
    result = run(root, present=["iommu=pt", "amdgpu.gttsize=126976"], absent=["quiet"], diff=True)
    assert result["bootloader"] == "systemd_boot" and result["changed"]
    assert result["configured"] == [ARCH_ROOT, "rw", "loglevel=3", "iommu=pt", "amdgpu.gttsize=126976"]
    arch = read(root, "/boot/loader/entries/arch.conf")
    assert arch.splitlines()[-1] == "options %s rw loglevel=3 iommu=pt amdgpu.gttsize=126976" % ARCH_ROOT
    assert arch.splitlines()[:3] == ["title   Arch Linux", "linux   /vmlinuz-linux", "initrd  /initramfs-linux.img"]
    assert read(root, "/boot/loader/entries/arch-fallback.conf") == fallback
    assert not os.path.exists(path(root, "/etc/kernel/cmdline")) and tool_log(root) == []
    assert [item["before_header"] for item in result["diff"]] == ["/boot/loader/entries/arch.conf"]
    assert read(root, result["backup_file"]).endswith("rw loglevel=3 quiet\n")
    assert run(root, present=["iommu=pt", "amdgpu.gttsize=126976"], absent=["quiet"])["changed"] is False
    simulated_kernel.load(root).reboot()
    assert "iommu=pt" in read(root, "/proc/cmdline").split()
    assert run(root, present=["iommu=pt"], absent=["quiet"])["reboot_required"] is False


def test_hand_written_entry_with_several_options_lines(bootloader_host):
    root = bootloader_host("arch_systemd_boot")
    write(root, "/boot/loader/entries/arch.conf", "title Arch Linux\nlinux /vmlinuz-linux\noptions %s rw\n"
          "options loglevel=3 quiet\n# tuned by hand\n" % ARCH_ROOT)
    result = run(root, present=["loglevel=4", "iommu=pt"])
    expected = ("title Arch Linux\nlinux /vmlinuz-linux\noptions %s rw\n"
                "options loglevel=4 quiet iommu=pt\n# tuned by hand\n" % ARCH_ROOT)
    assert read(root, "/boot/loader/entries/arch.conf") == expected
    assert result["configured"] == [ARCH_ROOT, "rw", "loglevel=4", "quiet", "iommu=pt"]
    simulated_kernel.load(root).reboot()
    assert {"loglevel=4", "iommu=pt", "rw"} <= set(read(root, "/proc/cmdline").split())


def test_check_mode_on_hand_written_entries_writes_nothing(bootloader_host):
    root = bootloader_host("arch_systemd_boot")
    before = tree_files(root)
    result = run(root, present=["iommu=pt"], check_mode=True)
    assert result["changed"] and "iommu=pt" in result["configured"] and tree_files(root) == before


def test_a_unified_kernel_image_is_refused(bootloader_host):
    root = bootloader_host("arch_systemd_boot")
    write(root, "/boot/EFI/Linux/arch-linux.efi", "MZ")
    before = tree_files(root)
    result = run(root, present=["iommu=pt"], expect_failure=True)
    assert_refused(root, before, result, "unified kernel image", "/boot/EFI/Linux/arch-linux.efi")


def test_a_mkinitcpio_uki_preset_is_refused(bootloader_host):
    root = bootloader_host("arch_systemd_boot")
    write(root, "/etc/mkinitcpio.d/linux.preset", "PRESETS=('default')\ndefault_uki=\"/boot/EFI/Linux/arch.efi\"\n")
    before = tree_files(root)
    assert_refused(root, before, run(root, present=["iommu=pt"], expect_failure=True), "linux.preset (_uki=)")


def test_kernel_install_keeps_comment_lines_of_etc_kernel_cmdline(bootloader_host):
    root = bootloader_host("systemd_boot_host")
    write(root, "/etc/kernel/cmdline", "%s ro\n# quiet boot\nquiet\n" % DEBIAN_ROOT)
    run(root, present=["iommu=pt"])
    assert read(root, "/etc/kernel/cmdline") == "%s ro\n# quiet boot\nquiet iommu=pt\n" % DEBIAN_ROOT
    entry = read(root, "/boot/efi/loader/entries/4c1f0e8d2b6a4f3e9a7d5c0b1e2f3a4b-6.12.57+deb13-amd64.conf")
    assert "options    %s ro # quiet boot quiet iommu=pt systemd.machine_id=%s\n" % (DEBIAN_ROOT, MACHINE_ID) in entry


def test_debian_12_layout_no_header_no_etc_kernel_cmdline(bootloader_host):
    """systemd 252 writes no header; without /etc/kernel/cmdline the options came from /proc/cmdline."""
    root = bootloader_host("systemd_boot_host")
    entry = "".join(line for line in read(root, DEBIAN_ENTRY).splitlines(True) if not line.startswith("#"))
    write(root, DEBIAN_ENTRY, entry)
    os.unlink(path(root, "/etc/kernel/cmdline"))
    result = run(root, present=["iommu=pt"])
    assert result["bootloader"] == "systemd_boot"
    assert read(root, "/etc/kernel/cmdline") == "%s ro quiet systemd.machine_id=%s iommu=pt\n" % (DEBIAN_ROOT, MACHINE_ID)
    assert [call["argv"][:2] for call in changing_calls(root)] == [["add", "6.12.57+deb13-amd64"]]
    assert "options    %s ro quiet systemd.machine_id=%s iommu=pt\n" % (DEBIAN_ROOT, MACHINE_ID) in read(root, DEBIAN_ENTRY)
    assert run(root, present=["iommu=pt"])["changed"] is False
    simulated_kernel.load(root).reboot()
    assert read(root, "/proc/cmdline").split().count("iommu=pt") == 1


def test_kernel_install_only_rewrites_kernels_that_have_an_entry(bootloader_host):
    root = bootloader_host("systemd_boot_host")
    write(root, "/usr/lib/modules/6.16.3+deb13-amd64/modules.dep", "")
    write(root, "/boot/vmlinuz-6.16.3+deb13-amd64", "kernel")
    run(root, present=["iommu=pt"])
    assert [call["argv"][1] for call in changing_calls(root)] == ["6.12.57+deb13-amd64"]
    assert os.listdir(path(root, "/boot/efi/loader/entries")) == [
        "4c1f0e8d2b6a4f3e9a7d5c0b1e2f3a4b-6.12.57+deb13-amd64.conf"]


def test_an_argument_edited_into_a_kernel_install_entry_is_not_lost(bootloader_host):
    root = bootloader_host("systemd_boot_host")
    entry = "/boot/efi/loader/entries/4c1f0e8d2b6a4f3e9a7d5c0b1e2f3a4b-6.12.57+deb13-amd64.conf"
    write(root, entry, read(root, entry).replace("ro quiet", "ro quiet nvme_core.default_ps_max_latency_us=0"))
    before = tree_files(root)
    result = run(root, present=["iommu=pt"], expect_failure=True)
    assert_refused(root, before, result, entry, "nvme_core.default_ps_max_latency_us=0", "kernel-install would drop")


@pytest.mark.parametrize("folder", ["/etc/kernel/cmdline.d", "/etc/cmdline.d"])
def test_a_managed_argument_in_a_cmdline_d_file_is_refused(bootloader_host, folder):
    root = bootloader_host("systemd_boot_host")
    write(root, folder + "/20-iommu.conf", "iommu=soft\n")
    before = tree_files(root)
    result = run(root, present=["iommu=pt"], expect_failure=True)
    assert_refused(root, before, result, folder + "/20-iommu.conf", "iommu=soft")
    # an unrelated drop-in does not stop the module
    assert run(root, present=["amd_pstate=active"])["changed"] is True


def test_kernel_install_failing_on_the_second_kernel_restores_every_entry(bootloader_host):
    root = bootloader_host("systemd_boot_host")
    folder = "/boot/efi/loader/entries/"
    first = folder + "4c1f0e8d2b6a4f3e9a7d5c0b1e2f3a4b-6.12.57+deb13-amd64.conf"
    second = folder + "4c1f0e8d2b6a4f3e9a7d5c0b1e2f3a4b-6.16.3+deb13-amd64.conf"
    write(root, second, read(root, first).replace("6.12.57", "6.16.3"))
    write(root, "/usr/lib/modules/6.16.3+deb13-amd64/modules.dep", "")
    # the image of the second kernel is missing only when kernel-install runs: it fails there
    real = path(root, "/usr/bin/kernel-install")
    os.rename(real, real + ".sim")
    write(root, "/usr/bin/kernel-install", '#!/bin/sh\n[ "$2" = "6.16.3+deb13-amd64" ] && { echo "kernel-install: '
          'depmod failed" >&2; exit 1; }\nexec "%s.sim" "$@"\n' % real, mode=0o755)
    write(root, "/boot/vmlinuz-6.16.3+deb13-amd64", "kernel")
    before = tree_files(root)
    result = run(root, present=["iommu=pt"], expect_failure=True)
    assert "depmod failed" in result["msg"] and first in result["msg"] and "/etc/kernel/cmdline" in result["msg"]
    assert tree_files(root) == before


# -- 4. input --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (dict(present=["memmap=1G$4G"]), "contains $"),
    (dict(present=["x=`reboot`"]), "contains `"),
    (dict(present=["x=${HOME}"]), "contains $ { }"),
    (dict(present=["a=1;reboot"]), "contains ;"),
    (dict(present=["dyndbg=file *.c +p"]), "contains *"),
    (dict(absent=["x=$(id)"]), "contains $ ( )"),
    (dict(present="pcie_aspm.policy=performance iommu=pt"), "present must be a list"),
    (dict(absent="quiet"), "absent must be a list"),
    (dict(absent=["root"]), "boot-critical"),
    (dict(absent=["rd.luks.uuid"]), "boot-critical"),
    (dict(absent=["cryptdevice"]), "boot-critical"),
    (dict(absent=["resume"]), "boot-critical"),
    (dict(absent=["rootflags=subvol=root"]), "boot-critical"),
    (dict(absent=["resume-offset"]), "boot-critical"),
    (dict(present=["iommu-x=1", "iommu_x=2"]), "give one value per name"),
])
def test_bad_input_is_refused_before_anything_is_read(scratch_host, args, message):
    root = scratch_host("r9700_desktop")
    before = tree_files(root)
    result = run(root, expect_failure=True, **args)
    assert message in result["msg"] and tree_files(root) == before and tool_log(root) == []


def test_boot_critical_absent_with_the_explicit_option(scratch_host):
    root = scratch_host("strix_halo_128g")
    result = run(root, absent=["rhgb", "rootflags"], allow_boot_critical=True)
    assert "rootflags=subvol=root" in result["removed"]


def test_values_that_were_refused_before_round_trip_now(scratch_host):
    root = scratch_host("r9700_desktop")
    run(root, present=['acpi_osi="!Windows 2020"'])
    assert run(root, absent=["acpi_osi"])["removed"] == ['acpi_osi="!Windows 2020"']


@pytest.mark.parametrize("present, absent, unchanged", [
    (["transparent-hugepage=always"], [], True),
    (["transparent_hugepage=always"], [], True),
    ([], ["transparent-hugepage=never"], True),
])
def test_dash_and_underscore_are_the_same_in_names(scratch_host, present, absent, unchanged):
    root = scratch_host("r9700_desktop")
    run(root, present=["transparent_hugepage=always"])
    result = run(root, present=present, absent=absent)
    assert (result["changed"] is False) == unchanged
    assert result["configured"].count("transparent_hugepage=always") == 1


def test_dash_name_replaces_the_underscore_value_and_absent_by_dashed_name(scratch_host):
    root = scratch_host("r9700_desktop")
    run(root, present=["amdgpu.ppfeaturemask=0xfff7bfff"])
    replaced = run(root, present=["amdgpu.ppfeaturemask=0xffffffff", "nvme_core.default_ps_max_latency_us=0"])
    assert replaced["removed"] == ["amdgpu.ppfeaturemask=0xfff7bfff"]
    gone = run(root, absent=["nvme-core.default-ps-max-latency-us"])
    assert gone["removed"] == ["nvme_core.default_ps_max_latency_us=0"]


# -- 5. grubby, rpm-ostree, changed after a partial failure --------------------------------------------------------

def _second_fedora_entry(root, options):
    folder = "/boot/loader/entries/"
    first = folder + "4c1f0e8d2b6a4f3e9a7d5c0b1e2f3a4b-6.17.7-300.fc43.x86_64.conf"
    text = read(root, first).replace("6.17.7-300", "6.16.9-200")
    text = "".join("options %s\n" % options if line.startswith("options ") else line
                   for line in text.splitlines(True))
    write(root, folder + "4c1f0e8d2b6a4f3e9a7d5c0b1e2f3a4b-6.16.9-200.fc43.x86_64.conf", text)


def test_grubby_reports_what_changed_on_any_entry_and_reads_all_back(scratch_host):
    root = scratch_host("strix_halo_128g")
    # the default (newest) entry already has iommu=pt; the older one has an old value
    first = "/boot/loader/entries/4c1f0e8d2b6a4f3e9a7d5c0b1e2f3a4b-6.17.7-300.fc43.x86_64.conf"
    write(root, first, read(root, first).replace("rhgb quiet", "rhgb quiet iommu=pt"))
    _second_fedora_entry(root, "root=UUID=e3a9c6f2-81d4-4b07-a5e2-6f0d9b3c7a18 ro rootflags=subvol=root iommu=soft")
    result = run(root, present=["iommu=pt"])
    assert result["changed"] and result["added"] == ["iommu=pt"] and result["removed"] == ["iommu=soft"]
    older = read(root, "/boot/loader/entries/4c1f0e8d2b6a4f3e9a7d5c0b1e2f3a4b-6.16.9-200.fc43.x86_64.conf")
    assert "rootflags=subvol=root iommu=pt\n" in older
    assert run(root, present=["iommu=pt"])["changed"] is False


def test_grubby_that_changes_only_the_default_entry_is_caught_as_changed(scratch_host):
    root = scratch_host("strix_halo_128g")
    _second_fedora_entry(root, "root=UUID=e3a9c6f2-81d4-4b07-a5e2-6f0d9b3c7a18 ro quiet")
    real = path(root, "/usr/bin/grubby")
    os.rename(real, real + ".sim")
    write(root, "/usr/bin/grubby", '#!/bin/sh\ncase "$1" in --update-kernel=ALL) shift; exec "%s.sim" '
          '--update-kernel=DEFAULT "$@";; esac\nexec "%s.sim" "$@"\n' % (real, real), mode=0o755)
    result = run(root, present=["iommu=pt"], expect_failure=True)
    assert "6.16.9-200" in result["msg"] and "managed arguments are (none) instead of iommu=pt" in result["msg"]
    assert result["changed"] is True


def test_grubby_failure_reports_changed_because_grubby_may_have_applied_part(scratch_host):
    root = scratch_host("strix_halo_128g")
    kernel = simulated_kernel.load(root)
    kernel.config["fail_tools"] = {"grubby": "grubby: error writing entry 1"}
    kernel.save_config()
    # --info fails too with the knob, so the failure shows while reading: nothing could have changed
    result = run(root, present=["iommu=pt"], expect_failure=True)
    assert result["changed"] is False and "grubby: error writing entry 1" in result["msg"]


def test_rpm_ostree_update_failure_reports_changed(bootloader_host):
    root = bootloader_host("bazzite_rpm_ostree")
    real = path(root, "/usr/bin/rpm-ostree")
    os.rename(real, real + ".sim")
    write(root, "/usr/bin/rpm-ostree", '#!/bin/sh\n[ "$#" -gt 1 ] && { echo "error: Writing deployment: '
          'No space left on device" >&2; exit 1; }\nexec "%s.sim" "$@"\n' % real, mode=0o755)
    result = run(root, present=["iommu=pt"], expect_failure=True)
    assert result["changed"] is True and "No space left on device" in result["msg"]
    assert "may have applied part of the change" in result["msg"]


def test_rpm_ostree_waits_for_a_busy_daemon(bootloader_host, monkeypatch):
    root = bootloader_host("bazzite_rpm_ostree")
    write(root, "/run/inferops-sim/rpm-ostree-busy", "3\n")
    slept = []
    monkeypatch.setattr(BootloaderRpmOstree, "sleep", staticmethod(slept.append))
    result = run(root, present=["iommu=pt"])
    assert result["changed"] and "iommu=pt" in result["configured"]
    assert slept == [10, 10, 10]


def test_rpm_ostree_busy_for_too_long_fails_without_changes(bootloader_host, monkeypatch):
    root = bootloader_host("bazzite_rpm_ostree")
    write(root, "/run/inferops-sim/rpm-ostree-busy", "100\n")
    monkeypatch.setattr(BootloaderRpmOstree, "sleep", staticmethod(lambda seconds: None))
    monkeypatch.setattr(BootloaderRpmOstree, "busy_wait", (4, 0))
    result = run(root, present=["iommu=pt"], expect_failure=True)
    assert "Transaction in progress" in result["msg"] and result["changed"] is False


def test_rpm_ostree_uses_the_if_present_and_if_missing_flags_for_a_removal(bootloader_host):
    root = bootloader_host("bazzite_rpm_ostree")
    victim = [arg for arg in run(root, present=[], check_mode=True)["configured"] if arg.startswith("rhgb")
              or arg.startswith("quiet")][0]
    run(root, absent=[victim.split("=")[0]])
    assert changing_calls(root)[0]["argv"] == ["kargs", "--delete-if-present=%s" % victim]


# -- 6. ownership --------------------------------------------------------------------------------------------------

def test_an_owner_removes_what_it_added_when_it_no_longer_asks(scratch_host):
    root = scratch_host("r9700_desktop")
    added = run(root, present=[ASPM], owner="rdna4_aspm")
    assert added["changed"] and added["released"] == []
    state = json.loads(read(root, "/var/lib/inferops.amd/kernel_cmdline.json"))
    assert state == {"owners": {"rdna4_aspm": [ASPM]}}
    assert run(root, present=[ASPM], owner="rdna4_aspm")["changed"] is False
    check = run(root, present=[], owner="rdna4_aspm", check_mode=True)
    assert check["changed"] and check["removed"] == [ASPM]
    assert json.loads(read(root, "/var/lib/inferops.amd/kernel_cmdline.json")) == state
    gone = run(root, present=[], owner="rdna4_aspm")
    assert gone["released"] == [ASPM] and ASPM not in gone["configured"]
    assert json.loads(read(root, "/var/lib/inferops.amd/kernel_cmdline.json")) == {
        "owners": {}, "released": {"rdna4_aspm": [ASPM]}}
    assert run(root, present=[], owner="rdna4_aspm")["changed"] is False


def test_a_run_after_the_release_still_reports_the_reboot_until_the_kernel_lacks_it(scratch_host):
    root = scratch_host("r9700_desktop")
    run(root, present=[ASPM], owner="rdna4_aspm")
    write(root, "/proc/cmdline", read(root, "/proc/cmdline").strip() + " " + ASPM + "\n")  # booted with it
    assert run(root, present=[], owner="rdna4_aspm")["reboot_required"] is True
    again = run(root, present=[], owner="rdna4_aspm")
    assert again["changed"] is False and again["removed"] == []
    assert again["reboot_required"] is True  # the running kernel still has what the release took off
    assert run(root, present=[], owner="rdna4_aspm", check_mode=True)["reboot_required"] is True
    write(root, "/proc/cmdline", read(root, "/proc/cmdline").replace(" " + ASPM, ""))  # rebooted
    after = run(root, present=[], owner="rdna4_aspm")
    assert after["changed"] is False and after["reboot_required"] is False


def test_asking_again_for_a_released_argument_takes_it_off_the_released_list(scratch_host):
    root = scratch_host("r9700_desktop")
    run(root, present=[ASPM], owner="rdna4_aspm")
    run(root, present=[], owner="rdna4_aspm")
    back = run(root, present=[ASPM], owner="rdna4_aspm")
    assert back["changed"] and back["added"] == [ASPM]
    assert json.loads(read(root, "/var/lib/inferops.amd/kernel_cmdline.json")) == {"owners": {"rdna4_aspm": [ASPM]}}


def test_an_owner_never_removes_an_argument_that_was_there_before(scratch_host):
    root = scratch_host("r9700_desktop")
    run(root, present=[ASPM])  # the user's own
    assert run(root, present=[ASPM], owner="rdna4_aspm")["changed"] is False
    assert run(root, present=[], owner="rdna4_aspm")["removed"] == []
    assert ASPM in run(root, present=[], check_mode=True)["configured"]


def test_an_argument_two_owners_record_stays_until_both_let_go(scratch_host):
    root = scratch_host("r9700_desktop")
    run(root, present=["iommu=pt"], owner="strix_halo_memory")
    write(root, "/var/lib/inferops.amd/kernel_cmdline.json",
          json.dumps({"owners": {"strix_halo_memory": ["iommu=pt"], "other": ["iommu=pt"]}}))
    assert run(root, present=[], owner="strix_halo_memory")["removed"] == []
    assert run(root, present=[], owner="other")["removed"] == ["iommu=pt"]


def test_a_broken_ownership_record_is_refused(scratch_host):
    root = scratch_host("r9700_desktop")
    write(root, "/var/lib/inferops.amd/kernel_cmdline.json", "[]")
    result = run(root, present=[ASPM], owner="rdna4_aspm", expect_failure=True)
    assert "/var/lib/inferops.amd/kernel_cmdline.json" in result["msg"]


def test_kernelstub_whose_entry_was_not_rewritten_is_caught(bootloader_host):
    root = bootloader_host("popos_kernelstub")
    real = path(root, "/usr/bin/kernelstub")
    entry = "/boot/efi/loader/entries/Pop_OS-current.conf"
    saved = read(root, entry)
    os.rename(real, real + ".sim")
    # kernelstub that updates its configuration but fails to write the entry (ESP full), still exit 0
    write(root, "/usr/bin/kernelstub", '#!/bin/sh\n"%s.sim" "$@"\ncat > "%s" <<EOF\n%sEOF\n'
          % (real, path(root, entry), saved), mode=0o755)
    result = run(root, present=["iommu=pt"], expect_failure=True)
    assert entry in result["msg"] and "managed arguments are" in result["msg"] and result["changed"] is True
