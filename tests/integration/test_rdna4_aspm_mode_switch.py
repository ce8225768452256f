"""rdna4: switching rdna4_aspm_mode from gpu_links to global takes the gpu_links mode's udev rule off."""

import os

from tests.integration.conftest import REPO, local_inventory, run_playbook
from tests.simulation.scratch_host import make_scratch_host

PLAYBOOK = os.path.join(REPO, "tests", "integration", "playbooks", "import_rdna4_role.yml")
RULE = "etc/udev/rules.d/90-inferops-pcie-aspm-links.rules"  # pcie_links.RULES_FILE


def _run(tmp_path, root, mode, *extra):
    inventory = local_inventory(tmp_path / ("hosts-%s.yml" % mode), "gpu-box", root, rdna4_aspm_mode=mode)
    return run_playbook(PLAYBOOK, inventory, list(extra))


def test_global_mode_removes_the_rule_gpu_links_wrote_and_then_changes_nothing(tmp_path):
    root = make_scratch_host("r9700_desktop", str(tmp_path / "host"))
    links = _run(tmp_path, root, "gpu_links")
    assert links.returncode == 0, links.output[-4000:]
    assert os.path.isfile(os.path.join(root, RULE))

    preview = _run(tmp_path, root, "global", "--check")
    assert preview.returncode == 0, preview.output[-4000:]
    assert os.path.isfile(os.path.join(root, RULE))  # check mode predicts, removes nothing

    switched = _run(tmp_path, root, "global", "-v")  # -v shows rdna4_report as set_fact made it
    assert switched.returncode == 0, switched.output[-4000:]
    assert not os.path.exists(os.path.join(root, RULE))
    assert "knob: udev rule of the gpu_links mode" in switched.flat_output
    with open(os.path.join(root, "sys/module/pcie_aspm/parameters/policy")) as handle:
        assert "[performance]" in handle.read()

    again = _run(tmp_path, root, "global")
    assert again.returncode == 0 and again.recap["gpu-box"]["changed"] == 0, again.output[-4000:]
