"""The built collection carries no simulation: no kernel rules, no boot simulation, no test machinery.

The simulation reaches the collection from outside, through the generic seam of a tree whose code may
run (INFEROPS_SIMULATION=1): the tree's own tools and its attribute writer (sysroot.ATTRIBUTE_WRITER),
which tests/simulation/scratch_host.py installs from tests/simulation/tools/.
"""

import os
import re
import subprocess
import sys
import tarfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# What only the simulation knows: its modules, its marker file, the stand-in tools' folder and state.
SIMULATION_NAMES = re.compile(r"_simulated_sysfs|simulated_boot|SimulatedSysfs|inferops-simulation|tests/simulation"
                              r"|\bfrom tests\b|\bimport tests\b")


def code_files(top):
    """(relative path, text) of every Python file below ``top``."""
    for folder, dirs, files in os.walk(top):
        dirs[:] = [name for name in dirs if name != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as handle:
                    yield os.path.relpath(path, REPO), handle.read()


def test_the_plugins_name_no_simulation_code():
    found = [(path, match.group(0)) for path, text in code_files(os.path.join(REPO, "plugins"))
             for match in SIMULATION_NAMES.finditer(text)]
    assert found == []


def test_the_simulated_kernel_lives_in_the_tests():
    assert not os.path.exists(os.path.join(REPO, "plugins", "module_utils", "_simulated_sysfs.py"))
    assert os.path.isfile(os.path.join(REPO, "tests", "simulation", "sysfs.py"))
    assert os.access(os.path.join(REPO, "tests", "simulation", "tools", "sysfs-write"), os.X_OK)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """{member name: bytes of a file member} of the archive ``ansible-galaxy collection build`` makes."""
    out = tmp_path_factory.mktemp("built")
    galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    subprocess.run([galaxy, "collection", "build", "--output-path", str(out), REPO], check=True,
                   stdout=subprocess.DEVNULL)
    (archive,) = [p for p in os.listdir(str(out)) if p.endswith(".tar.gz")]
    members = {}
    with tarfile.open(os.path.join(str(out), archive)) as tar:
        for member in tar.getmembers():
            members[member.name] = tar.extractfile(member).read() if member.isfile() else None
    return members


def test_galaxy_build_ships_no_test_machinery(built):
    assert "plugins/module_utils/_host/sysroot.py" in built  # the archive is the collection
    assert [m for m in built if m.startswith("tests/") and m != "tests/"] == []
    assert [m for m in built if "simulat" in os.path.basename(m) and m.startswith(("plugins/", "roles/"))] == []


def test_the_built_code_handles_no_simulation_marker(built):
    """No module, module_utils or plugin of the archive reads the marker or imports test code."""
    found = [(name, match.group(0)) for name, data in built.items()
             if data is not None and name.startswith("plugins/") and name.endswith(".py")
             for match in SIMULATION_NAMES.finditer(data.decode("utf-8"))]
    assert found == []
    in_roles = [name for name, data in built.items()
                if data is not None and name.startswith(("roles/", "playbooks/")) and b"inferops-simulation" in data]
    assert in_roles == []
