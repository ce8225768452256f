"""The simulated hosts' connection (tests/simulation/connection_plugins/inferops_simulation.py) under
ansible.builtin.reboot, run by ansible-playbook of the ansible-core under test (the matrix runs it on each)."""

import json
import os
import subprocess
import sys

from tests.simulation import simulated_boot

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
PLUGINS = os.path.join(REPO, "tests", "simulation", "connection_plugins")
PLAYBOOK = """---
- name: Reboot a simulated host as a real one is rebooted
  hosts: all
  gather_facts: false
  tasks:
    - name: Reboot
      ansible.builtin.reboot:
        msg: test
      register: rebooted

    - name: Find the tree's own files
      ansible.builtin.find:
        paths: ["{{ inferops_sysroot }}/proc"]
        patterns: [cmdline]
      register: found

    - name: Keep the results
      ansible.builtin.copy:
        content: "{{ {'rebooted': rebooted.rebooted, 'found': found.files | map(attribute='path') | list} | to_json }}"
        dest: "{{ playbook_dir }}/results.json"
        mode: "0644"
"""


def run(tmp_path, root, simulation="1", verbose=()):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    simhost:\n      ansible_connection: inferops_simulation\n"
                         "      ansible_python_interpreter: %s\n      inferops_sysroot: %s\n" % (sys.executable, root))
    playbook = tmp_path / "reboot.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_CONNECTION_PLUGINS=PLUGINS, INFEROPS_SIMULATION=simulation, ANSIBLE_NOCOLOR="1",
               ANSIBLE_PIPELINING="0")
    return subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
                           str(playbook)] + list(verbose), env=env, capture_output=True, text=True, check=False, cwd=str(tmp_path))


def test_reboot_runs_the_simulated_reboot_of_the_tree_and_other_modules_run_as_on_local(scratch_host, tmp_path):
    root = scratch_host("r9700_desktop")
    with open(os.path.join(root, "boot/grub/grub.cfg")) as handle:
        grub = handle.read()
    with open(os.path.join(root, "boot/grub/grub.cfg"), "w") as handle:  # the next boot's command line
        handle.write(grub.replace("quiet", "quiet inferops.test=1", 1))
    proc = run(tmp_path, root, verbose=["-vvv"])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # the reboot action's search for shutdown is answered by the connection (the controller has one too)
    assert "inferops_simulation: the reboot action's shutdown is /usr/sbin/shutdown" in proc.stdout
    assert "inferops_simulation: /usr/sbin/shutdown -r 0 test reboots %s" % root in proc.stdout
    assert simulated_boot.load(root).config.get("boot_count") == 1
    with open(os.path.join(root, "proc/cmdline")) as handle:
        assert "inferops.test=1" in handle.read().split()
    with open(os.path.join(root, "proc/sys/kernel/random/boot_id")) as handle:
        assert len(handle.read().strip()) == 36
    # any other find runs as on the local connection
    with open(str(tmp_path / "results.json")) as handle:
        assert json.load(handle) == {"rebooted": True, "found": [os.path.join(root, "proc", "cmdline")]}


def test_a_shutdown_in_the_fail_tools_of_the_marker_fails_the_reboot_and_reboots_nothing(scratch_host, tmp_path):
    root = scratch_host("r9700_desktop")
    kernel = simulated_boot.load(root)
    kernel.config["fail_tools"] = {"shutdown": "Failed to connect to bus: simulated"}
    kernel.save_config()
    proc = run(tmp_path, root)
    assert proc.returncode != 0
    assert "Reboot command failed" in proc.stdout and "Failed to connect to bus: simulated" in proc.stdout
    assert simulated_boot.load(root).config.get("boot_count", 0) == 0


def test_without_the_controller_switch_the_connection_refuses(scratch_host, tmp_path):
    root = scratch_host("r9700_desktop")
    proc = run(tmp_path, root, simulation="")
    assert proc.returncode != 0
    assert "runs only when the controller sets INFEROPS_SIMULATION=1" in proc.stdout
    assert simulated_boot.load(root).config.get("boot_count", 0) == 0
