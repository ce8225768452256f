"""A play's module_defaults alone point every task of a role at the tree: the role reads its facts under them
and acts on the root they were read from; the real / stays as it was (no inferops_sysroot anywhere)."""

import hashlib
import os

from tests.integration.conftest import REPO, run_playbook
from tests.simulation.scratch_host import make_scratch_host

# Every place on the machine the strix_halo role writes to or runs a tool on: the bootloader
# (grubby/BLS, GRUB defaults), sysctl.d, environment.d, tuned, systemd units (RyzenAdj) and udev.
WATCHED = ("/etc/sysctl.d", "/etc/environment.d", "/etc/default", "/etc/tuned", "/etc/systemd/system",
           "/etc/udev/rules.d", "/boot", "/etc/kernel", "/usr/lib/systemd/system-sleep")


def snapshot(folders):
    """(path, kind, size, mtime, sha256 of small files) of everything under ``folders`` on the real /."""
    seen = {}
    for folder in folders:
        if not os.path.lexists(folder):
            seen[folder] = None
            continue
        for dirpath, dirnames, filenames in os.walk(folder):
            seen[dirpath] = ("dir", os.lstat(dirpath).st_mtime_ns)
            for name in filenames:
                path = os.path.join(dirpath, name)
                info = os.lstat(path)
                digest = None
                if os.path.isfile(path) and not os.path.islink(path) and info.st_size < 1 << 20:
                    with open(path, "rb") as handle:
                        digest = hashlib.sha256(handle.read()).hexdigest()
                seen[path] = ("file", info.st_size, info.st_mtime_ns, digest)
    return seen


def test_strix_halo_role_under_module_defaults_alone_writes_nothing_outside_the_tree(tmp_path):
    tree = make_scratch_host("strix_halo_laptop_64g", str(tmp_path / "halo"))
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    halo:\n      ansible_connection: local\n"
                         "      ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n")
    playbook = os.path.join(REPO, "tests", "integration", "playbooks", "strix_halo_module_defaults_only.yml")
    before = snapshot(WATCHED)
    run = run_playbook(playbook, str(inventory), ["-e", "tree=%s" % tree])
    after = snapshot(WATCHED)
    assert run.returncode == 0, run.output[-4000:]
    assert "role root=%s inferops_sysroot defined=False" % tree in run.flat_output
    assert run.recap["halo"]["changed"] > 0
    assert after == before, sorted(set(after.items()) ^ set(before.items()))[:10]
    # ...and everything the role writes is in the tree.
    for machine in ("/etc/sysctl.d/90-inferops-llm.conf", "/etc/environment.d/90-inferops-radv.conf"):
        assert os.path.isfile(os.path.join(tree, machine.lstrip("/"))), machine
    with open(os.path.join(tree, "etc/sysctl.d/90-inferops-llm.conf")) as handle:
        assert "vm.swappiness = 1" in handle.read() or "vm.swappiness=1" in handle.read()
    with open(os.path.join(tree, "var/log/inferops-sim/tools.log")) as handle:
        calls = handle.read()
    assert "tuned-adm" in calls and "grubby" in calls and "ryzenadj" in calls
    second = run_playbook(playbook, str(inventory), ["-e", "tree=%s" % tree])
    assert second.returncode == 0 and second.recap["halo"]["changed"] == 0, second.output[-4000:]
    assert snapshot(WATCHED) == before
