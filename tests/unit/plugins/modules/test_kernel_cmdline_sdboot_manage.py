"""inferops.amd.kernel_cmdline on CachyOS with sdboot-manage (the cachyos_sdboot_manage overlay).

The overlay holds CachyOS's shipped /etc/sdboot-manage.conf and the entry its ``sdboot-manage gen``
writes; the tool is a stand-in written from CachyOS's script (tests/simulation/tools/sdboot-manage).
The distribution's own regeneration is that same tool run again, as the pacman hook runs it.
"""

import os
import subprocess

import pytest

from tests.simulation import simulated_boot
from tests.simulation.bootloader_hosts import make_bootloader_host
from tests.unit.host_files import read_bytes as read
from tests.unit.host_files import tool_log
from tests.unit.host_files import tree_files as tree
from tests.unit.host_files import write_bytes as write
from tests.unit.module_runner import run_on_root

CONF = "etc/sdboot-manage.conf"
ENTRY = "boot/loader/entries/linux-cachyos.conf"
TUNING = ["iommu=pt", "pcie_aspm.policy=performance"]
ROOT_OPTIONS = "root=UUID=7b3f1c2e-9d4a-4e8b-a6c5-2f0e1d9c8b7a rw rootflags=subvol=/@"


def run(root, **args):
    return run_on_root("kernel_cmdline", root, **args)


def options(root, path=ENTRY):
    return [line.split(b" ", 1)[1].decode() for line in read(root, path).split(b"\n") if line.startswith(b"options ")][0]


def gen_calls(root):
    return [call["argv"] for call in tool_log(root) if call["tool"] == "sdboot-manage"]


@pytest.fixture
def cachyos(tmp_path):
    return make_bootloader_host("cachyos_sdboot_manage", str(tmp_path / "cachyos"))


def test_linux_options_is_edited_gen_runs_and_the_entry_holds_the_arguments(cachyos):
    original = read(cachyos, CONF)
    first = run(cachyos, present=TUNING, absent=["splash"])
    assert first["bootloader"] == "sdboot_manage" and first["changed"] and first["reboot_required"]
    assert gen_calls(cachyos) == [["gen"]]
    assert b'LINUX_OPTIONS="zswap.enabled=0 nowatchdog quiet iommu=pt pcie_aspm.policy=performance"' in read(
        cachyos, CONF)
    # only the assignment's line changed
    old_lines, new_lines = original.split(b"\n"), read(cachyos, CONF).split(b"\n")
    assert [pair for pair in zip(old_lines, new_lines) if pair[0] != pair[1]] == [
        (b'LINUX_OPTIONS="zswap.enabled=0 nowatchdog quiet splash"',
         b'LINUX_OPTIONS="zswap.enabled=0 nowatchdog quiet iommu=pt pcie_aspm.policy=performance"')]
    assert read(cachyos, first["backup_file"].lstrip("/")) == original
    assert options(cachyos) == ROOT_OPTIONS + " zswap.enabled=0 nowatchdog quiet iommu=pt pcie_aspm.policy=performance"
    assert first["configured"] == options(cachyos).split()
    second = run(cachyos, present=TUNING, absent=["splash"])
    assert second["changed"] is False and gen_calls(cachyos) == [["gen"]]


def test_the_pacman_hooks_regeneration_keeps_the_arguments_and_a_reboot_brings_them(cachyos):
    run(cachyos, present=TUNING)
    entry = read(cachyos, ENTRY)
    tool = os.path.join(cachyos, "usr/bin/sdboot-manage")
    subprocess.run([tool, "autogen"], check=True, capture_output=True)  # what sdboot-kernel-update.hook runs
    assert read(cachyos, ENTRY) == entry
    simulated_boot.load(cachyos).reboot()
    assert set(TUNING) <= set(read(cachyos, "proc/cmdline").decode().split())
    assert run(cachyos, present=TUNING)["reboot_required"] is False


def test_check_and_diff_mode_write_nothing_and_show_the_file(cachyos):
    before = tree(cachyos)
    result = run(cachyos, present=TUNING, check_mode=True, diff=True)
    assert result["changed"] is True and tree(cachyos) == before and gen_calls(cachyos) == []
    assert result["diff"][0]["before_header"] == "/etc/sdboot-manage.conf"
    assert "iommu=pt" in result["diff"][0]["after"]


def test_a_failed_gen_puts_every_byte_back(cachyos):
    before = tree(cachyos)
    kernel = simulated_boot.load(cachyos)
    kernel.config["fail_tools"] = {"sdboot-manage": "Error: /boot/loader/entries does not exist"}
    kernel.save_config()
    result = run(cachyos, present=TUNING, expect_failure=True)
    assert "Error: /boot/loader/entries does not exist" in result["msg"]
    assert "restored /etc/sdboot-manage.conf byte for byte" in result["msg"] and result["changed"] is False
    assert tree(cachyos) == before


def test_the_shipped_file_without_an_assignment_gets_one_line(cachyos):
    shipped = read(cachyos, CONF).replace(b'LINUX_OPTIONS="zswap.enabled=0 nowatchdog quiet splash"',
                                          b'#LINUX_OPTIONS=""')
    write(cachyos, CONF, shipped)
    subprocess.run([os.path.join(cachyos, "usr/bin/sdboot-manage"), "gen"], check=True, capture_output=True)
    run(cachyos, present=["iommu=pt"])
    assert read(cachyos, CONF) == shipped + b'LINUX_OPTIONS="iommu=pt"\n'
    assert options(cachyos) == ROOT_OPTIONS + " iommu=pt"


def test_a_dropin_that_extends_the_value_is_honoured_and_left_alone(cachyos):
    write(cachyos, "etc/sdboot-manage.conf.d/50-mine.conf", b'LINUX_OPTIONS+=" amd_pstate=active"\n')
    subprocess.run([os.path.join(cachyos, "usr/bin/sdboot-manage"), "gen"], check=True, capture_output=True)
    result = run(cachyos, present=["iommu=pt"])
    assert read(cachyos, "etc/sdboot-manage.conf.d/50-mine.conf") == b'LINUX_OPTIONS+=" amd_pstate=active"\n'
    assert options(cachyos).endswith("splash iommu=pt amd_pstate=active")
    assert result["configured"] == options(cachyos).split()


def test_an_argument_edited_into_the_entry_by_hand_is_refused(cachyos):
    write(cachyos, ENTRY, read(cachyos, ENTRY).replace(b" splash\n", b" splash amdgpu.dc=0\n"))
    before = tree(cachyos)
    result = run(cachyos, present=TUNING, expect_failure=True)
    assert "linux-cachyos.conf has amdgpu.dc=0, which LINUX_OPTIONS" in result["msg"]
    assert tree(cachyos) == before and gen_calls(cachyos) == []


def test_an_argument_sdboot_manage_writes_itself_is_refused(cachyos):
    result = run(cachyos, present=["rootflags=subvol=/@root"], allow_boot_critical=True, expect_failure=True)
    assert "written by sdboot-manage itself" in result["msg"]


def test_a_shell_expression_bash_reads_otherwise_is_refused_naming_the_file(cachyos):
    write(cachyos, CONF, read(cachyos, CONF) + b'[ -d /boot ] && LINUX_OPTIONS="$LINUX_OPTIONS mitigations=off"\n')
    before = tree(cachyos)
    result = run(cachyos, present=["iommu=pt"], expect_failure=True)
    assert "bash reads LINUX_OPTIONS" in result["msg"] and "/etc/sdboot-manage.conf" in result["msg"]
    assert tree(cachyos) == before


def test_the_packaged_dropin_is_not_edited(cachyos):
    write(cachyos, "usr/lib/sdboot-manage.conf.d/10-vendor.conf", b'LINUX_OPTIONS="quiet"\n')
    subprocess.run([os.path.join(cachyos, "usr/bin/sdboot-manage"), "gen"], check=True, capture_output=True)
    result = run(cachyos, present=["iommu=pt"], expect_failure=True)
    assert "10-vendor.conf would have to be edited" in result["msg"]


def test_the_systemd_boot_backend_is_not_picked_for_such_a_host(cachyos):
    assert run(cachyos, present=["quiet"], check_mode=True)["bootloader"] == "sdboot_manage"
    os.unlink(os.path.join(cachyos, "usr/bin/sdboot-manage"))
    assert run(cachyos, present=["quiet"], check_mode=True)["bootloader"] == "systemd_boot"


def test_a_tree_is_read_as_data_without_bash(cachyos, monkeypatch):
    monkeypatch.delenv("INFEROPS_SIMULATION", raising=False)
    before = tree(cachyos)
    result = run(cachyos, present=["iommu=pt"], check_mode=True)
    assert result["changed"] is True and result["bootloader"] == "sdboot_manage" and tree(cachyos) == before
    write(cachyos, CONF, read(cachyos, CONF) + b'source /etc/cachyos-extra.conf\n')
    edited = tree(cachyos)
    refused = run(cachyos, present=["iommu=pt"], check_mode=True, expect_failure=True)
    assert "/etc/sdboot-manage.conf line" in refused["msg"] and "is a tree" in refused["msg"]
    applied = run(cachyos, present=["iommu=pt"], expect_failure=True)
    assert "is a tree" in applied["msg"] and tree(cachyos) == edited and gen_calls(cachyos) == []


def test_linux_fallback_options_is_never_edited(cachyos):
    conf = read(cachyos, CONF) + b'LINUX_FALLBACK_OPTIONS="quiet nowatchdog"\n'
    write(cachyos, CONF, conf)
    run(cachyos, present=["nowatchdog=0"], absent=["quiet"])
    assert read(cachyos, CONF).endswith(b'LINUX_FALLBACK_OPTIONS="quiet nowatchdog"\n')
