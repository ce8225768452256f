"""Reading and adjusting scratch hosts from tests: files, expected artefacts, the tool log, the marker."""

import json
import os

from tests.simulation import simulated_boot

EXPECTED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "expected")
TOOLS_LOG = "var/log/inferops-sim/tools.log"


def expected_file(name):
    """An artefact as the collection must write it (tests/fixtures/expected/<name>)."""
    with open(os.path.join(EXPECTED, name), "r", encoding="utf-8") as handle:
        return handle.read()


def read_or_none(host, path):
    """A file of the host tree, or None when it does not exist."""
    full = os.path.join(host, path.lstrip("/"))
    if not os.path.exists(full):
        return None
    with open(full, "r", encoding="utf-8") as handle:
        return handle.read()


def tool_log(host):
    """Every call the host's simulated tools logged: ``{"tool", "argv", "time"}`` in call order."""
    path = os.path.join(host, TOOLS_LOG)
    if not os.path.exists(path):
        return []
    with open(path, "r", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def refuse(host, pattern, err):
    """Make the simulated kernel fail writes to ``pattern`` with ``err`` (EPERM, EBUSY...)."""
    kernel = simulated_boot.load(host)
    kernel.config.setdefault("refuse", {})[pattern] = err
    kernel.save_config()


def tree_files(root):
    """Every regular file of a scratch host as bytes, by its path below the root.

    The simulation's own log and marker are left out.
    """
    found = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            full = os.path.join(folder, name)
            rel = os.path.relpath(full, root)
            if not os.path.islink(full) and not rel.startswith(("var/log/inferops-sim", ".inferops")):
                with open(full, "rb") as handle:
                    found[rel] = handle.read()
    return found


def read_bytes(host, path):
    """A file of the host tree as bytes (``path`` a machine path, with or without the leading /)."""
    with open(os.path.join(host, path.lstrip("/")), "rb") as handle:
        return handle.read()


def write_bytes(host, path, data):
    """Write ``data`` to a file of the host tree, making its folders."""
    full = os.path.join(host, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as handle:
        handle.write(data)
