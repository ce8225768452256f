"""kernel_cmdline refuses boot-critical names in present and control characters, before anything is read (issue 24)."""

import os

import pytest

from tests.simulation.bootloader_hosts import make_bootloader_host
from tests.unit.host_files import tool_log
from tests.unit.module_runner import run_module

ENTRY = "boot/efi/loader/entries/4c1f0e8d2b6a4f3e9a7d5c0b1e2f3a4b-6.12.57+deb13-amd64.conf"


def tree_bytes(root):
    found = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            full = os.path.join(folder, name)
            if not os.path.islink(full) and "inferops-sim" not in full:
                with open(full, "rb") as handle:
                    found[full] = handle.read()
    return found


@pytest.fixture
def systemd_boot(tmp_path):
    return make_bootloader_host("systemd_boot_host", str(tmp_path / "host"))


@pytest.mark.parametrize("present", [["root=/dev/sdz9"], ["rootflags=subvol=@x"], ["ro"], ["rd.luks.uuid=1234"],
                                     ["systemd.machine_id=0"], ["init=/bin/sh"]])
def test_a_boot_critical_name_in_present_is_refused_without_the_option(systemd_boot, present):
    before = tree_bytes(systemd_boot)
    result = run_module("kernel_cmdline", dict(sysroot=systemd_boot, present=present), expect_failure=True)
    assert result["msg"].startswith("present: %s would set" % present[0]) and "allow_boot_critical" in result["msg"]
    assert result["changed"] is False and tree_bytes(systemd_boot) == before and tool_log(systemd_boot) == []


def test_with_the_option_a_boot_critical_value_is_replaced(systemd_boot):
    result = run_module("kernel_cmdline", dict(sysroot=systemd_boot, present=["root=/dev/sdz9"],
                                               allow_boot_critical=True))
    assert result["changed"] is True and "root=/dev/sdz9" in result["configured"]
    with open(os.path.join(systemd_boot, ENTRY)) as handle:
        assert "options    root=/dev/sdz9 ro quiet" in handle.read()


@pytest.mark.parametrize("option, argument, named", [
    ("present", "quiet\tsplash", "U+0009"),
    ("present", "acpi_osi=\x1b[31m", "U+001B"),
    ("present", "amdgpu.dc=1\x7f", "U+007F"),
    ("present", "a\x01=\x1f", "U+0001, U+001F"),
    ("absent", "splash\x0b", "U+000B"),
    ("present", "x=\x0c", "U+000C"),
])
def test_control_characters_are_refused_naming_the_argument(systemd_boot, option, argument, named):
    before = tree_bytes(systemd_boot)
    result = run_module("kernel_cmdline", {"sysroot": systemd_boot, option: [argument]}, expect_failure=True)
    assert repr(argument) in result["msg"] and named in result["msg"] and "control character" in result["msg"]
    assert result["changed"] is False and tree_bytes(systemd_boot) == before and tool_log(systemd_boot) == []
