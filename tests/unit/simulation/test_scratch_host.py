"""The recorded hosts and the tool that copies them: every profile is complete and copies cleanly."""

import errno
import io
import json
import os
import subprocess
import tarfile

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._host import capture as hardware_capture
from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandError
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import ATTRIBUTE_WRITER, SysRoot
from tests.simulation import simulated_boot
from tests.simulation.scratch_host import (
    CAPTURE_FORMAT, FIXTURE_HOSTS, MANIFEST, TOOLS, make_scratch_host, profiles, scratch_additions,
)
from tests.unit.module_runner import run_module


@pytest.mark.parametrize("profile", profiles())
def test_profile_has_provenance_and_only_known_tools(profile):
    folder = os.path.join(FIXTURE_HOSTS, profile)
    assert os.path.getsize(os.path.join(folder, "PROVENANCE.md")) > 200
    with open(os.path.join(folder, "simulation.json")) as handle:
        config = json.load(handle)
    missing = [name for name in config.get("tools", {}) if not os.path.isfile(os.path.join(TOOLS, name))]
    assert missing == []


def test_scratch_copy_is_simulated_and_records_boot_defaults(tmp_path):
    root = make_scratch_host("r9700_desktop", str(tmp_path / "host"))
    kernel = simulated_boot.load(root)
    defaults = kernel.config["boot_defaults"]
    assert any(path.endswith("/pp_power_profile_mode") for path in defaults)
    # the links' firmware state, which a boot under pcie_aspm.policy=default restores
    links = kernel.config["pcie_links"]
    assert links["/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0/0000:02:00.0"]["default"]["l1_aspm"] == 1
    assert "clkpm" not in links["/sys/devices/pci0000:00/0000:00:01.1"]["capable"]
    assert kernel.config["aspm_disabled"] is False
    assert kernel.config["boot_count"] == 0


def test_scratch_copy_answers_attribute_writes_through_its_own_writer(tmp_path):
    root = make_scratch_host("r9700_desktop", str(tmp_path / "host"))
    writer = os.path.join(root, ATTRIBUTE_WRITER.lstrip("/"))
    with open(writer) as handle:
        assert os.path.join(TOOLS, "sysfs-write") in handle.read()  # a launcher of the test stand-in
    policy = "/sys/module/pcie_aspm/parameters/policy"
    env = {"PATH": os.environ["PATH"]}  # the launcher pins the tree
    taken = subprocess.run([writer, policy, "performance"], env=env, capture_output=True, text=True, check=False)
    assert (taken.returncode, taken.stderr) == (0, "")
    with open(os.path.join(root, policy.lstrip("/"))) as handle:
        assert handle.read() == "default [performance] powersave powersupersave \n"
    refused = subprocess.run([writer, policy, "turbo"], env=env, capture_output=True, text=True, check=False)
    assert (refused.returncode, refused.stderr) == (errno.EINVAL, "")
    misused = subprocess.run([writer, policy], env=env, capture_output=True, text=True, check=False)
    assert misused.returncode != 0 and "usage" in misused.stderr


def test_scratch_additions_are_what_the_copy_adds(tmp_path):
    root = make_scratch_host("r9700_desktop", str(tmp_path / "host"))
    recorded = os.path.join(FIXTURE_HOSTS, "r9700_desktop", "root")
    for path in scratch_additions("r9700_desktop"):
        assert os.path.lexists(os.path.join(root, path)) and not os.path.lexists(os.path.join(recorded, path))
    assert "usr/libexec" in scratch_additions("r9700_desktop")


def test_scratch_copy_refuses_a_non_empty_destination(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("x")
    with pytest.raises(SystemExit, match="non-empty"):
        make_scratch_host("r9700_desktop", str(tmp_path / "busy"))


def test_unknown_profile_lists_the_known_ones(tmp_path):
    with pytest.raises(SystemExit, match="unknown host profile 'nope'; known: aspm_locked"):
        make_scratch_host("nope", str(tmp_path / "x"))


def test_installed_tools_act_on_their_own_tree(tmp_path):
    root = make_scratch_host("strix_halo_128g", str(tmp_path / "host"))
    import subprocess
    out = subprocess.run([os.path.join(root, "usr/sbin/tuned-adm"), "active"], capture_output=True, text=True,
                         env={"PATH": os.environ["PATH"]}, check=True).stdout
    # the recording has the profile file but no daemon PID file (/run is not recorded): a preset
    assert out.splitlines()[-1] == "Preset profile: balanced"


# --- a capture archive as PROFILE: the replay runs nothing from it ---

def capture_of(profile, tmp_path, monkeypatch):
    """(source host, capture archive of it) made by the hardware_capture module."""
    monkeypatch.setenv("INFEROPS_SIMULATION", "1")  # the source is a simulated host whose tools the capture runs
    source = make_scratch_host(profile, str(tmp_path / "source"))
    archive = str(tmp_path / "capture.tar.gz")
    run_module("hardware_capture", {"sysroot": source, "dest": archive})
    return source, archive


def member(name, kind=tarfile.REGTYPE, mode=0o644, data=b"", link=""):
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.linkname = kind, mode, link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data


def crafted(archive, dest, add=(), manifest=None, replace=True):
    """A copy of ``archive`` with members added (replacing those of the same name unless ``replace`` is false)."""
    names = set(pair[0].name for pair in add)
    with tarfile.open(archive) as source, tarfile.open(dest, "w:gz", format=tarfile.PAX_FORMAT) as target:
        for info in source.getmembers():
            if replace and info.name in names:
                continue
            data = source.extractfile(info).read() if info.isfile() else b""
            if info.name == MANIFEST and manifest is not None:
                data = json.dumps(manifest(json.loads(data.decode("utf-8")))).encode("utf-8")
                info.size = len(data)
            target.addfile(info, io.BytesIO(data) if info.isfile() else None)
        for info, data in add:
            target.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return dest


def run_tool(root, machine_path, *args):
    return subprocess.run([os.path.join(root, machine_path.lstrip("/"))] + list(args), capture_output=True,
                          text=True, env=dict(os.environ), check=False)


def test_replayed_tools_answer_the_recorded_command_from_data(tmp_path, monkeypatch):
    """ryzenadj --info: captured on the host, replayed by the stand-in from the capture's JSON; nothing else."""
    source, archive = capture_of("strix_halo_laptop_64g", tmp_path, monkeypatch)
    replay = make_scratch_host(archive, str(tmp_path / "replay"))
    with open(os.path.join(replay, "usr/bin/ryzenadj")) as handle:
        assert os.path.join(TOOLS, "recorded-tool") in handle.read()  # a launcher of the test stand-in
    recorded = run_tool(source, "/usr/bin/ryzenadj", "--info")
    replayed = run_tool(replay, "/usr/bin/ryzenadj", "--info")
    assert "STAPM LIMIT" in replayed.stdout
    assert (replayed.returncode, replayed.stdout) == (recorded.returncode, recorded.stdout)
    refused = run_tool(replay, "/usr/bin/ryzenadj", "--stapm-limit=85000")
    assert refused.returncode == 1 and refused.stdout == ""
    assert "only 'ryzenadj --info' was recorded" in refused.stderr
    nothing = run_tool(replay, "/usr/bin/udevadm", "trigger")
    assert nothing.returncode == 1 and "no command of udevadm was recorded" in nothing.stderr
    plan = run_module("ryzenadj", {"sysroot": replay, "slow_limit": 85, "persist": False}, check_mode=True)
    assert plan["changed"] is True
    facts = [run_module("hardware_facts", {"sysroot": root, "probe_aspm": True})["ansible_facts"]["inferops_amd"]
             for root in (source, replay)]
    for item in facts:
        item.pop("sysroot")
    assert facts[0] == facts[1] and facts[1]["tools"]["ryzenadj"] == "/usr/bin/ryzenadj"
    assert facts[1]["aspm"]["probed"] is True and SysRoot(replay).can_write_attributes


PLANTED = {
    "an executable": (0o755, True, "refusing capture member 'usr/bin/ryzenadj'.*executable"),
    "a script at a tool's place": (0o644, True, "refusing tool path '/usr/bin/ryzenadj'.*empty file"),
    "a script as a plain file": (0o644, False, None),
}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_code_planted_in_a_capture_never_runs(case, tmp_path, monkeypatch):
    """A planted script is refused, or stays a file that neither the replay nor the collection's code runs."""
    mode, listed, refused = PLANTED[case]
    archive = capture_of("strix_halo_laptop_64g", tmp_path, monkeypatch)[1]
    ran = tmp_path / "planted-code-ran"
    script = ("#!/bin/sh\ntouch %s\n" % ran).encode("utf-8")

    def unlist(manifest):
        manifest["tool_paths"].pop("/usr/bin/ryzenadj")
        return manifest
    evil = crafted(archive, str(tmp_path / "evil.tar.gz"), [member("usr/bin/ryzenadj", mode=mode, data=script)],
                   None if listed else unlist)
    replay = str(tmp_path / "replay")
    if refused:
        with pytest.raises(SystemExit, match=refused):
            make_scratch_host(evil, replay)
        assert not os.path.exists(replay) or os.listdir(replay) == []
    else:
        make_scratch_host(evil, replay)
        facts = run_module("hardware_facts", {"sysroot": replay})["ansible_facts"]["inferops_amd"]
        assert facts["tools"]["ryzenadj"] is None and facts["ryzenadj_installed"] is False
        failed = run_module("ryzenadj", {"sysroot": replay, "slow_limit": 85, "persist": False}, check_mode=True,
                            expect_failure=True)
        assert failed["msg"].startswith("ryzenadj not found in")
    assert not ran.exists()


def test_a_planted_executable_extracted_by_hand_never_runs(tmp_path, monkeypatch):
    """Past the replay's checks (plain tar), the collection's code runs nothing of a tree without the switch."""
    archive = capture_of("strix_halo_laptop_64g", tmp_path, monkeypatch)[1]
    ran = tmp_path / "planted-code-ran"
    script = ("#!/bin/sh\ntouch %s\n" % ran).encode("utf-8")
    evil = crafted(archive, str(tmp_path / "evil.tar.gz"), [member("usr/bin/ryzenadj", mode=0o755, data=script)])
    tree = str(tmp_path / "tree")
    os.mkdir(tree)
    with tarfile.open(evil) as handle:
        handle.extractall(tree, filter="tar")
    monkeypatch.delenv("INFEROPS_SIMULATION")
    facts = run_module("hardware_facts", {"sysroot": tree, "probe_aspm": True})["ansible_facts"]["inferops_amd"]
    assert facts["aspm"]["probed"] is False and SysRoot(tree).is_plain_tree
    try:
        said = run_module("ryzenadj", {"sysroot": tree, "slow_limit": 85, "persist": False}, check_mode=True,
                          expect_failure=True)["msg"]
    except CommandError as exc:  # the runner's refusal, where the module does not turn it into fail_json
        said = str(exc)
    assert "/usr/bin/ryzenadj" in said
    assert not ran.exists()


def test_a_malformed_tool_record_is_refused_by_the_stand_in(tmp_path, monkeypatch):
    """The record is data the stand-in checks: a crafted one makes it fail, never run anything."""
    archive = capture_of("strix_halo_laptop_64g", tmp_path, monkeypatch)[1]
    ran = tmp_path / "planted-code-ran"
    record = {"argv": ["ryzenadj", "--info"], "rc": "$(touch %s)" % ran, "stdout": "", "stderr": ""}
    evil = crafted(archive, str(tmp_path / "evil.tar.gz"),
                   [member(".inferops-capture/tools/ryzenadj.json", data=json.dumps(record).encode("utf-8"))])
    replay = make_scratch_host(evil, str(tmp_path / "replay"))
    answer = run_tool(replay, "/usr/bin/ryzenadj", "--info")
    assert answer.returncode == 1 and "is not a recorded command" in answer.stderr
    assert not ran.exists()


def set_format(number):
    def change(manifest):
        manifest["format"] = number
        return manifest
    return change


def set_tool_path(path, name):
    def change(manifest):
        manifest["tool_paths"] = {path: name}
        return manifest
    return change


CRAFTED = {
    "device file": ([member("dev/sda", tarfile.BLKTYPE)], None, "folders, files and symlinks only"),
    "fifo": ([member("etc/fifo", tarfile.FIFOTYPE)], None, "folders, files and symlinks only"),
    "hard link": ([member("usr/bin/x", tarfile.LNKTYPE, link="etc/os-release")], None,
                  "folders, files and symlinks only"),
    "setuid file": ([member("etc/kernel-x", mode=0o4644)], None, "executable or special mode bits"),
    "name above the tree": ([member("../outside")], None, "relative machine paths"),
    "absolute name": ([member("/outside")], None, "relative machine paths"),
    "absolute link": ([member("etc/evil", tarfile.SYMTYPE, 0o777, link="/etc/passwd")], None, "leaves the tree"),
    "link above the tree": ([member("etc/evil", tarfile.SYMTYPE, 0o777, link="../../outside")], None,
                            "leaves the tree"),
    "link through a link": ([member("here", tarfile.SYMTYPE, 0o777, link="."),
                             member("up", tarfile.SYMTYPE, 0o777, link="here/..")], None, "leaves the tree"),
    "member below a link": ([member("lnk", tarfile.SYMTYPE, 0o777, link="etc"), member("lnk/x")], None,
                            "below the symlink"),
    "duplicate member": ([member("etc/os-release", data=b"ID=evil\n")], None, "more than once"),
    "simulation marker": ([member(".inferops-simulation.json", data=b"{}")], None, "simulation marker"),
    "attribute writer": ([member(ATTRIBUTE_WRITER.lstrip("/"), data=b"#!/bin/sh\nexit 0\n")], None,
                         "installs the attribute writer itself"),
    "older format": ([], set_format(1), "format 1.*capture the host again"),
    "newer format": ([], set_format(99), "format 99"),
    "tool outside the tree": ([], set_tool_path("/../../outside", "ryzenadj"), "tool path"),
    "tool with a path name": ([], set_tool_path("/usr/bin/ryzenadj", "../../x"), "tool name"),
    "tool at a link": ([member("usr/bin/grubby2", tarfile.SYMTYPE, 0o777, link="grubby")],
                       set_tool_path("/usr/bin/grubby2", "grubby"), "tool path"),
}


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_a_crafted_capture_is_refused(case, tmp_path, monkeypatch):
    add, manifest, message = CRAFTED[case]
    archive = capture_of("strix_halo_laptop_64g", tmp_path, monkeypatch)[1]
    evil = crafted(archive, str(tmp_path / "evil.tar.gz"), add, manifest, replace=case != "duplicate member")
    replay = tmp_path / "box" / "replay"
    replay.parent.mkdir()
    with pytest.raises(SystemExit, match=message):
        make_scratch_host(evil, str(replay))
    assert os.listdir(str(replay.parent)) in ([], ["replay"])
    assert not replay.exists() or os.listdir(str(replay)) == []


def test_an_archive_without_a_manifest_is_not_a_capture(tmp_path):
    archive = str(tmp_path / "other.tar.gz")
    with tarfile.open(archive, "w:gz") as handle:
        info, data = member("etc/os-release", data=b"ID=debian\n")
        handle.addfile(info, io.BytesIO(data))
    with pytest.raises(SystemExit, match="no .inferops-capture/manifest.json"):
        make_scratch_host(archive, str(tmp_path / "replay"))


def test_the_replay_reads_the_format_the_capture_writes():
    assert CAPTURE_FORMAT == hardware_capture.FORMAT
