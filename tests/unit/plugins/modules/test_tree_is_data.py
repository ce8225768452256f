"""A tree is data: on any sysroot but /, nothing of the tree runs unless the controller sets INFEROPS_SIMULATION=1.

Issue 24: even --check sourced a tree's /etc/default/grub with the controller's /bin/sh, and
ryzenadj's check mode ran the tree's /usr/bin/ryzenadj, so a crafted capture ran code on the
maintainer's machine. Nothing inside a tree can be the switch (a simulation marker, the tree's own
attribute writer): a capture can carry it. Each test plants code that would leave a marker file on the
controller if it ran.
"""

import os
import stat

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandError, CommandRunner
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import ATTRIBUTE_WRITER, PlainTreeWriteError, SysRoot
from tests.unit.module_runner import run_module

ASPM = "pcie_aspm.policy=performance"


@pytest.fixture
def no_simulation(monkeypatch):
    monkeypatch.delenv("INFEROPS_SIMULATION", raising=False)


def plant(root, machine_path, marker):
    """An executable at ``machine_path`` of the tree that creates ``marker`` when it runs."""
    path = os.path.join(root, machine_path.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        os.unlink(path)
    with open(path, "w") as handle:
        handle.write("#!/bin/sh\ntouch '%s'\n" % marker)
    os.chmod(path, 0o755)


def plant_in_grub_defaults(root, marker):
    path = os.path.join(root, "etc/default/grub")
    with open(path, "a") as handle:
        handle.write("touch '%s'\n" % marker)


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_command_planted_in_the_grub_defaults_never_runs(scratch_host, tmp_path, no_simulation, check_mode):
    root = scratch_host("r9700_desktop")
    marker = tmp_path / "ran"
    plant_in_grub_defaults(root, marker)
    plant(root, "/usr/sbin/update-grub", marker)
    result = run_module("kernel_cmdline", dict(sysroot=root, present=[ASPM], bootloader="grub"),
                        check_mode=check_mode, expect_failure=True)
    assert not marker.exists()
    assert "/etc/default/grub line" in result["msg"] and "read as data" in result["msg"]
    assert result["changed"] is False


def test_plain_grub_defaults_of_a_tree_are_read_as_data_in_check_mode(scratch_host, tmp_path, no_simulation):
    root = scratch_host("r9700_desktop")
    marker = tmp_path / "ran"
    plant(root, "/usr/sbin/update-grub", marker)
    plant(root, "/bin/sh", marker)
    result = run_module("kernel_cmdline", dict(sysroot=root, present=[ASPM], bootloader="grub"), check_mode=True)
    assert result["changed"] is True and result["added"] == [ASPM]
    assert result["configured"] == ["quiet", ASPM]
    assert not marker.exists()


def test_a_change_that_needs_the_trees_tool_is_refused_before_anything_is_written(scratch_host, tmp_path,
                                                                                  no_simulation):
    root = scratch_host("r9700_desktop")
    marker = tmp_path / "ran"
    plant(root, "/usr/sbin/update-grub", marker)
    with open(os.path.join(root, "etc/default/grub"), "rb") as handle:
        before = handle.read()
    result = run_module("kernel_cmdline", dict(sysroot=root, present=[ASPM], bootloader="grub"), expect_failure=True)
    assert "INFEROPS_SIMULATION=1" in result["msg"] and "nothing was changed" in result["msg"]
    with open(os.path.join(root, "etc/default/grub"), "rb") as handle:
        assert handle.read() == before
    assert not marker.exists()
    assert sorted(os.listdir(os.path.join(root, "etc/default"))) == ["grub"]


def test_ryzenadj_check_mode_does_not_run_the_trees_ryzenadj(scratch_host, tmp_path, no_simulation):
    root = scratch_host("strix_halo_laptop_64g")
    marker = tmp_path / "ran"
    plant(root, "/usr/bin/ryzenadj", marker)
    result = run_module("ryzenadj", dict(sysroot=root, stapm_limit=80), check_mode=True, expect_failure=True)
    assert not marker.exists()
    assert "INFEROPS_SIMULATION=1" in result["msg"]


def test_the_command_runner_refuses_a_trees_tool(tmp_path, no_simulation):
    marker = tmp_path / "ran"
    plant(str(tmp_path / "tree"), "/usr/bin/grubby", marker)
    runner = CommandRunner(SysRoot(str(tmp_path / "tree")), lambda argv, **kwargs: os.system(argv[0]))
    with pytest.raises(CommandError, match="a tree is data"):
        runner.run(["grubby", "--info=ALL"])
    assert not marker.exists() and runner.calls == []


def test_the_trees_own_attribute_writer_is_not_the_switch(scratch_host, tmp_path, no_simulation):
    host = scratch_host("r9700_desktop")
    marker = tmp_path / "ran"
    plant(host, ATTRIBUTE_WRITER, marker)
    root = SysRoot(host)
    assert root.is_plain_tree and root.attribute_writer is None
    with pytest.raises(PlainTreeWriteError):
        root.write_attribute("/sys/module/pcie_aspm/parameters/policy", "performance")
    facts = run_module("hardware_facts", dict(sysroot=host, probe_aspm=True))["ansible_facts"]["inferops_amd"]
    assert facts["aspm"]["probed"] is False
    result = run_module("pcie_aspm", dict(sysroot=host, policy="performance"), check_mode=True)
    assert result["changed"] is True
    assert not marker.exists()


def test_with_the_switch_the_same_tree_writes_through_its_writer(scratch_host, monkeypatch):
    monkeypatch.setenv("INFEROPS_SIMULATION", "1")
    root = SysRoot(scratch_host("r9700_desktop"))
    assert root.may_run_tree_code and root.can_write_attributes
    assert root.attribute_writer == root.real_path(ATTRIBUTE_WRITER)


def test_only_the_value_1_switches_the_simulation_on(scratch_host, monkeypatch):
    monkeypatch.setenv("INFEROPS_SIMULATION", "yes")
    assert not SysRoot(scratch_host("r9700_desktop")).may_run_tree_code


def test_the_live_root_runs_its_own_tools_without_the_switch(no_simulation):
    assert SysRoot("/").may_run_tree_code


def test_an_absolute_link_in_a_tree_leads_inside_the_tree(tmp_path):
    tree = tmp_path / "tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "real").write_bytes(b"tree's own\n")
    os.symlink("/etc/real", str(tree / "etc" / "link"))
    os.symlink("../../../../../../etc/real", str(tree / "etc" / "climbing"))
    os.symlink("/etc/hostname", str(tree / "etc" / "host-file"))
    root = SysRoot(str(tree))
    assert root.read_text("/etc/link") == "tree's own\n"
    assert root.read_text("/etc/climbing") == "tree's own\n"
    assert root.read_text("/etc/host-file") is None  # the controller's /etc/hostname is not the tree's
    assert root.resolve("/etc/link") == "/etc/real"


def test_a_write_through_an_absolute_link_stays_inside_the_tree(tmp_path):
    tree = tmp_path / "tree"
    (tree / "etc").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.write_bytes(b"keep\n")
    os.symlink(str(outside), str(tree / "etc" / "escape"))
    SysRoot(str(tree)).write_config("/etc/escape", "written\n")
    assert outside.read_bytes() == b"keep\n"
    assert (tree / str(outside).lstrip("/")).read_bytes() == b"written\n"
    assert os.path.islink(str(tree / "etc" / "escape"))


def test_a_symlink_loop_is_a_clear_error(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    os.symlink("/b", str(tree / "a"))
    os.symlink("/a", str(tree / "b"))
    assert SysRoot(str(tree)).read_text("/a", default="none") == "none"
    with pytest.raises(Exception, match="too many levels of symbolic links"):
        SysRoot(str(tree)).real_path("/a")


def test_sysfs_values_lose_their_nul_bytes(tmp_path):
    (tmp_path / "value").write_bytes(b"performance\0\n")
    assert SysRoot(str(tmp_path)).read_value("/value") == "performance"


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_a_rewritten_file_keeps_its_owner_group_and_mode(tmp_path):
    target = tmp_path / "etc" / "default" / "grub"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"OLD\n")
    os.chown(str(target), 1234, 5678)
    os.chmod(str(target), 0o640)
    SysRoot(str(tmp_path)).write_config("/etc/default/grub", "NEW\n", backup_suffix=".bak")
    info = os.stat(str(target))
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (1234, 5678, 0o640)
    assert target.read_bytes() == b"NEW\n" and (target.parent / "grub.bak").read_bytes() == b"OLD\n"


def test_a_link_reached_through_a_missing_folder_and_dot_dot_still_resolves_inside(tmp_path):
    tree = tmp_path / "tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "real").write_bytes(b"tree's own\n")
    os.symlink("/etc/real", str(tree / "etc" / "link"))
    root = SysRoot(str(tree))
    assert root.real_path("/etc/missing/../link") == str(tree / "etc" / "real")
