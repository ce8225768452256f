"""The rdna4 role's ASPM modes and its own verification (tasks_from: verify), outside site.yml."""

import os
import subprocess
import sys

import pytest

from tests.integration.conftest import REPO, run_playbook
from tests.simulation.scratch_host import make_scratch_host

PLAYBOOKS = os.path.join(REPO, "tests", "integration", "playbooks")
TUNE = os.path.join(PLAYBOOKS, "import_rdna4_role.yml")
VERIFY = os.path.join(PLAYBOOKS, "verify_rdna4_role.yml")
LINK_RULES = "etc/udev/rules.d/90-inferops-pcie-aspm-links.rules"


@pytest.fixture
def gpu_box(tmp_path):
    """(root, inventory) of one scratch host; the profile is chosen by the test."""
    def make(profile):
        root = make_scratch_host(profile, str(tmp_path / "host"))
        inventory = tmp_path / "hosts.yml"
        inventory.write_text(
            "all:\n  hosts:\n    gpu-box:\n      ansible_connection: local\n"
            "      ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n"
            "      inferops_sysroot: %s\n" % root)
        return root, str(inventory)
    return make


def reboot(root):
    subprocess.run([sys.executable, os.path.join(REPO, "tests", "simulation", "fleet.py"), "reboot", root],
                   check=True, capture_output=True)


def test_gpu_links_on_a_firmware_locked_host_is_skipped_when_asked(gpu_box):
    root, inventory = gpu_box("aspm_locked")
    # A kernel that disabled ASPM hides every per-link file (aspm.c aspm_ctrl_attrs_are_visible),
    # so the gpu_links scope finds no controls: rdna4_aspm_on_forbidden=skip must cover that too.
    for device in os.listdir(os.path.join(root, "sys/bus/pci/devices")):
        link = os.path.join(root, "sys/bus/pci/devices", device, "link")
        for name in os.listdir(link) if os.path.isdir(link) else []:
            os.unlink(os.path.join(link, name))
    run = run_playbook(TUNE, inventory, extra=["-e", "rdna4_aspm_mode=gpu_links"])
    assert run.returncode == 0, run.output[-4000:]
    assert "skipped=['ASPM: " in run.flat_output
    assert not os.path.exists(os.path.join(root, LINK_RULES))


def test_gpu_links_are_verified_after_a_reboot(gpu_box):
    root, inventory = gpu_box("r9700_desktop")
    mode = ["-e", "rdna4_aspm_mode=gpu_links"]
    assert run_playbook(TUNE, inventory, extra=mode).returncode == 0
    reboot(root)
    kept = run_playbook(VERIFY, inventory, extra=mode)
    assert kept.returncode == 0, kept.output[-4000:]
    assert "verified=True" in kept.flat_output
    os.unlink(os.path.join(root, LINK_RULES))  # the rule that brings the link settings back at boot
    reboot(root)
    lost = run_playbook(VERIFY, inventory, extra=mode)
    assert lost.returncode != 0
    assert "verification failed: ASPM on GPU links is 0/" in lost.flat_output


def test_kernel_arguments_are_compared_as_the_kernel_reads_them(gpu_box):
    root, inventory = gpu_box("r9700_desktop")
    assert run_playbook(TUNE, inventory).returncode == 0
    reboot(root)
    cmdline = os.path.join(root, "proc/cmdline")
    with open(cmdline) as handle:
        text = handle.read()
    assert "pcie_aspm.policy=performance" in text
    with open(cmdline, "w") as handle:  # the same argument, quoted the way a bootloader may pass it
        handle.write(text.replace("pcie_aspm.policy=performance", 'pcie_aspm.policy="performance"'))
    run = run_playbook(VERIFY, inventory)
    assert run.returncode == 0, run.output[-4000:]
    assert "verified=True" in run.flat_output
