"""SysRoot: every machine path resolves below the root; writes behave like the kernel's."""

import errno
import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils.sysroot import (
    AttributeWriteError,
    SysRoot,
    SysRootError,
)


def test_paths_resolve_below_the_root(tmp_path):
    root = SysRoot(str(tmp_path))
    assert root.path("/sys/module") == str(tmp_path / "sys" / "module")
    assert root.machine_path(str(tmp_path / "proc" / "cmdline")) == "/proc/cmdline"


def test_paths_cannot_escape_the_root(tmp_path):
    root = SysRoot(str(tmp_path))
    with pytest.raises(SysRootError, match="escapes sysroot"):
        root.path("/../../etc/passwd")


def test_relative_machine_paths_are_refused(tmp_path):
    with pytest.raises(SysRootError, match="must be absolute"):
        SysRoot(str(tmp_path)).path("sys/module")


def test_missing_root_is_a_clear_error(tmp_path):
    with pytest.raises(SysRootError, match="is not a directory"):
        SysRoot(str(tmp_path / "nope"))


def test_missing_files_read_as_default(tmp_path):
    root = SysRoot(str(tmp_path))
    assert root.read_text("/proc/cmdline") is None
    assert root.read_value("/proc/cmdline", "x") == "x"
    assert root.read_int("/sys/nothing") is None
    assert root.list_dir("/sys/bus/pci/devices") == []


def test_garbage_integers_read_as_default(tmp_path):
    (tmp_path / "value").write_text("not-a-number\n")
    assert SysRoot(str(tmp_path)).read_int("/value", default=-1) == -1


def test_attribute_write_does_not_create_missing_attributes(tmp_path):
    root = SysRoot(str(tmp_path))
    with pytest.raises(AttributeWriteError) as info:
        root.write_attribute("/sys/module/pcie_aspm/parameters/policy", "performance")
    assert info.value.errno == errno.ENOENT
    assert "ENOENT" in str(info.value)
    assert not os.path.exists(root.path("/sys/module/pcie_aspm/parameters/policy"))


def test_attribute_write_on_a_plain_tree_writes_the_word_and_newline(tmp_path):
    target = tmp_path / "attr"
    target.write_text("old\n")
    SysRoot(str(tmp_path)).write_attribute("/attr", "new")
    assert target.read_text() == "new\n"


def test_write_config_is_atomic_and_keeps_a_backup(tmp_path):
    target = tmp_path / "etc" / "default" / "grub"
    target.parent.mkdir(parents=True)
    target.write_text("OLD\n")
    os.chmod(str(target), 0o600)
    root = SysRoot(str(tmp_path))
    backup = root.write_config("/etc/default/grub", "NEW\n", backup_suffix=".bak")
    assert backup == "/etc/default/grub.bak"
    assert target.read_text() == "NEW\n"
    assert (tmp_path / "etc" / "default" / "grub.bak").read_text() == "OLD\n"
    assert oct(os.stat(str(target)).st_mode & 0o777) == oct(0o600)
    assert sorted(os.listdir(str(target.parent))) == ["grub", "grub.bak"]


def test_write_config_creates_folders_and_files(tmp_path):
    root = SysRoot(str(tmp_path))
    assert root.write_config("/etc/udev/rules.d/90-x.rules", "RULE\n") is None
    assert (tmp_path / "etc" / "udev" / "rules.d" / "90-x.rules").read_text() == "RULE\n"


def test_find_tool_looks_inside_the_root_only(tmp_path):
    tool = tmp_path / "usr" / "sbin" / "update-grub"
    tool.parent.mkdir(parents=True)
    tool.write_text("#!/bin/sh\n")
    root = SysRoot(str(tmp_path))
    assert root.find_tool("update-grub") is None  # not executable yet
    os.chmod(str(tool), 0o755)
    assert root.find_tool("update-grub") == str(tool)
    assert root.find_tool("python3") is None
    assert root.tool_environment() == {"INFEROPS_SYSROOT": str(tmp_path)}


def test_live_root_has_no_simulation_and_no_tool_environment():
    root = SysRoot("/")
    assert root.is_live and not root.is_simulated
    assert root.tool_environment() == {}
