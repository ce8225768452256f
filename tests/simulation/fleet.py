"""The built-in simulated fleet: scratch copies of recorded hosts, and their reboots.

  fleet.py reset [INVENTORY]   (re)create $INFEROPS_FLEET_DIR/<host> (default .build/fleet) for every host of the
                               inventory (default inventory/simulated/hosts.yml), each a
                               scratch copy of the recorded profile named by its
                               `inferops_sim_profile` variable; a host with the simulated
                               Ollama gets a free port of 127.0.0.1 in its marker
                               (`ollama.port`), its own 11434 on the shared loopback
  fleet.py reboot ROOT         simulated reboot of one host tree: volatile sysfs values
                               go back to their boot defaults, /proc/cmdline becomes what
                               the bootloader config says, boot-time persistence
                               (udev rules, enabled units) runs
  fleet.py suspend ROOT        simulated suspend/resume (what survives it and what not)
  fleet.py stop [FLEET_DIR]    power the fleet off: stop the simulated services (e.g. the
                               stand-in Ollama server) that hosts of the fleet started; the
                               next time a host is used its enabled units come back, as at
                               power-on, so a later run finds the fleet as it left it

site.yml reboots every host with ansible.builtin.reboot. The simulated hosts' connection,
tests/simulation/connection_plugins/inferops_simulation.py, runs `fleet.py reboot ROOT` when
the reboot action runs the host's shutdown command (docs/simulation.md).
"""

import json
import os
import shutil
import socket
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, ".build", "collections"))
sys.path.insert(0, REPO)

from tests.simulation import simulated_boot  # noqa: E402
from tests.simulation.scratch_host import is_capture, make_scratch_host, profile_config  # noqa: E402

DEFAULT_INVENTORY = os.path.join(REPO, "inventory", "simulated", "hosts.yml")
FLEET_DIR = os.environ.get("INFEROPS_FLEET_DIR") or os.path.join(REPO, ".build", "fleet")


def inventory_hosts(path):
    """{host: profile} from a YAML inventory (hosts at any depth of children)."""
    with open(path) as handle:
        data = yaml.safe_load(handle)
    found = {}

    def walk(group, inherited):
        group = group or {}
        variables = dict(inherited, **(group.get("vars") or {}))
        for host, host_vars in (group.get("hosts") or {}).items():
            merged = dict(variables, **(host_vars or {}))
            if "inferops_sim_profile" in merged:
                found[host] = merged["inferops_sim_profile"]
        for child in (group.get("children") or {}).values():
            walk(child, variables)

    for group in data.values():
        walk(group, {})
    return found


def reset(inventory=DEFAULT_INVENTORY, fleet_dir=FLEET_DIR):
    stop_services(fleet_dir)
    if os.path.isdir(fleet_dir):
        shutil.rmtree(fleet_dir)
    os.makedirs(fleet_dir)
    for host, profile in sorted(inventory_hosts(inventory).items()):
        root = make_scratch_host(profile, os.path.join(fleet_dir, host))
        port = give_ollama_a_port(root) if "ollama" in profile_tools(profile) else None
        print("%-22s <- %s%s" % (host, profile, " (Ollama on 127.0.0.1:%d)" % port if port else ""))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def profile_tools(profile):
    """The simulated tools of a recorded profile (none for a capture archive)."""
    if is_capture(profile):
        return {}
    return profile_config(profile).get("tools", {})


def give_ollama_a_port(root):
    """Write a free port into the marker of a tree with the simulated Ollama, and return it.

    Every simulated host shares the controller's loopback, where each real host has its own 11434: the
    stand-in Ollama listens on this port, and inventory/simulated sets the host's ollama_host to it."""
    path = os.path.join(root, simulated_boot.MARKER)
    with open(path, encoding="utf-8") as handle:
        marker = json.load(handle)
    marker.setdefault("ollama", {})["port"] = free_port()
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(marker, handle, indent=2, sort_keys=True)
    return marker["ollama"]["port"]


def stop_services(fleet_dir=FLEET_DIR):
    """Stop every unit the simulated systemctl of each host still has running."""
    import subprocess
    for host in sorted(os.listdir(fleet_dir)) if os.path.isdir(fleet_dir) else []:
        root = os.path.join(fleet_dir, host)
        state = os.path.join(root, "var/lib/inferops-sim/systemd.json")
        systemctl = os.path.join(root, "usr/bin/systemctl")
        if not (os.path.isfile(state) and os.path.isfile(systemctl)):
            continue
        with open(state) as handle:
            units = sorted(json.load(handle).get("active", {}))
        if units:
            subprocess.run([sys.executable, systemctl, "stop", "--power-off"] + units, check=False,
                           env=dict(os.environ, INFEROPS_SYSROOT=root))
            print("%-22s stopped %s" % (host, " ".join(units)))


def kernel_of(root):
    kernel = simulated_boot.load(root)
    if kernel is None:
        raise SystemExit("%s is not a simulated host (no %s)" % (root, simulated_boot.MARKER))
    return kernel


def main(argv):
    if not argv or argv[0] not in ("reset", "reboot", "suspend", "stop"):
        print(__doc__)
        return 2
    if argv[0] == "reset":
        reset(*argv[1:2])
    elif argv[0] == "stop":
        stop_services(*argv[1:2])
    elif argv[0] == "reboot":
        kernel_of(argv[1]).reboot()
        print("rebooted %s" % argv[1])
    else:
        kernel = kernel_of(argv[1])
        if not hasattr(kernel, "suspend_resume"):
            raise SystemExit("this simulation has no suspend/resume")
        kernel.suspend_resume()
        print("suspended and resumed %s" % argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
