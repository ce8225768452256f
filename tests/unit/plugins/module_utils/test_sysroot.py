"""SysRoot: every machine path resolves below the root; writes behave like the kernel's."""

import errno
import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils.sysroot import (
    AttributeWriteError,
    PathRecorder,
    PlainTreeWriteError,
    SysRoot,
    SysRootError,
    with_sysroot_option,
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


def test_attribute_write_does_not_create_missing_attributes(scratch_host):
    root = SysRoot(scratch_host("no_amd_gpu"))
    os.unlink(root.path("/sys/module/pcie_aspm/parameters/policy"))
    with pytest.raises(AttributeWriteError) as info:
        root.write_attribute("/sys/module/pcie_aspm/parameters/policy", "performance")
    assert info.value.errno == errno.ENOENT
    assert "ENOENT" in str(info.value)
    assert not os.path.exists(root.path("/sys/module/pcie_aspm/parameters/policy"))


def test_attribute_write_on_a_plain_tree_is_refused_and_names_the_way_out(tmp_path):
    """An extracted capture has no kernel behind it: the recorded file must stay as it is."""
    target = tmp_path / "sys" / "module" / "pcie_aspm" / "parameters" / "policy"
    target.parent.mkdir(parents=True)
    target.write_text("[default] performance powersave powersupersave \n")
    root = SysRoot(str(tmp_path))
    assert root.is_plain_tree
    with pytest.raises(PlainTreeWriteError) as info:
        root.write_attribute("/sys/module/pcie_aspm/parameters/policy", "default")
    message = str(info.value)
    assert "/sys/module/pcie_aspm/parameters/policy" in message and str(tmp_path) in message
    assert "plain tree" in message and "scratch_host.py" in message
    assert isinstance(info.value, AttributeWriteError) and info.value.errno == errno.EROFS
    assert target.read_text() == "[default] performance powersave powersupersave \n"


def test_live_root_and_simulated_hosts_are_not_plain_trees(scratch_host):
    assert not SysRoot("/").is_plain_tree
    assert not SysRoot(scratch_host("r9700_desktop")).is_plain_tree


def test_recorder_notes_every_path_touched_and_folder_listed(tmp_path):
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "cmdline").write_text("ro\n")
    recorder = PathRecorder()
    root = SysRoot(str(tmp_path), recorder=recorder)
    root.read_text("/proc/cmdline")
    root.exists("/sys/module/pcie_aspm")
    root.list_dir("/sys/bus/pci/devices/")
    assert recorder.touched == {"/proc/cmdline", "/sys/module/pcie_aspm", "/sys/bus/pci/devices"}
    assert recorder.listed == {"/sys/bus/pci/devices"}


def test_sysroot_option_is_defined_once():
    spec = with_sysroot_option({"policy": {"type": "str"}})
    assert spec == {"policy": {"type": "str"}, "sysroot": {"type": "path", "default": "/"}}
    with pytest.raises(ValueError, match="defined once"):
        with_sysroot_option({"sysroot": {"type": "str"}})


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
