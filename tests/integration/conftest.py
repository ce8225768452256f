"""Helpers for running playbooks against simulated hosts."""

import os
import re
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
RECAP = re.compile(r"^(\S+)\s*: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)
LONG_TEXT = 2000


def pytest_assertrepr_compare(op, left, right):
    """Short explanations for checks against a whole playbook output.

    pytest's own explanation diffs the two strings, which on a run's output of a
    few hundred kilobytes takes minutes and gigabytes; the tail is what helps.
    """
    if isinstance(left, str) and isinstance(right, str) and max(len(left), len(right)) > LONG_TEXT:
        return ["%r %s a text of %d characters; its end:" % (left[:300], op, len(right)), right[-LONG_TEXT:]]
    return None


class PlaybookRun:
    def __init__(self, proc):
        self.returncode = proc.returncode
        self.output = proc.stdout + proc.stderr
        # The YAML callback wraps long messages and doubles single quotes; compare text in one line.
        self.flat_output = " ".join(self.output.split()).replace("''", "'")
        self.recap = dict((m.group(1), {"ok": int(m.group(2)), "changed": int(m.group(3)), "unreachable": int(m.group(4)),
                                        "failed": int(m.group(5))}) for m in RECAP.finditer(self.output))

    def changed_hosts(self):
        return sorted(host for host, counts in self.recap.items() if counts["changed"])

    def failed_hosts(self):
        return sorted(host for host, counts in self.recap.items() if counts["failed"] or counts["unreachable"])


def run_playbook(playbook, inventory=None, extra=(), env=None):
    environment = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_FORCE_COLOR="0",
                       ANSIBLE_NOCOLOR="1", PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    environment.update(env or {})
    command = [os.path.join(BIN, "ansible-playbook"), playbook]
    if inventory:
        command += ["-i", inventory]
    command += list(extra)
    proc = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True, check=False)
    return PlaybookRun(proc)


def local_inventory(path, host, root, **hostvars):
    """An inventory file at ``path``: one host on the local connection, acting on the tree ``root``."""
    lines = ["all:", "  hosts:", "    %s:" % host, "      ansible_connection: local",
             '      ansible_python_interpreter: "{{ ansible_playbook_python }}"', "      inferops_sysroot: %s" % root]
    lines += ["      %s: %s" % (name, value) for name, value in hostvars.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def read_under(root, machine_path):
    """The text of ``machine_path`` inside the host tree ``root``."""
    with open(os.path.join(root, machine_path.lstrip("/"))) as handle:
        return handle.read()


def make_fleet(tmp_path_factory, name="fleet"):
    """A fresh simulated fleet in its own folder; returns (fleet_dir, env)."""
    fleet_dir = str(tmp_path_factory.mktemp(name))
    # The run report goes next to the fleet: <fleet_dir>.report/report.json
    env = {"INFEROPS_FLEET_DIR": fleet_dir, "INFEROPS_REPORT_DIR": fleet_dir + ".report"}
    fleet_command("reset", env)
    return fleet_dir, env


def fleet_command(command, env):
    subprocess.run([sys.executable, os.path.join(REPO, "tests", "simulation", "fleet.py"), command],
                   cwd=REPO, env=dict(os.environ, **env), check=True, capture_output=True)


@pytest.fixture
def fresh_fleet(tmp_path_factory):
    """Factory of fresh fleets; their simulated services are stopped afterwards."""
    made = []

    def make():
        made.append(make_fleet(tmp_path_factory))
        return made[-1]
    yield make
    for fleet in made:
        fleet_command("stop", fleet[1])
