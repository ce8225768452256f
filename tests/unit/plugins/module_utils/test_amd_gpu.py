"""AMD GPU discovery: ids, gfx targets from KFD, class of host."""

import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import cards as amd_gpu
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot


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


def _kfd_node(root, node, gfx_target_version, bus=None):
    folder = os.path.join(root, "sys/class/kfd/kfd/topology/nodes", str(node))
    os.makedirs(folder)
    lines = ["cpu_cores_count %d" % (0 if bus is not None else 16), "gfx_target_version %d" % gfx_target_version]
    if bus is not None:
        lines += ["location_id %d" % (bus << 8), "domain 0"]
    with open(os.path.join(folder, "properties"), "w") as handle:
        handle.write("\n".join(lines) + "\n")


def test_kfd_nodes_are_walked_in_numeric_order_the_rocm_device_order(tmp_path):
    # A CPU node 0 and twelve GPU nodes 1..12: the folder names sort as 0, 1, 10, 11, 12, 2, ... but ROCm
    # numbers its devices by node id. Each GPU's bus is chosen so that node order and bus order disagree.
    root = str(tmp_path)
    _kfd_node(root, 0, 0)
    buses = {node: 0x80 - node for node in range(1, 13)}
    for node, bus in buses.items():
        _kfd_node(root, node, 120001 if node % 2 else 110501, bus)
    os.makedirs(os.path.join(root, "sys/class/kfd/kfd/topology/nodes/stray"))  # no node id: not walked

    sysroot = SysRoot(root)
    assert amd_gpu.kfd_node_ids(sysroot) == [str(node) for node in range(13)]
    targets = amd_gpu.kfd_gfx_targets(sysroot)
    assert list(targets) == ["0000:%02x:00.0" % buses[node] for node in range(1, 13)]
    assert list(targets).index("0000:76:00.0") == 9, "node 10 is the tenth GPU (ROCm index 9), after node 9"
    assert targets["0000:7f:00.0"] == "gfx1201" and targets["0000:7e:00.0"] == "gfx1151"
