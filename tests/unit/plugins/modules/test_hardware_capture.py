"""hardware_capture -> extract -> hardware_facts gives the facts of the captured host."""

import json
import os
import tarfile

import pytest

from tests.simulation.scratch_host import make_scratch_host, profiles
from tests.unit.module_runner import run_module


# An extracted capture has no runnable tool (a tool is an empty 0644 file there): what depends on finding one.
TOOL_FACTS = ("tools", "ryzenadj_installed", "tuned", "ollama_version")


def facts_of(root):
    facts = run_module("hardware_facts", {"sysroot": root})["ansible_facts"]["inferops_amd"]
    assert facts.pop("sysroot") == root
    return facts


def assert_same_but_tools(live, replayed):
    """The plain tree's facts are the host's, except that no tool can be run there."""
    assert all(path is None for path in replayed["tools"].values())
    assert replayed["ryzenadj_installed"] is False and replayed["tuned"] is None and replayed["ollama_version"] is None
    assert dict((k, v) for k, v in replayed.items() if k not in TOOL_FACTS) == \
        dict((k, v) for k, v in live.items() if k not in TOOL_FACTS)


def capture_and_extract(source, tmp_path):
    dest = str(tmp_path / "capture.tar.gz")
    result = run_module("hardware_capture", {"sysroot": source, "dest": dest})
    assert result["changed"] is True and os.path.isfile(dest)
    tree = str(tmp_path / "replayed")
    os.mkdir(tree)
    with tarfile.open(dest) as archive:
        archive.extractall(tree, filter="tar")
    return result, tree


def test_round_trip_on_this_machine_root(tmp_path):
    """The live / of the machine the tests run on, captured and replayed, gives the same facts."""
    result, tree = capture_and_extract("/", tmp_path)
    live, replayed = facts_of("/"), facts_of(tree)
    assert_same_but_tools(live, replayed)
    assert result["manifest"]["kernel_release"] == live["kernel"]["release"] == os.uname().release
    assert result["manifest"]["host_class"] == live["host_class"]
    for link in os.listdir(os.path.join(tree, "sys/bus/pci/devices")):
        machine = "/sys/bus/pci/devices/" + link
        assert os.path.realpath(os.path.join(tree, machine.lstrip("/"))) == tree + os.path.realpath(machine)


@pytest.mark.parametrize("profile", profiles())
def test_round_trip_of_every_recorded_host(profile, tmp_path, monkeypatch):
    monkeypatch.setenv("INFEROPS_SIMULATION", "1")
    host = make_scratch_host(profile, str(tmp_path / "host"))
    result, tree = capture_and_extract(host, tmp_path)
    live, replayed = facts_of(host), facts_of(tree)
    assert "simulated" not in live  # a root's kind is no fact of the machine
    assert_same_but_tools(live, replayed)
    # replayed by scratch_host, whose stand-ins answer at the recorded tools' places: the host's facts in full
    simulated = make_scratch_host(str(tmp_path / "capture.tar.gz"), str(tmp_path / "simulated"))
    assert facts_of(simulated) == live
    manifest = result["manifest"]
    assert manifest["host_class"] == live["host_class"] and manifest["collection_version"] == "0.2.0"
    assert manifest["refused"] == {} or all(reason for reason in manifest["refused"])


def test_replayed_ryzenadj_answers_info_with_the_recorded_output(tmp_path, monkeypatch):
    monkeypatch.setenv("INFEROPS_SIMULATION", "1")
    host = make_scratch_host("strix_halo_laptop_64g", str(tmp_path / "host"))
    result, tree = capture_and_extract(host, tmp_path)
    assert result["manifest"]["tools"]["ryzenadj"]["rc"] == 0
    with open(os.path.join(tree, ".inferops-capture/tools/ryzenadj.json")) as handle:
        recorded = json.load(handle)
    assert recorded["argv"] == ["ryzenadj", "--info"] and "STAPM LIMIT" in recorded["stdout"]
    failed = run_module("ryzenadj", {"sysroot": tree, "slow_limit": 85, "persist": False}, check_mode=True,
                        expect_failure=True)
    assert failed["msg"].startswith("ryzenadj not found in")  # nothing of a plain extracted capture runs
    replayed = make_scratch_host(str(tmp_path / "capture.tar.gz"), str(tmp_path / "simulated"))
    plan = run_module("ryzenadj", {"sysroot": replayed, "slow_limit": 85, "persist": False}, check_mode=True)
    assert plan["changed"] is True


def test_check_mode_writes_no_archive(scratch_host, tmp_path):
    dest = str(tmp_path / "capture.tar.gz")
    result = run_module("hardware_capture", {"sysroot": scratch_host("r9700_desktop"), "dest": dest}, check_mode=True)
    assert result["changed"] is True and not os.path.exists(dest)
    assert result["manifest"]["files"] > 0


def test_same_content_leaves_the_archive_alone(scratch_host, tmp_path):
    root = scratch_host("r9700_desktop")
    dest = str(tmp_path / "capture.tar.gz")
    first = run_module("hardware_capture", {"sysroot": root, "dest": dest})
    stamp = os.stat(dest).st_mtime_ns
    again = run_module("hardware_capture", {"sysroot": root, "dest": dest})
    assert again["changed"] is False and os.stat(dest).st_mtime_ns == stamp
    assert again["manifest"]["payload_sha256"] == first["manifest"]["payload_sha256"]
    with open(os.path.join(root, "proc/cmdline"), "a") as handle:
        handle.write(" ")
    assert run_module("hardware_capture", {"sysroot": root, "dest": dest})["changed"] is True


def test_dest_inside_the_sysroot_is_refused(scratch_host):
    root = scratch_host("r9700_desktop")
    result = run_module("hardware_capture", {"sysroot": root, "dest": os.path.join(root, "c.tar.gz")},
                        expect_failure=True)
    assert "inside sysroot" in result["msg"]


def test_replayed_capture_is_only_read_until_made_a_simulated_host(tmp_path):
    """On the extracted (plain) tree, setting the policy fails naming the file; as a scratch host it works."""
    host = make_scratch_host("r9700_desktop", str(tmp_path / "host"))
    dest = str(tmp_path / "capture.tar.gz")
    run_module("hardware_capture", {"sysroot": host, "dest": dest})
    plain = str(tmp_path / "plain")
    os.mkdir(plain)
    with tarfile.open(dest) as archive:
        archive.extractall(plain, filter="tar")
    policy = os.path.join(plain, "sys/module/pcie_aspm/parameters/policy")
    before = open(policy).read()
    failed = run_module("pcie_aspm", {"sysroot": plain, "policy": "performance"}, expect_failure=True)
    assert "/sys/module/pcie_aspm/parameters/policy" in failed["msg"] and "plain tree" in failed["msg"]
    assert open(policy).read() == before
    simulated = make_scratch_host(dest, str(tmp_path / "simulated"))
    assert run_module("pcie_aspm", {"sysroot": simulated, "policy": "performance"})["changed"] is True
    with open(os.path.join(simulated, "sys/module/pcie_aspm/parameters/policy")) as handle:
        assert handle.read() == "default [performance] powersave powersupersave \n"
