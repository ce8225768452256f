"""The roles' own verification (tasks_from: verify) from a user's plain playbook, and rdna4's ASPM modes."""

import os
import subprocess
import sys

import pytest

from tests.integration.conftest import REPO, local_inventory, run_playbook
from tests.simulation.scratch_host import make_scratch_host

PLAYBOOKS = os.path.join(REPO, "tests", "integration", "playbooks")
TUNE = os.path.join(PLAYBOOKS, "import_rdna4_role.yml")
VERIFY = os.path.join(PLAYBOOKS, "verify_rdna4_role.yml")
TUNE_HALO = os.path.join(PLAYBOOKS, "import_strix_halo_role.yml")
VERIFY_HALO = os.path.join(PLAYBOOKS, "verify_strix_halo_role.yml")
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


def test_verify_checks_the_role_root_it_fails_until_main_ran_and_the_host_rebooted(gpu_box):
    # A plain playbook: the inventory's inferops_sysroot is all that names the root, no module_defaults.
    root, inventory = gpu_box("r9700_desktop")
    untuned = run_playbook(VERIFY, inventory)
    assert untuned.returncode != 0, untuned.output[-4000:]
    assert "verification failed: ASPM policy is default, expected performance" in untuned.flat_output
    assert "kernel argument is -, expected pcie_aspm.policy=performance" in untuned.flat_output
    assert "the running kernel lacks pcie_aspm.policy=performance" in untuned.flat_output

    assert run_playbook(TUNE, inventory).returncode == 0
    pending = run_playbook(VERIFY, inventory)  # set now and in the bootloader, not yet in the running kernel
    assert pending.returncode != 0
    assert "verification failed: the running kernel lacks pcie_aspm.policy=performance" in pending.flat_output

    reboot(root)
    held = run_playbook(VERIFY, inventory)
    assert held.returncode == 0, held.output[-4000:]
    assert "verified=True" in held.flat_output


def test_strix_halo_verify_checks_the_role_root_until_main_ran_and_the_host_rebooted(tmp_path):
    root = make_scratch_host("strix_halo_laptop_64g", str(tmp_path / "halo"))
    inventory = local_inventory(tmp_path / "halo.yml", "halo-box", root, strix_halo_ryzenadj_enabled="true")
    untuned = run_playbook(VERIFY_HALO, inventory)
    assert untuned.returncode != 0, untuned.output[-4000:]
    # MemTotal 63692 MiB less the 4096 MiB reserve, in 4 KiB pages
    assert "kernel argument is -, expected ttm.pages_limit=15256576" in untuned.flat_output
    assert "RyzenAdj stapm_limit is 59 W, expected 85 W" in untuned.flat_output  # the request; firmware may clamp
    assert "the running kernel lacks iommu=pt ttm.pages_limit=15256576 transparent_hugepage=always" in untuned.flat_output

    assert run_playbook(TUNE_HALO, inventory).returncode == 0
    reboot(root)
    held = run_playbook(VERIFY_HALO, inventory)
    assert held.returncode == 0, held.output[-4000:]
    assert "verified=True" in held.flat_output


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
