"""inferops.amd.kernel_cmdline against scratch hosts with the simulated bootloader tools."""

import json
import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils import simulated_kernel
from tests.simulation.bootloader_hosts import make_bootloader_host
from tests.unit.host_files import tool_log
from tests.unit.module_runner import run_module

ASPM = "pcie_aspm.policy=performance"


def read(root, path):
    with open(os.path.join(root, path.lstrip("/"))) as handle:
        return handle.read()


def changing_calls(root):
    """Tool calls that change something (the read-only queries left out)."""
    return [call for call in tool_log(root)
            if not any(arg.startswith("--info") for arg in call["argv"]) and call["argv"] != ["kargs"]]


def run(root, **args):
    check = args.pop("check_mode", False)
    diff = args.pop("diff", False)
    failure = args.pop("expect_failure", False)
    return run_module("kernel_cmdline", dict(args, sysroot=root), check_mode=check, diff=diff, expect_failure=failure)


@pytest.fixture
def bootloader_host(tmp_path):
    def make(name):
        return make_bootloader_host(name, str(tmp_path / name))
    return make


# -- GRUB (Debian, Ubuntu, Arch) ----------------------------------------------------------------------------------

def test_grub_adds_the_argument_regenerates_and_keeps_a_backup(scratch_host):
    root = scratch_host("r9700_desktop")
    pristine = read(root, "/etc/default/grub")
    result = run(root, present=[ASPM])
    assert result["changed"] and result["bootloader"] == "grub"
    assert result["configured"] == ["quiet", ASPM]
    assert result["reboot_required"] is True
    assert result["added"] == [ASPM]
    grub = read(root, "/etc/default/grub")
    assert grub == pristine.replace('GRUB_CMDLINE_LINUX_DEFAULT="quiet"', 'GRUB_CMDLINE_LINUX_DEFAULT="quiet %s"' % ASPM)
    assert "\tlinux\t/boot/vmlinuz-6.12.57+deb13-amd64 root=UUID=0c6f3b1e-5a7d-4d8e-9b2f-3e1a6c9d8f72 ro quiet %s\n" % ASPM \
        in read(root, "/boot/grub/grub.cfg")
    assert result["backup_file"].startswith("/etc/default/grub.") and result["backup_file"].endswith("~")
    assert read(root, result["backup_file"]) == pristine
    assert [call["tool"] for call in tool_log(root)] == ["update-grub"]


def test_grub_second_run_changes_nothing_and_calls_no_tool(scratch_host):
    root = scratch_host("r9700_desktop")
    run(root, present=[ASPM])
    grub, calls = read(root, "/etc/default/grub"), len(tool_log(root))
    second = run(root, present=[ASPM])
    assert second["changed"] is False and second["commands"] == [] and "backup_file" not in second
    assert second["reboot_required"] is True  # still not booted with it
    assert read(root, "/etc/default/grub") == grub and len(tool_log(root)) == calls


def test_grub_reboot_brings_the_argument_to_the_running_kernel(scratch_host):
    root = scratch_host("r9700_desktop")
    run(root, present=[ASPM])
    simulated_kernel.load(root).reboot()
    assert ASPM in read(root, "/proc/cmdline").split()
    assert read(root, "/sys/module/pcie_aspm/parameters/policy") == "default [performance] powersave powersupersave \n"
    after = run(root, present=[ASPM])
    assert after["changed"] is False and after["reboot_required"] is False
    assert ASPM in after["running"]


def test_check_mode_predicts_without_writing_or_running_anything(scratch_host):
    root = scratch_host("r9700_desktop")
    pristine = read(root, "/etc/default/grub")
    result = run(root, present=[ASPM], check_mode=True)
    assert result["changed"] is True and result["configured"] == ["quiet", ASPM] and result["reboot_required"]
    assert read(root, "/etc/default/grub") == pristine
    assert tool_log(root) == []
    assert sorted(os.listdir(os.path.join(root, "etc/default"))) == ["grub"]


def test_diff_mode_shows_the_edited_file(scratch_host):
    root = scratch_host("r9700_desktop")
    result = run(root, present=[ASPM], diff=True, check_mode=True)
    [diff] = result["diff"]
    assert diff["before_header"] == diff["after_header"] == "/etc/default/grub"
    assert 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n' in diff["before"]
    assert 'GRUB_CMDLINE_LINUX_DEFAULT="quiet %s"\n' % ASPM in diff["after"]
    assert "diff" not in run(root, present=["quiet"], diff=True)


def test_failed_regeneration_restores_the_file_and_reports_the_tool_error(scratch_host):
    root = scratch_host("r9700_desktop")
    kernel = simulated_kernel.load(root)
    kernel.config["fail_tools"] = {"update-grub": "/etc/grub.d/10_linux: simulated failure"}
    kernel.save_config()
    pristine, cfg = read(root, "/etc/default/grub"), read(root, "/boot/grub/grub.cfg")
    result = run(root, present=[ASPM], expect_failure=True)
    assert "update-grub failed (exit 1): /etc/grub.d/10_linux: simulated failure" in result["msg"]
    assert "restored /etc/default/grub" in result["msg"]
    assert result["changed"] is False
    assert read(root, "/etc/default/grub") == pristine and read(root, "/boot/grub/grub.cfg") == cfg
    assert sorted(os.listdir(os.path.join(root, "etc/default"))) == ["grub"]  # no backup left behind


def test_failure_knob_from_the_environment(scratch_host, monkeypatch):
    root = scratch_host("aspm_locked")
    monkeypatch.setenv("INFEROPS_SIM_FAIL", "update-grub")
    result = run(root, present=[ASPM], expect_failure=True)
    assert "simulated failure (INFEROPS_SIM_FAIL)" in result["msg"]


def test_ubuntu_dropin_is_honoured_and_left_untouched(scratch_host):
    root = scratch_host("rx9070xt_chipset")
    dropin = read(root, "/etc/default/grub.d/99-local-gpu.cfg")
    result = run(root, present=[ASPM])
    assert result["configured"] == ["quiet", "splash", ASPM, "amdgpu.ppfeaturemask=0xffffffff"]
    assert read(root, "/etc/default/grub.d/99-local-gpu.cfg") == dropin
    assert 'GRUB_CMDLINE_LINUX_DEFAULT="quiet splash %s"' % ASPM in read(root, "/etc/default/grub")
    assert "ro quiet splash %s amdgpu.ppfeaturemask=0xffffffff\n" % ASPM in read(root, "/boot/grub/grub.cfg")


def test_ubuntu_argument_held_by_the_dropin_is_replaced_there(scratch_host):
    root = scratch_host("rx9070xt_chipset")
    result = run(root, present=["amdgpu.ppfeaturemask=0xfff7ffff"])
    assert result["removed"] == ["amdgpu.ppfeaturemask=0xffffffff"]
    assert "amdgpu.ppfeaturemask=0xfff7ffff" in read(root, "/etc/default/grub.d/99-local-gpu.cfg")
    assert "ppfeaturemask" not in read(root, "/etc/default/grub")
    assert result["backup_file"].startswith("/etc/default/grub.d/99-local-gpu.cfg.")
    assert not result["backup_file"].endswith(".cfg")  # GRUB must not source the backup


def test_arch_runs_grub_mkconfig_with_the_output_file(scratch_host):
    root = scratch_host("strix_halo_arch_ollama")
    result = run(root, present=["iommu=pt"])
    assert result["commands"] == [[os.path.join(root, "usr/bin/grub-mkconfig"), "-o", "/boot/grub/grub.cfg"]]
    assert "rw loglevel=3 quiet iommu=pt\n" in read(root, "/boot/grub/grub.cfg")


def test_quoted_values_with_spaces_round_trip_through_grub_and_a_reboot(scratch_host):
    root = scratch_host("no_amd_gpu")
    wanted = ['"acpi_osi=!Windows 2020"', "amdgpu.ppfeaturemask=0xffffffff"]
    run(root, present=wanted)
    simulated_kernel.load(root).reboot()
    assert read(root, "/proc/cmdline").rstrip("\n").endswith(" ".join(wanted))
    again = run(root, present=wanted)
    assert again["changed"] is False and again["reboot_required"] is False


def test_absent_removes_and_a_reboot_clears_reboot_required(scratch_host):
    root = scratch_host("r9700_desktop")
    assert run(root, absent=["quiet"])["configured"] == []
    assert run(root, absent=["quiet"])["reboot_required"] is True
    simulated_kernel.load(root).reboot()
    assert run(root, absent=["quiet"])["reboot_required"] is False


@pytest.mark.parametrize("args, message", [
    ({"present": [""]}, "empty kernel argument"),
    ({"present": ["=x"]}, "empty name"),
    ({"present": ["my arg=1"]}, "contains white space"),
    ({"present": ["iommu=pt"], "absent": ["iommu"]}, "both present"),
    ({"present": ["a=b\nc"]}, "line break"),
    ({"present": ["ttm.pages_limit=1", "ttm.pages_limit=2"]}, "one value per name"),
])
def test_bad_input_fails_before_anything_is_touched(scratch_host, args, message):
    root = scratch_host("r9700_desktop")
    pristine = read(root, "/etc/default/grub")
    result = run(root, expect_failure=True, **args)
    assert message in result["msg"]
    assert read(root, "/etc/default/grub") == pristine and tool_log(root) == []


# -- grubby (Fedora) ---------------------------------------------------------------------------------------------

def test_grubby_updates_every_entry_once_and_then_only_reads(scratch_host):
    root = scratch_host("strix_halo_128g")
    wanted = ["iommu=pt", "ttm.pages_limit=32505856"]
    result = run(root, present=wanted)
    assert result["bootloader"] == "grubby" and result["reboot_required"]
    assert result["configured"][-2:] == wanted and result["configured"][0].startswith("root=UUID=")
    assert [call["argv"] for call in changing_calls(root)] == [
        ["--update-kernel=ALL", "--args=iommu=pt ttm.pages_limit=32505856"]]
    again = run(root, present=wanted)
    assert again["changed"] is False and len(changing_calls(root)) == 1
    simulated_kernel.load(root).reboot()
    assert set(wanted) <= set(read(root, "/proc/cmdline").split())
    assert run(root, present=wanted)["reboot_required"] is False


def test_grubby_replaces_an_older_value_and_drops_a_deprecated_argument(scratch_host):
    root = scratch_host("strix_halo_laptop_64g")
    run(root, present=["ttm.pages_limit=15466496", "amdgpu.gttsize=60416"])
    result = run(root, present=["ttm.pages_limit=15728640"], absent=["amdgpu.gttsize"])
    assert result["removed"] == ["amdgpu.gttsize=60416", "ttm.pages_limit=15466496"]
    assert changing_calls(root)[-1]["argv"] == ["--update-kernel=ALL", "--args=ttm.pages_limit=15728640",
                                                "--remove-args=amdgpu.gttsize=60416"]
    options = [line for line in read(root, "/boot/loader/entries/4c1f0e8d2b6a4f3e9a7d5c0b1e2f3a4b-6.17.7-300.fc43.x86_64.conf")
               .splitlines() if line.startswith("options ")][0].split()
    assert "ttm.pages_limit=15728640" in options and not [arg for arg in options if "gttsize" in arg]
    assert options.count("ttm.pages_limit=15728640") == 1


def test_grubby_check_mode_only_reads(scratch_host):
    root = scratch_host("strix_halo_128g")
    result = run(root, present=["iommu=pt"], check_mode=True, diff=True)
    assert result["changed"] and result["diff"][0]["after"].endswith("quiet\niommu=pt\n")
    assert changing_calls(root) == []


def test_grubby_refuses_values_with_spaces(scratch_host):
    root = scratch_host("strix_halo_128g")
    result = run(root, present=['acpi_osi="!Windows 2020"'], expect_failure=True)
    assert "grubby splits arguments at spaces" in result["msg"] and changing_calls(root) == []


# -- kernelstub, systemd-boot, rpm-ostree --------------------------------------------------------------------------

@pytest.mark.parametrize("name, backend", [
    ("popos_kernelstub", "kernelstub"),
    ("systemd_boot_host", "systemd_boot"),
    ("bazzite_rpm_ostree", "rpm_ostree"),
])
def test_other_backends_apply_once_and_survive_a_reboot(bootloader_host, name, backend):
    root = bootloader_host(name)
    wanted = [ASPM, "iommu=pt"]
    first = run(root, present=wanted, absent=["splash"])
    assert first["bootloader"] == backend and first["changed"] and first["reboot_required"]
    assert len(changing_calls(root)) == 1
    second = run(root, present=wanted, absent=["splash"])
    assert second["changed"] is False and len(changing_calls(root)) == 1
    simulated_kernel.load(root).reboot()
    running = read(root, "/proc/cmdline").split()
    assert set(wanted) <= set(running) and "splash" not in running
    assert run(root, present=wanted, absent=["splash"])["reboot_required"] is False


def test_kernelstub_is_driven_with_argument_lists(bootloader_host):
    root = bootloader_host("popos_kernelstub")
    run(root, present=["iommu=pt"], absent=["splash"])
    assert changing_calls(root)[0]["argv"] == ["--delete-options", "splash", "--add-options", "iommu=pt"]
    config = json.loads(read(root, "/etc/kernelstub/configuration"))
    assert config["user"]["kernel_options"] == ["quiet", "loglevel=0", "systemd.show_status=false", "iommu=pt"]
    assert config["default"]["kernel_options"] == ["quiet", "splash"]


def test_systemd_boot_writes_etc_kernel_cmdline_with_a_backup(bootloader_host):
    root = bootloader_host("systemd_boot_host")
    result = run(root, present=["iommu=pt"])
    assert read(root, "/etc/kernel/cmdline") == "root=UUID=0c6f3b1e-5a7d-4d8e-9b2f-3e1a6c9d8f72 ro quiet iommu=pt\n"
    assert read(root, result["backup_file"]) == "root=UUID=0c6f3b1e-5a7d-4d8e-9b2f-3e1a6c9d8f72 ro quiet\n"
    assert changing_calls(root)[0]["argv"] == ["add", "6.12.57+deb13-amd64", "/boot/vmlinuz-6.12.57+deb13-amd64"]


def test_systemd_boot_failure_restores_etc_kernel_cmdline(bootloader_host):
    root = bootloader_host("systemd_boot_host")
    kernel = simulated_kernel.load(root)
    kernel.config["fail_tools"] = {"kernel-install": "kernel-install: dracut failed"}
    kernel.save_config()
    result = run(root, present=["iommu=pt"], expect_failure=True)
    assert "kernel-install: dracut failed" in result["msg"]
    assert read(root, "/etc/kernel/cmdline") == "root=UUID=0c6f3b1e-5a7d-4d8e-9b2f-3e1a6c9d8f72 ro quiet\n"


def test_rpm_ostree_stages_a_deployment_and_reads_it_back(bootloader_host):
    root = bootloader_host("bazzite_rpm_ostree")
    result = run(root, present=["ttm.pages_limit=32505856"])
    assert changing_calls(root)[0]["argv"] == ["kargs", "--append-if-missing=ttm.pages_limit=32505856"]
    assert os.path.exists(os.path.join(root, "boot/loader/entries/ostree-2-default.conf"))
    assert "ttm.pages_limit=32505856" in result["configured"]
    replaced = run(root, present=["ttm.pages_limit=15728640"])
    assert changing_calls(root)[-1]["argv"] == ["kargs", "--delete-if-present=ttm.pages_limit=32505856",
                                                "--append-if-missing=ttm.pages_limit=15728640"]
    assert replaced["configured"].count("ttm.pages_limit=15728640") == 1


# -- detection --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("profile, backend", [
    ("r9700_desktop", "grub"), ("rx9070xt_chipset", "grub"), ("aspm_locked", "grub"), ("no_amd_gpu", "grub"),
    ("strix_halo_arch_ollama", "grub"), ("strix_halo_128g", "grubby"), ("strix_halo_laptop_64g", "grubby"),
])
def test_auto_detects_the_recorded_hosts_bootloader(scratch_host, profile, backend):
    root = scratch_host(profile)
    assert run(root, present=["quiet"], check_mode=True)["bootloader"] == backend


def test_no_bootloader_fails_saying_what_was_looked_for(scratch_host):
    root = scratch_host("r9700_desktop")
    os.unlink(os.path.join(root, "usr/sbin/update-grub"))
    os.unlink(os.path.join(root, "usr/sbin/grub-mkconfig"))
    result = run(root, present=[ASPM], expect_failure=True)
    for looked_for in ("/run/ostree-booted", "kernelstub", "grubby", "/etc/default/grub", "update-grub",
                       "kernel-install", "loader.conf"):
        assert looked_for in result["msg"]


def test_an_explicit_backend_is_used_even_when_another_would_be_detected(scratch_host, bootloader_host):
    fedora = scratch_host("strix_halo_128g")  # grubby would be detected; /etc/default/grub is there too
    # Forced GRUB on Fedora: its GRUB_ENABLE_BLSCFG=true means grub.cfg is not what boots, so refuse.
    before = read(fedora, "/etc/default/grub")
    refused = run(fedora, present=["iommu=pt"], bootloader="grub", expect_failure=True)
    assert "GRUB_ENABLE_BLSCFG=true" in refused["msg"] and "grubby" in refused["msg"]
    assert read(fedora, "/etc/default/grub") == before and tool_log(fedora) == []
    popos = bootloader_host("popos_kernelstub")
    forced = run(popos, present=["iommu=pt"], bootloader="systemd_boot", check_mode=True, diff=True)
    assert forced["bootloader"] == "systemd_boot" and changing_calls(popos) == []
    assert [item["before_header"] for item in forced["diff"]] == ["/boot/efi/loader/entries/Pop_OS-current.conf"]


def test_a_tool_that_reports_success_without_changing_anything_is_caught(scratch_host):
    root = scratch_host("strix_halo_128g")
    deaf = os.path.join(root, "usr/bin/grubby")
    with open(deaf, "w") as handle:  # a grubby that accepts every call and changes nothing
        handle.write("#!/usr/bin/env python3\nimport sys\n"
                     "if any(a.startswith('--info') for a in sys.argv[1:]):\n"
                     "    print('index=0\\nkernel=\"/boot/vmlinuz-x\"\\nargs=\"ro quiet\"\\nroot=\"UUID=1\"')\n")
    result = run(root, present=["iommu=pt"], expect_failure=True)
    assert "grubby reported success but the entry of /boot/vmlinuz-x holds 'root=UUID=1 ro quiet'" in result["msg"]
    assert "managed arguments are (none) instead of iommu=pt" in result["msg"]
    assert result["changed"] is True
