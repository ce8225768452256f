"""SysRoot: every machine path resolves below the root; writes behave like the kernel's."""

import errno
import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import (
    ATTRIBUTE_WRITER,
    AttributeWriteError,
    AttributeWriterError,
    PathRecorder,
    PlainTreeWriteError,
    SysRoot,
    SysRootError,
    module_sysroot,
    run_argv,
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
    assert "plain tree" in message and ATTRIBUTE_WRITER in message and "INFEROPS_SIMULATION=1" in message
    assert isinstance(info.value, AttributeWriteError) and info.value.errno == errno.EROFS
    assert target.read_text() == "[default] performance powersave powersupersave \n"


def test_live_root_and_simulated_hosts_are_not_plain_trees(scratch_host):
    assert not SysRoot("/").is_plain_tree and SysRoot("/").can_write_attributes
    host = SysRoot(scratch_host("r9700_desktop"))
    assert not host.is_plain_tree and host.can_write_attributes
    assert host.attribute_writer == host.real_path(ATTRIBUTE_WRITER)


def writer_tree(tmp_path, script):
    """A tree whose attribute writer is the shell ``script`` (argv PATH VALUE), with one attribute file."""
    (tmp_path / "sys" / "value").parent.mkdir(parents=True)
    (tmp_path / "sys" / "value").write_text("old\n")
    writer = tmp_path / ATTRIBUTE_WRITER.lstrip("/")
    writer.parent.mkdir(parents=True)
    writer.write_text("#!/bin/sh\n" + script)
    os.chmod(str(writer), 0o755)
    return SysRoot(str(tmp_path))


def test_a_trees_writer_gets_the_machine_path_the_value_and_the_tree(tmp_path):
    root = writer_tree(tmp_path, 'printf "%s|%s|%s|%s" "$1" "$2" "$INFEROPS_SYSROOT" "$LC_ALL" > "$INFEROPS_SYSROOT/sys/value"\n')
    root.write_attribute("/sys/value", "new word")
    assert (tmp_path / "sys" / "value").read_text() == "/sys/value|new word|%s|C" % tmp_path


def test_a_trees_writer_exit_status_is_the_kernels_errno(tmp_path):
    root = writer_tree(tmp_path, "exit %d\n" % errno.EBUSY)
    with pytest.raises(AttributeWriteError) as info:
        root.write_attribute("/sys/value", "x")
    assert info.value.errno == errno.EBUSY and "EBUSY" in str(info.value)
    assert not isinstance(info.value, AttributeWriterError)


@pytest.mark.parametrize("script", ["echo 'Traceback: boom' >&2; exit 1\n", "exit 250\n", "kill -9 $$\n"])
def test_a_trees_writer_that_fails_itself_is_not_taken_for_the_kernel(tmp_path, script):
    """A crash (exit 1 is EPERM's number) or an exit that is no errno must not read as the kernel's answer."""
    root = writer_tree(tmp_path, script)
    with pytest.raises(AttributeWriterError) as info:
        root.write_attribute("/sys/value", "x")
    assert info.value.errno == errno.EIO and "attribute writer" in str(info.value)
    assert ATTRIBUTE_WRITER in str(info.value)
    assert "boom" in str(info.value) or "exit" in str(info.value)


def test_a_trees_writer_runs_only_with_the_switch(tmp_path, monkeypatch):
    monkeypatch.delenv("INFEROPS_SIMULATION", raising=False)
    root = writer_tree(tmp_path, "echo ran > \"$INFEROPS_SYSROOT/sys/value\"\n")
    assert root.attribute_writer is None and root.is_plain_tree
    with pytest.raises(PlainTreeWriteError):
        root.write_attribute("/sys/value", "x")
    assert (tmp_path / "sys" / "value").read_text() == "old\n"


def test_a_writer_that_is_not_executable_makes_no_writable_tree(tmp_path):
    root = writer_tree(tmp_path, "exit 0\n")
    os.chmod(root.real_path(ATTRIBUTE_WRITER), 0o644)
    assert SysRoot(str(tmp_path)).is_plain_tree


def test_a_write_outside_the_tree_is_refused_before_the_writer_runs(tmp_path):
    root = writer_tree(tmp_path, "echo ran > \"$INFEROPS_SYSROOT/sys/value\"\n")
    with pytest.raises(SysRootError, match="escapes sysroot"):
        root.write_attribute("/../../sys/value", "x")
    assert (tmp_path / "sys" / "value").read_text() == "old\n"


def test_a_module_runs_the_writer_through_its_run_command_with_the_word_as_given(tmp_path):
    """AnsibleModule.run_command expands "~" and "$VAR" in argv unless told not to: the word must arrive as written."""
    writer_tree(tmp_path, 'printf "%s" "$2" > "$INFEROPS_SYSROOT/sys/value"\n')
    calls = []

    class Module:
        params = {"sysroot": str(tmp_path)}

        @staticmethod
        def run_command(argv, **kwargs):
            calls.append((argv, kwargs))
            return run_argv(argv, environ_update=kwargs.get("environ_update"))

    module_sysroot(Module()).write_attribute("/sys/value", "$HOME ~")
    assert (tmp_path / "sys" / "value").read_text() == "$HOME ~"
    ((argv, kwargs),) = calls
    assert argv[1:] == ["/sys/value", "$HOME ~"] and kwargs["expand_user_and_vars"] is False


def test_the_writer_is_not_recorded_as_a_machine_file(scratch_host):
    recorder = PathRecorder()
    root = SysRoot(scratch_host("r9700_desktop"), recorder=recorder)
    assert root.can_write_attributes
    assert ATTRIBUTE_WRITER not in recorder.touched


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


def test_live_root_has_no_attribute_writer_and_no_tool_environment():
    root = SysRoot("/")
    assert root.is_live and root.attribute_writer is None
    assert root.tool_environment() == {}
