"""playbooks/capture.yml (inferops.amd.capture): archives of every host land on the controller."""

import json
import os
import tarfile

from tests.integration.conftest import run_playbook
from tests.simulation.scratch_host import make_scratch_host
from tests.unit.module_runner import run_module


def inventory_for(tmp_path, hosts):
    lines = ["all:", "  hosts:"]
    for name, root in hosts.items():
        lines += ["    %s:" % name, "      ansible_connection: local",
                  "      ansible_python_interpreter: \"{{ ansible_playbook_python }}\"",
                  "      inferops_sysroot: %s" % root,
                  "      inferops_capture_remote_path: %s" % (tmp_path / ("%s-remote.tar.gz" % name))]
    path = tmp_path / "hosts.yml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def facts_of(root):
    facts = run_module("hardware_facts", {"sysroot": root})["ansible_facts"]["inferops_amd"]
    facts.pop("sysroot")
    return facts


def test_capture_playbook_fetches_replayable_archives(tmp_path, monkeypatch):
    """Each host's archive is data (nothing executable); replayed by scratch_host it gives the host's facts."""
    monkeypatch.setenv("INFEROPS_SIMULATION", "1")  # the hosts are simulated; the capture runs ryzenadj --info there
    hosts = dict((name, make_scratch_host(profile, str(tmp_path / name)))
                 for name, profile in (("gpu-box", "r9700_desktop"), ("halo", "strix_halo_laptop_64g")))
    inventory = inventory_for(tmp_path, hosts)
    out = tmp_path / "captures"
    check = run_playbook("inferops.amd.capture", inventory, ["--check", "-e", "inferops_capture_dir=%s" % out])
    assert check.returncode == 0, check.output[-3000:]
    assert not out.exists()
    run = run_playbook("inferops.amd.capture", inventory, ["-e", "inferops_capture_dir=%s" % out])
    assert run.returncode == 0, run.output[-3000:]
    for name, root in hosts.items():
        archive = out / ("%s.tar.gz" % name)
        with tarfile.open(str(archive)) as handle:
            assert [member.name for member in handle.getmembers() if member.mode & 0o111 and member.isfile()] == []
            assert all(member.isdir() or member.isfile() or member.issym() for member in handle.getmembers())
        replayed = make_scratch_host(str(archive), str(tmp_path / ("%s-replayed" % name)))
        assert facts_of(replayed) == facts_of(root)
    with open(os.path.join(str(tmp_path / "halo-replayed"), ".inferops-capture/tools/ryzenadj.json")) as handle:
        assert "STAPM LIMIT" in json.load(handle)["stdout"]


def test_archives_land_below_the_folder_the_run_started_from_not_in_the_collection(tmp_path, monkeypatch):
    """Run by its FQCN, playbook_dir is inside the installed collection; the default is ./captures of the caller
    ($PWD, else the inventory's folder), and a relative inferops_capture_dir is taken from there too."""
    monkeypatch.setenv("INFEROPS_SIMULATION", "1")
    inventory = inventory_for(tmp_path, {"gpu-box": make_scratch_host("r9700_desktop", str(tmp_path / "gpu-box"))})
    started_in = tmp_path / "workdir"
    started_in.mkdir()
    run = run_playbook("inferops.amd.capture", inventory, env={"PWD": str(started_in)})
    assert run.returncode == 0, run.output[-3000:]
    assert tarfile.is_tarfile(str(started_in / "captures" / "gpu-box.tar.gz"))
    assert "%s/captures/gpu-box.tar.gz" % started_in in run.flat_output
    mine = run_playbook("inferops.amd.capture", inventory, ["-e", "inferops_capture_dir=mine"],
                        env={"PWD": str(started_in)})
    assert mine.returncode == 0, mine.output[-3000:]
    assert tarfile.is_tarfile(str(started_in / "mine" / "gpu-box.tar.gz"))
    no_pwd = run_playbook("inferops.amd.capture", inventory, env={"PWD": ""})
    assert no_pwd.returncode == 0, no_pwd.output[-3000:]
    assert tarfile.is_tarfile(str(tmp_path / "captures" / "gpu-box.tar.gz"))
