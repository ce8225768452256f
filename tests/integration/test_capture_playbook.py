"""playbooks/capture.yml (inferops.amd.capture): archives of every host land on the controller."""

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


def test_capture_playbook_fetches_replayable_archives(tmp_path):
    hosts = dict((name, make_scratch_host(profile, str(tmp_path / name)))
                 for name, profile in (("gpu-box", "r9700_desktop"), ("halo", "strix_halo_128g")))
    inventory = inventory_for(tmp_path, hosts)
    out = tmp_path / "captures"
    check = run_playbook("inferops.amd.capture", inventory, ["--check", "-e", "inferops_capture_dir=%s" % out])
    assert check.returncode == 0, check.output[-3000:]
    assert not out.exists()
    run = run_playbook("inferops.amd.capture", inventory, ["-e", "inferops_capture_dir=%s" % out])
    assert run.returncode == 0, run.output[-3000:]
    for name, root in hosts.items():
        archive = out / ("%s.tar.gz" % name)
        tree = tmp_path / ("%s-replayed" % name)
        tree.mkdir()
        with tarfile.open(str(archive)) as handle:
            handle.extractall(str(tree), filter="tar")
        facts = [run_module("hardware_facts", {"sysroot": path})["ansible_facts"]["inferops_amd"]
                 for path in (root, str(tree))]
        for item in facts:
            item.pop("sysroot"), item.pop("simulated")
        assert facts[0] == facts[1]
