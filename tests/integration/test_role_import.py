"""A role imported from a user's own playbook, outside site.yml."""

import os

from tests.integration.conftest import REPO, run_playbook
from tests.simulation.scratch_host import make_scratch_host


def test_rdna4_role_from_another_playbook(tmp_path):
    root = make_scratch_host("rx9070xt_chipset", str(tmp_path / "host"))
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  hosts:\n    gpu-box:\n      ansible_connection: local\n"
        "      ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n"
        "      inferops_sysroot: %s\n" % root)
    playbook = os.path.join(REPO, "tests", "integration", "playbooks", "import_rdna4_role.yml")
    first = run_playbook(playbook, str(inventory))
    assert first.returncode == 0, first.output[-4000:]
    assert first.recap["gpu-box"]["changed"] > 0
    with open(os.path.join(root, "sys/module/pcie_aspm/parameters/policy")) as handle:
        assert handle.read() == "default [performance] powersave powersupersave \n"
    with open(os.path.join(root, "etc/default/grub.d/99-local-gpu.cfg")) as handle:
        dropin = handle.read()
    with open(os.path.join(root, "boot/grub/grub.cfg")) as handle:
        assert "pcie_aspm.policy=performance" in handle.read()
    assert "amdgpu.ppfeaturemask=0xffffffff" in dropin
    assert "reboot_reasons=['kernel command line needs pcie_aspm.policy=performance']" in first.flat_output
    second = run_playbook(playbook, str(inventory))
    assert second.returncode == 0 and second.recap["gpu-box"]["changed"] == 0, second.output[-4000:]
