"""Every recorded tree shows what its kernel shows (the sources are cited in each PROVENANCE.md)."""

import os
import re

import pytest

from tests.simulation.scratch_host import FIXTURE_HOSTS, profiles

BDF = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
STRIX_HALO = [p for p in profiles() if p.startswith("strix_halo")]
AMD_GPU_HOSTS = [p for p in profiles() if p != "no_amd_gpu"]


def root_of(profile):
    return os.path.join(FIXTURE_HOSTS, profile, "root")


def read(profile, path):
    with open(os.path.join(root_of(profile), path.lstrip("/")), encoding="utf-8") as handle:
        return handle.read()


def kernel_version(profile):
    return tuple(int(x) for x in read(profile, "/proc/sys/kernel/osrelease").split("-")[0].split(".")[:2])


def amd_gpu_devices(profile):
    found = []
    for folder, dirs, files in os.walk(os.path.join(root_of(profile), "sys/devices")):
        if BDF.match(os.path.basename(folder)) and "vendor" in files and "class" in files:
            with open(os.path.join(folder, "vendor")) as vendor, open(os.path.join(folder, "class")) as klass:
                if vendor.read().strip() == "0x1002" and klass.read().startswith("0x03"):
                    found.append(folder)
    return found


@pytest.mark.parametrize("profile", profiles())
def test_functions_below_one_link_show_the_same_link_files(profile):
    # aspm_ctrl_attrs_are_visible() decides by the upstream bridge's link state, so every
    # function on the bus below a link (a GPU and its audio function) shows the same files.
    for folder, dirs, files in os.walk(os.path.join(root_of(profile), "sys/devices")):
        functions = sorted(d for d in dirs if BDF.match(d))
        seen = {}
        for name in functions:
            link = os.path.join(folder, name, "link")
            files_of = sorted(os.listdir(link)) if os.path.isdir(link) else []
            seen.setdefault(name.rsplit(".", 1)[0], set()).add(tuple(files_of))
        assert all(len(variants) == 1 for variants in seen.values()), (folder, seen)


@pytest.mark.parametrize("profile", STRIX_HALO)
def test_strix_halo_offers_no_profile_or_power_cap_and_is_a_display_controller(profile):
    (gpu,) = amd_gpu_devices(profile)
    assert not os.path.exists(os.path.join(gpu, "pp_power_profile_mode"))  # smu_v14_0_0_ppt.c has no profile funcs
    for folder, dirs, files in os.walk(os.path.join(gpu, "hwmon")):
        assert not [f for f in files if f.startswith("power1_cap")]  # hwmon_attributes_visible() on this APU
    with open(os.path.join(gpu, "class")) as handle:
        assert handle.read() == "0x038000\n"


@pytest.mark.parametrize("profile", AMD_GPU_HOSTS)
def test_kfd_gpu_node_reads_as_node_show_prints_it(profile):
    props = read(profile, "/sys/class/kfd/kfd/topology/nodes/1/properties").splitlines()
    keys = [line.split()[0] for line in props]
    assert "local_mem_size 0" in props
    assert read(profile, "/sys/class/kfd/kfd/topology/nodes/1/name") == "ip discovery\n"
    if kernel_version(profile) >= (6, 17):
        assert keys[keys.index("capability") + 1] == "capability2"
    else:
        assert "capability2" not in keys
    bank = read(profile, "/sys/class/kfd/kfd/topology/nodes/1/mem_banks/0/properties").splitlines()
    assert [line.split()[0] for line in bank] == ["heap_type", "size_in_bytes", "flags", "width", "mem_clk_max"]


@pytest.mark.parametrize("profile", AMD_GPU_HOSTS)
def test_gtt_total_is_half_of_memtotal_without_gtt_arguments(profile):
    mem_kib = int(re.search(r"^MemTotal:\s+(\d+) kB$", read(profile, "/proc/meminfo"), re.M).group(1))
    assert "ttm.pages_limit" not in read(profile, "/proc/cmdline")
    for gpu in amd_gpu_devices(profile):
        with open(os.path.join(gpu, "mem_info_gtt_total")) as handle:
            assert int(handle.read()) == mem_kib * 1024 // 4096 // 2 * 4096


def test_the_rx9070xt_sits_behind_its_own_switch():
    devices = "/sys/bus/pci/devices/"
    assert read("rx9070xt_chipset", devices + "0000:06:00.0/device") == "0x1478\n"
    assert read("rx9070xt_chipset", devices + "0000:07:00.0/device") == "0x1479\n"
    gpu = os.path.realpath(os.path.join(root_of("rx9070xt_chipset"), devices.lstrip("/"), "0000:08:00.0"))
    assert gpu.endswith("0000:05:08.0/0000:06:00.0/0000:07:00.0/0000:08:00.0")


@pytest.mark.parametrize("profile, star", [("r9700_desktop", " 1 3D_FULL_SCREEN*:"),
                                           ("aspm_locked", " 1 3D_FULL_SCREEN*:"),
                                           ("rx9070xt_chipset", " 0 BOOTUP_DEFAULT*:")])
def test_boot_default_profile_follows_the_kernel_version(profile, star):
    # 6.12 smu_sw_init(): FULLSCREEN3D for dGPUs; later smu_init_power_profile(): BOOTUP_DEFAULT.
    (gpu,) = amd_gpu_devices(profile)
    with open(os.path.join(gpu, "pp_power_profile_mode")) as handle:
        assert [line for line in handle.read().splitlines() if "*" in line] == [star]
