"""AMD GPU discovery: ids, gfx targets from KFD, class of host."""

import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils import amd_gpu
from ansible_collections.inferops.amd.plugins.module_utils.sysroot import SysRoot


@pytest.mark.parametrize("version,name", [(120001, "gfx1201"), (120000, "gfx1200"), (110501, "gfx1151"),
                                          (90010, "gfx90a"), (0, None)])
def test_gfx_target_names(version, name):
    assert amd_gpu.gfx_target_name(version) == name


def test_kfd_properties_skip_bad_lines():
    assert amd_gpu.parse_kfd_properties("a 1\nbroken\nb x\nc 3\n") == {"a": 1, "c": 3}


@pytest.mark.parametrize("profile,host_class,address,gfx,integrated", [
    ("r9700_desktop", "rdna4_discrete", "0000:03:00.0", "gfx1201", False),
    ("rx9070xt_chipset", "rdna4_discrete", "0000:08:00.0", "gfx1201", False),
    ("strix_halo_128g", "strix_halo", "0000:c5:00.0", "gfx1151", True),
    ("strix_halo_laptop_64g", "strix_halo", "0000:c5:00.0", "gfx1151", True),
    ("aspm_locked", "rdna4_discrete", "0000:03:00.0", "gfx1201", False),
])
def test_each_recorded_host_has_its_gpu(scratch_host, profile, host_class, address, gfx, integrated):
    gpus = amd_gpu.gather_gpus(SysRoot(scratch_host(profile)))
    assert [gpu["pci_address"] for gpu in gpus] == [address]
    assert gpus[0]["gfx_target"] == gfx
    assert gpus[0]["integrated"] is integrated
    assert amd_gpu.classify_host(gpus) == host_class


def test_host_without_amd_gpu(scratch_host):
    gpus = amd_gpu.gather_gpus(SysRoot(scratch_host("no_amd_gpu")))
    assert gpus == []
    assert amd_gpu.classify_host(gpus) == "none"


def test_r9700_details(scratch_host):
    gpu = amd_gpu.gather_gpus(SysRoot(scratch_host("r9700_desktop")))[0]
    assert gpu["name"] == "Radeon AI PRO R9700 (Navi 48)" and gpu["known"]
    assert gpu["drm_card"] == "card1"
    assert gpu["vram_bytes"] == 34342961152
    assert gpu["root_port"] == "0000:00:01.1"
    assert [b["address"] for b in gpu["bridges"]] == ["0000:00:01.1", "0000:01:00.0", "0000:02:00.0"]
    assert gpu["bridges"][1]["device_id"] == "0x1478"
    assert gpu["performance_level"] == "auto"
    assert gpu["power_profile"] == "3D_FULL_SCREEN"  # the 6.12 dGPU boot default (smu_sw_init)
    assert gpu["power_cap"] == {"current_w": 300, "min_w": 210, "max_w": 300, "default_w": 300}


def test_apu_has_no_power_cap(scratch_host):
    gpu = amd_gpu.gather_gpus(SysRoot(scratch_host("strix_halo_128g")))[0]
    assert gpu["power_cap"] is None
    assert gpu["vram_bytes"] == 536870912


def _rewrite(root, path, text):
    with open(os.path.join(root, path.lstrip("/")), "w") as handle:
        handle.write(text)


def test_unknown_device_id_is_reported_and_classed_by_gfx_target(scratch_host):
    root = scratch_host("r9700_desktop")
    _rewrite(root, "/sys/bus/pci/devices/0000:03:00.0/device", "0x75ff\n")
    gpu = amd_gpu.gather_gpus(SysRoot(root))[0]
    assert gpu["device_id"] == "0x75ff" and gpu["name"] is None and not gpu["known"]
    assert gpu["gfx_target"] == "gfx1201" and not gpu["integrated"]
    assert amd_gpu.classify_host([gpu]) == "rdna4_discrete"


def test_unknown_apu_is_integrated_by_gfx_target(scratch_host):
    root = scratch_host("strix_halo_128g")
    _rewrite(root, "/sys/bus/pci/devices/0000:c5:00.0/device", "0x15ff\n")
    gpu = amd_gpu.gather_gpus(SysRoot(root))[0]
    assert gpu["integrated"] and amd_gpu.classify_host([gpu]) == "strix_halo"


def test_missing_and_garbled_files_are_null(scratch_host):
    root = scratch_host("r9700_desktop")
    base = os.path.join(root, "sys/bus/pci/devices/0000:03:00.0/")
    os.unlink(base + "mem_info_vram_total")
    _rewrite(root, "/sys/bus/pci/devices/0000:03:00.0/pp_power_profile_mode", "garbage\n")
    _rewrite(root, "/sys/bus/pci/devices/0000:03:00.0/mem_info_gtt_total", "lots\n")
    gpu = amd_gpu.gather_gpus(SysRoot(root))[0]
    assert gpu["vram_bytes"] is None and gpu["gtt_bytes"] is None and gpu["power_profile"] is None


def test_gpu_without_kfd_has_no_gfx_target(scratch_host):
    root = scratch_host("r9700_desktop")
    import shutil
    shutil.rmtree(os.path.join(root, "sys/class/kfd"))
    gpu = amd_gpu.gather_gpus(SysRoot(root))[0]
    assert gpu["gfx_target"] is None
    assert amd_gpu.classify_host([gpu]) == "none"
