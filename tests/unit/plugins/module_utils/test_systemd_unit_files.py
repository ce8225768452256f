"""Where systemd finds a unit file: its search path, the literal name first, then an instance's template.

Search path: lookup_paths_init() in src/libsystemd/sd-path/path-lookup.c, RUNTIME_SCOPE_SYSTEM (systemd
commit 0aae1a09a3868420c654c0f1e51927af81a7e3e5); template rule: systemd.unit(5), "Description".
"""

import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._systemd import units as systemd_unit
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot


def put(root, machine_path, text="[Service]\n"):
    path = os.path.join(str(root), machine_path.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)


def test_search_path_is_systemds_in_its_order():
    path = systemd_unit.UNIT_SEARCH_PATH
    assert path.index("/etc/systemd/system") < path.index("/run/systemd/system") \
        < path.index("/usr/local/lib/systemd/system") < path.index("/usr/lib/systemd/system") \
        < path.index("/lib/systemd/system")
    assert path[0] == "/etc/systemd/system.control" and path[-1] == "/run/systemd/generator.late"


@pytest.mark.parametrize("folder", systemd_unit.UNIT_SEARCH_PATH)
def test_a_unit_file_in_any_folder_of_the_search_path_is_found(tmp_path, folder):
    put(tmp_path, folder + "/ollama.service")
    assert systemd_unit.find_unit_file(SysRoot(str(tmp_path)), "ollama.service") == folder + "/ollama.service"


def test_the_folder_of_highest_priority_wins(tmp_path):
    put(tmp_path, "/usr/lib/systemd/system/ollama.service")
    put(tmp_path, "/etc/systemd/system/ollama.service")
    assert systemd_unit.find_unit_file(SysRoot(str(tmp_path)), "ollama.service") == "/etc/systemd/system/ollama.service"


def test_a_name_that_is_nowhere_is_not_found(tmp_path):
    put(tmp_path, "/etc/systemd/system/ollama.service")
    put(tmp_path, "/etc/systemd/olama.service")  # not a folder of the search path
    assert systemd_unit.find_unit_file(SysRoot(str(tmp_path)), "olama.service") is None


def test_an_instance_uses_its_own_file_first_then_its_template(tmp_path):
    root = SysRoot(str(tmp_path))
    assert systemd_unit.unit_file_names("getty@tty3.service") == ["getty@tty3.service", "getty@.service"]
    assert systemd_unit.unit_file_names("ollama@a.b.service") == ["ollama@a.b.service", "ollama@.service"]
    assert systemd_unit.unit_file_names("ollama@.service") == ["ollama@.service"]
    put(tmp_path, "/usr/lib/systemd/system/ollama@.service")
    assert systemd_unit.find_unit_file(root, "ollama@gpu0.service") == "/usr/lib/systemd/system/ollama@.service"
    put(tmp_path, "/usr/lib/systemd/system/ollama@gpu0.service")
    assert systemd_unit.find_unit_file(root, "ollama@gpu0.service") == "/usr/lib/systemd/system/ollama@gpu0.service"


def test_a_masked_unit_exists(tmp_path):
    os.makedirs(os.path.join(str(tmp_path), "etc/systemd/system"))
    os.symlink("/dev/null", os.path.join(str(tmp_path), "etc/systemd/system/masked.service"))
    assert systemd_unit.find_unit_file(SysRoot(str(tmp_path)), "masked.service") == "/etc/systemd/system/masked.service"


def test_an_absolute_link_on_the_way_leads_inside_the_tree(tmp_path):
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    put(outside, "/systemd/system/escape.service")
    put(tree, "/usr/lib/systemd/system/inside.service")
    os.symlink(str(outside), str(tree / "lib"))  # an absolute link, as /lib -> /usr/lib on a merged-usr host
    root = SysRoot(str(tree))
    assert systemd_unit.find_unit_file(root, "escape.service") is None
