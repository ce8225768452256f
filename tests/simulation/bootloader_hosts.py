"""Scratch hosts for the bootloaders no recorded profile uses: kernelstub, systemd-boot, rpm-ostree.

Each is an overlay in tests/fixtures/bootloaders/<name>/ on top of a recorded host
(simulation.json "base"): files of the overlay's root/ are added or replace the base's,
paths listed in "remove" are deleted, the "marker" keys are merged into the simulation
marker (where the simulated reboot reads the next command line from), and the "tools"
are installed like scratch_host.py does.  They are kept out of tests/fixtures/hosts so
that the GPU tests that run over every recorded host do not run over them twice.

Usage: python tests/simulation/bootloader_hosts.py NAME DEST     (or --list)
"""

import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OVERLAYS = os.path.join(REPO, "tests", "fixtures", "bootloaders")

if REPO not in sys.path:
    sys.path.insert(0, REPO)

from tests.simulation import simulated_boot  # noqa: E402
from tests.simulation.scratch_host import install_tool, make_scratch_host  # noqa: E402


def overlays():
    return sorted(name for name in os.listdir(OVERLAYS) if os.path.isdir(os.path.join(OVERLAYS, name, "root")))


def make_bootloader_host(name, dest):
    """Scratch copy of the overlay's base host with the overlay applied; returns ``dest``."""
    if name not in overlays():
        raise SystemExit("unknown bootloader host '%s'; known: %s" % (name, ", ".join(overlays())))
    with open(os.path.join(OVERLAYS, name, "simulation.json"), "r", encoding="utf-8") as handle:
        config = json.load(handle)
    make_scratch_host(config["base"], dest)
    for path in config.get("remove", []):
        target = os.path.join(dest, path.lstrip("/"))
        if os.path.lexists(target):
            os.unlink(target)
    shutil.copytree(os.path.join(OVERLAYS, name, "root"), dest, symlinks=True, dirs_exist_ok=True)
    for tool, folder in sorted(config.get("tools", {}).items()):
        install_tool(dest, tool, folder)
    kernel = simulated_boot.load(dest)
    kernel.config.update(config.get("marker", {}))
    kernel.save_config()
    return dest


def main(argv):
    if argv[:1] == ["--list"]:
        print("\n".join(overlays()))
        return 0
    if len(argv) != 2:
        raise SystemExit(__doc__.strip().splitlines()[-1])
    print(make_bootloader_host(argv[0], os.path.abspath(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
