"""Hold-out hosts built from the kernel's print formats (tests/simulation/holdout_hosts.py): facts, plans, errors."""

import os

import pytest

from ansible_collections.inferops.amd.plugins.filter.strix_halo_gtt import strix_halo_gtt
from tests.simulation import holdout_hosts, simulated_boot
from tests.unit.module_runner import run_module

POLICY = "sys/module/pcie_aspm/parameters/policy"


@pytest.fixture
def workstation(tmp_path):
    root = str(tmp_path / "r9700_osc_refused_6_18")
    os.makedirs(root)
    gpus = holdout_hosts.build_r9700_osc_refused(root)
    simulated_boot.load(root).record_boot_state()
    return root, gpus


@pytest.fixture
def big_carveout(tmp_path):
    root = str(tmp_path / "strix_halo_big_carveout_6_18")
    os.makedirs(root)
    gpu = holdout_hosts.build_strix_halo_big_carveout(root)
    simulated_boot.load(root).record_boot_state()
    return root, gpu


def facts(root, **args):
    return run_module("hardware_facts", dict(sysroot=root, **args))["ansible_facts"]["inferops_amd"]


def test_workstation_facts(workstation):
    root, gpus = workstation
    found = facts(root, probe_aspm=True)
    assert found["host_class"] == "rdna4_discrete"
    assert [gpu["pci_address"] for gpu in found["gpus"]] == gpus == ["0000:43:00.0", "0000:83:00.0"]
    assert {gpu["gfx_target"] for gpu in found["gpus"]} == {"gfx1201"}
    assert {gpu["power_profile"] for gpu in found["gpus"]} == {"BOOTUP_DEFAULT"}
    assert found["aspm"]["changeable"] is False and "EPERM" in found["aspm"]["reason"]
    assert found["kernel"]["release"] == "6.18.15-amd64"


def test_workstation_check_mode_predicts_the_refusal_though_every_link_file_is_there(workstation):
    root, _gpus = workstation
    assert os.path.isfile(os.path.join(root, "sys/bus/pci/devices/0000:43:00.0/link/l1_aspm"))
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "performance"}, check_mode=True, expect_failure=True)
    assert "forbids ASPM changes" in result["msg"] and "EPERM" in result["msg"]
    real = run_module("pcie_aspm", {"sysroot": root, "policy": "performance"}, expect_failure=True)
    assert "forbids ASPM changes" in real["msg"] and "EPERM" in real["msg"]
    with open(os.path.join(root, POLICY)) as handle:
        assert handle.read() == "[default] performance powersave powersupersave \n"


def test_workstation_gpu_links_plan_covers_both_cards_and_their_audio(workstation):
    root, gpus = workstation
    result = run_module("pcie_aspm", {"sysroot": root, "policy": "performance", "scope": "gpu_links"})
    assert [(link["upstream"], link["device"]) for link in result["links"]] == [
        ("0000:00:01.1", "0000:41:00.0"), ("0000:42:00.0", "0000:43:00.0"),
        ("0000:00:03.1", "0000:81:00.0"), ("0000:82:00.0", "0000:83:00.0")]
    assert "clkpm" not in result["links"][0]["before"]
    for audio in ("0000:43:00.1", "0000:83:00.1"):
        with open(os.path.join(root, "sys/bus/pci/devices", audio, "link/clkpm")) as handle:
            assert handle.read() == "0\n"  # the audio function shares the GPU's link


def test_workstation_power_settings(workstation):
    root, gpus = workstation
    result = run_module("amdgpu_power", {"sysroot": root, "cards": [gpus[1]], "power_profile": "COMPUTE",
                                         "power_cap_watts": 250})
    assert result["cards"][0]["after"]["power_profile"] == "COMPUTE"
    bad = run_module("amdgpu_power", {"sysroot": root, "power_profile": "CUSTOM"}, expect_failure=True)
    assert "'CUSTOM' is listed by this card" in bad["msg"] and "not offered" not in bad["msg"]


def test_big_carveout_strix_halo_plans_gtt_within_memtotal(big_carveout):
    root, _gpu = big_carveout
    found = facts(root, probe_aspm=True)
    assert found["host_class"] == "strix_halo"
    plan = strix_halo_gtt(found)
    assert plan["gtt_mib"] * 1024 * 1024 < found["memory_total_bytes"]
    assert plan["kernel_args"] == ["ttm.pages_limit=%d" % ((62 * 1024 - 4096) * 256)]


def test_big_carveout_strix_halo_power_requests_name_the_missing_files(big_carveout):
    root, gpu = big_carveout
    profile = run_module("amdgpu_power", {"sysroot": root, "power_profile": "COMPUTE"}, expect_failure=True)
    assert "/sys/bus/pci/devices/%s/pp_power_profile_mode does not exist" % gpu in profile["msg"]
    cap = run_module("amdgpu_power", {"sysroot": root, "power_cap_watts": 80}, expect_failure=True)
    assert "/sys/bus/pci/devices/%s/hwmon/hwmon5/power1_cap does not exist" % gpu in cap["msg"]
