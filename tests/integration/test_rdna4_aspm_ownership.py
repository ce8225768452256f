"""rdna4 owns the pcie_aspm.policy= it puts on the command line: gpu_links mode takes it off again."""

import json
import os

from tests.integration.conftest import REPO, local_inventory, read_under as _read, run_playbook
from tests.simulation.scratch_host import make_scratch_host

ASPM = "pcie_aspm.policy=performance"
PLAYBOOK = os.path.join(REPO, "tests", "integration", "playbooks", "import_rdna4_role.yml")


def _inventory(tmp_path, root, mode):
    return local_inventory(tmp_path / ("hosts-%s.yml" % mode), "gpu-box", root, rdna4_aspm_mode=mode)


def test_switching_from_global_to_gpu_links_removes_the_argument_the_role_set(tmp_path):
    root = make_scratch_host("r9700_desktop", str(tmp_path / "host"))
    first = run_playbook(PLAYBOOK, _inventory(tmp_path, root, "global"))
    assert first.returncode == 0, first.output[-4000:]
    assert ASPM in _read(root, "/boot/grub/grub.cfg")
    assert json.loads(_read(root, "/var/lib/inferops.amd/kernel_cmdline.json")) == {"owners": {"rdna4_aspm": [ASPM]}}

    switched = run_playbook(PLAYBOOK, _inventory(tmp_path, root, "gpu_links"))
    assert switched.returncode == 0, switched.output[-4000:]
    assert ASPM not in _read(root, "/boot/grub/grub.cfg") and ASPM not in _read(root, "/etc/default/grub")
    assert json.loads(_read(root, "/var/lib/inferops.amd/kernel_cmdline.json")) == {
        "owners": {}, "released": {"rdna4_aspm": [ASPM]}}
    again = run_playbook(PLAYBOOK, _inventory(tmp_path, root, "gpu_links"))
    assert again.returncode == 0 and again.recap["gpu-box"]["changed"] == 0, again.output[-4000:]


def test_gpu_links_leaves_an_aspm_argument_the_user_put_there(tmp_path):
    root = make_scratch_host("r9700_desktop", str(tmp_path / "host"))
    grub = os.path.join(root, "etc/default/grub")
    with open(grub) as handle:
        text = handle.read()
    with open(grub, "w") as handle:
        handle.write(text.replace('GRUB_CMDLINE_LINUX_DEFAULT="quiet"', 'GRUB_CMDLINE_LINUX_DEFAULT="quiet %s"' % ASPM))
    result = run_playbook(PLAYBOOK, _inventory(tmp_path, root, "gpu_links"))
    assert result.returncode == 0, result.output[-4000:]
    assert ASPM in _read(root, "/etc/default/grub")
