"""The built collection carries the kernel's write semantics only: no boot simulation, no test machinery."""

import ast
import os
import subprocess
import sys
import tarfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SYSFS = os.path.join(REPO, "plugins", "module_utils", "_simulated_sysfs.py")


def test_plugins_hold_no_boot_simulation():
    with open(SYSFS, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    names = [node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    assert not [n for n in names if any(word in n for word in ("reboot", "boot", "suspend", "udev", "unit", "journal"))]
    for folder, dirs, files in os.walk(os.path.join(REPO, "plugins")):
        for name in files:
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                text = handle.read()
                assert "import simulated_boot" not in text and "from tests" not in text, name


def test_galaxy_build_ships_no_test_machinery(tmp_path):
    galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    subprocess.run([galaxy, "collection", "build", "--output-path", str(tmp_path), REPO], check=True,
                   stdout=subprocess.DEVNULL)
    (archive,) = [p for p in os.listdir(str(tmp_path)) if p.endswith(".tar.gz")]
    with tarfile.open(os.path.join(str(tmp_path), archive)) as tar:
        members = tar.getnames()
    assert "plugins/module_utils/_simulated_sysfs.py" in members
    assert [m for m in members if m.startswith("tests/") and m != "tests/"] == []
