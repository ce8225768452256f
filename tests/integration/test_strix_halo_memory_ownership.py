"""strix_halo owns the memory arguments it puts on the command line: one it stops asking for comes off."""

import json
import os

from tests.integration.conftest import REPO, local_inventory, read_under as _read, run_playbook
from tests.simulation.scratch_host import make_scratch_host

PLAYBOOK = os.path.join(REPO, "tests", "integration", "playbooks", "import_strix_halo_role.yml")
RECORD = "var/lib/inferops.amd/kernel_cmdline.json"


def _inventory(tmp_path, root, iommu):
    return local_inventory(tmp_path / ("hosts-%s.yml" % iommu), "halo-box", root, strix_halo_iommu=iommu)


def _entry_options(root):
    """The options line of the host's BLS entry (Fedora, grubby): what the next boot gets."""
    entries = os.path.join(root, "boot", "loader", "entries")
    (name,) = os.listdir(entries)
    with open(os.path.join(entries, name)) as handle:
        return next(line for line in handle if line.startswith("options ")).split()[1:]


def test_turning_iommu_pt_off_takes_the_argument_the_role_set_off_again(tmp_path):
    root = make_scratch_host("strix_halo_128g", str(tmp_path / "host"))
    assert "iommu=pt" not in _entry_options(root)
    first = run_playbook(PLAYBOOK, _inventory(tmp_path, root, "pt"))
    assert first.returncode == 0, first.output[-4000:]
    assert "iommu=pt" in _entry_options(root)
    assert "iommu=pt" in json.loads(_read(root, RECORD))["owners"]["strix_halo_memory"]

    off = run_playbook(PLAYBOOK, _inventory(tmp_path, root, "leave"))
    assert off.returncode == 0, off.output[-4000:]
    assert "iommu=pt" not in _entry_options(root)
    record = json.loads(_read(root, RECORD))
    assert "iommu=pt" not in record["owners"]["strix_halo_memory"]
    assert record["released"] == {"strix_halo_memory": ["iommu=pt"]}
    # The other memory arguments stay: only what the settings stopped asking for goes.
    assert any(arg.startswith("ttm.pages_limit=") for arg in _entry_options(root))
    again = run_playbook(PLAYBOOK, _inventory(tmp_path, root, "leave"))
    assert again.returncode == 0 and again.recap["halo-box"]["changed"] == 0, again.output[-4000:]


def test_iommu_off_replaces_the_passthrough_argument_the_role_set(tmp_path):
    root = make_scratch_host("strix_halo_128g", str(tmp_path / "host"))
    assert run_playbook(PLAYBOOK, _inventory(tmp_path, root, "pt")).returncode == 0
    # the inventory is YAML, where a bare off is false: the role takes it for "off", as its argument spec does
    off = run_playbook(PLAYBOOK, _inventory(tmp_path, root, "off"))
    assert off.returncode == 0, off.output[-4000:]
    options = _entry_options(root)
    assert "amd_iommu=off" in options and "iommu=pt" not in options
    owned = json.loads(_read(root, RECORD))["owners"]["strix_halo_memory"]
    assert "amd_iommu=off" in owned and "iommu=pt" not in owned
