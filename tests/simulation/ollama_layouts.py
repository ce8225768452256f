"""Put one recorded Ollama layout (tests/fixtures/ollama_layouts/<name>.json) into a scratch host.

The host's own Ollama files (/usr/local and /usr binaries and lib/ollama folders) are removed
first; the simulated ollama (tests/simulation/tools/ollama) is installed as the layout's binary
and the layout's version goes into the simulation marker.
"""

import json
import os
import shutil

from tests.simulation.scratch_host import install_tool

HERE = os.path.dirname(os.path.abspath(__file__))
LAYOUTS = os.path.join(os.path.dirname(HERE), "fixtures", "ollama_layouts")
OLLAMA_PATHS = ("usr/local/bin/ollama", "usr/bin/ollama", "usr/local/lib/ollama", "usr/lib/ollama")
MARKER = ".inferops-simulation.json"


def layout_names():
    return sorted(name[:-5] for name in os.listdir(LAYOUTS) if name.endswith(".json"))


def load_layout(name):
    with open(os.path.join(LAYOUTS, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


def install_layout(root, name, version=None):
    """Replace the Ollama installation of scratch host ``root`` with layout ``name``; return the layout."""
    layout = load_layout(name)
    for path in OLLAMA_PATHS:
        target = os.path.join(root, path)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        elif os.path.lexists(target):
            os.unlink(target)
    for path in layout["files"]:
        target = os.path.join(root, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(b"placeholder\n")
    install_tool(root, "ollama", os.path.dirname(layout["binary"]))
    _point_units_at(root, layout["binary"])
    with open(os.path.join(root, MARKER), encoding="utf-8") as handle:
        marker = json.load(handle)
    marker.setdefault("ollama", {})["version"] = version or layout["version"]
    with open(os.path.join(root, MARKER), "w", encoding="utf-8") as handle:
        json.dump(marker, handle, indent=2, sort_keys=True)
    return layout


def _point_units_at(root, binary):
    """ExecStart= of the host's ollama.service names the layout's binary (the unit its package would bring)."""
    for folder in ("etc/systemd/system", "usr/lib/systemd/system"):
        path = os.path.join(root, folder, "ollama.service")
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines(True)
        with open(path, "w", encoding="utf-8") as handle:
            for line in lines:
                if line.startswith("ExecStart=") and line.split()[0] != "ExecStart=" + binary:
                    line = "ExecStart=%s serve\n" % binary
                handle.write(line)
