"""Hold-out hosts: machine trees built here from the kernel's print formats, never seen by the code before.

The recorded trees under tests/fixtures/hosts were written alongside the
code; these are generated from the format strings of the kernel functions
that print each file (cited next to each writer), with machine details
the recorded trees do not have, so that a reading shared by the code and
the fixtures cannot hide a mistake.

* ``r9700_osc_refused_6_18``: Linux 6.18 on a workstation whose firmware
  refused OS control of PCIe features through _OSC.  acpi_pci_root_add() acts
  on that after pci_acpi_scan_root(), so every link/ file is visible while the
  policy answers EPERM.  Two R9700s, each behind its own on-card switch
  (1002:1478 -> 1002:1479), KFD properties with capability2, the 6.18 boot
  profile BOOTUP_DEFAULT.
* ``strix_halo_big_carveout_6_18``: a 128 GB Strix Halo with a 64 GiB UMA
  carve-out, so MemTotal is about 62 GiB; no pp_power_profile_mode and no
  power1_cap (smu_v14_0_0_ppt.c, hwmon_attributes_visible()).

Like a scratch host, each gets the simulation marker and the tree's attribute
writer (tests/simulation/scratch_host.py), so the collection writes it as it
writes a machine.
"""

import json
import os

from tests.simulation.scratch_host import install_attribute_writer
from tests.simulation.sysfs import MARKER
PAGE = 4096
BOOT_PROFILE_6_18 = 0  # smu_init_power_profile(): BOOTUP_DEFAULT
PROFILE_NAMES = ("BOOTUP_DEFAULT", "3D_FULL_SCREEN", "POWER_SAVING", "VIDEO", "VR", "COMPUTE", "CUSTOM", "WINDOW_3D")


def _write(root, path, text):
    real = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(real), exist_ok=True)
    with open(real, "w", encoding="utf-8") as handle:
        handle.write(text)


def _link(root, link, target):
    real = os.path.join(root, link.lstrip("/"))
    os.makedirs(os.path.dirname(real), exist_ok=True)
    os.symlink(os.path.relpath(os.path.join(root, target.lstrip("/")), os.path.dirname(real)), real)


def _pci_device(root, path, vendor, device, klass, driver, speed="32.0 GT/s PCIe", width=16):
    bdf = os.path.basename(path)
    for name, value in (("vendor", "0x%04x" % vendor), ("device", "0x%04x" % device), ("class", "0x%06x" % klass),
                        ("subsystem_vendor", "0x%04x" % vendor), ("subsystem_device", "0x%04x" % device),
                        ("revision", "0xc0"), ("current_link_speed", speed), ("max_link_speed", speed),
                        ("current_link_width", str(width)), ("max_link_width", str(width)), ("enable", "1")):
        _write(root, "%s/%s" % (path, name), value + "\n")  # pci-sysfs.c: "0x%04x\n", "0x%06x\n"
    _link(root, "/sys/bus/pci/devices/" + bdf, path)
    _link(root, path + "/driver", "/sys/bus/pci/drivers/" + driver)


def _link_files(root, path, values):
    for name, value in values.items():
        _write(root, "%s/link/%s" % (path, name), "%d\n" % value)  # aspm.c aspm_attr_show_common(): "%d\n"


def _profile_mode_smu14_0_2(active):
    """smu_v14_0_2_get_power_profile_mode(): title row, "%2d %14s%s:" per mode, GFXCLK and FCLK rows."""
    title = ("PROFILE_INDEX(NAME)", "CLOCK_TYPE(NAME)", "FPS", "MinActiveFreqType", "MinActiveFreq",
             "BoosterFreqType", "BoosterFreq", "PD_Data_limit_c", "PD_Data_error_coeff", "PD_Data_error_rate_coeff")
    text = "%16s %s %s %s %s %s %s %s %s %s\n" % title
    for index, name in enumerate(PROFILE_NAMES):
        text += "%2d %14s%s:\n" % (index, name, "*" if index == active else " ")
        for clock, label in ((0, "GFXCLK"), (1, "FCLK")):
            text += "%19s %d(%13s) %7d %7d %7d %7d %7d %7d %7d %7d\n" % (" ", clock, label, 0, 1, 800, 2, 3000, 10, 5, 7)
    return text


def _kfd_node(root, node, props, name, bank_size):
    """kfd_topology.c node_show(): "%s %u\\n" lines in its order, local_mem_size 0, capability2 after capability."""
    order = ("cpu_cores_count", "simd_count", "mem_banks_count", "caches_count", "io_links_count", "p2p_links_count",
             "cpu_core_id_base", "simd_id_base", "max_waves_per_simd", "lds_size_in_kb", "gds_size_in_kb", "num_gws",
             "wave_front_size", "array_count", "simd_arrays_per_engine", "cu_per_simd_array", "simd_per_cu",
             "max_slots_scratch_cu", "gfx_target_version", "vendor_id", "device_id", "location_id", "domain",
             "drm_render_minor", "hive_id", "num_sdma_engines", "num_sdma_xgmi_engines",
             "num_sdma_queues_per_engine", "num_cp_queues", "max_engine_clk_fcompute", "local_mem_size", "fw_version",
             "capability", "capability2", "debug_prop", "sdma_fw_version", "unique_id", "num_xcc",
             "max_engine_clk_ccompute")
    values = dict.fromkeys(order, 0)
    values.update(props)
    values["local_mem_size"] = 0
    base = "/sys/class/kfd/kfd/topology/nodes/%d" % node
    _write(root, base + "/properties", "".join("%s %s\n" % (key, int(values[key])) for key in order))
    _write(root, base + "/name", name + "\n")  # sysfs_show_str_val(): lower-cased amdgpu_asic_name
    _write(root, base + "/gpu_id", "%d\n" % (4242 + node))
    # mem_show(): heap_type 1 = HSA_MEM_HEAP_TYPE_FB_PUBLIC (large BAR: no private FB)
    _write(root, base + "/mem_banks/0/properties",
           "heap_type 1\nsize_in_bytes %d\nflags 0\nwidth 256\nmem_clk_max 1258\n" % bank_size)


def _system(root, release, mem_total_kib, cmdline, cpu_model):
    _write(root, "/proc/sys/kernel/osrelease", release + "\n")
    _write(root, "/proc/version", "Linux version %s (builder@holdout) #1 SMP PREEMPT_DYNAMIC\n" % release)
    _write(root, "/proc/cmdline", cmdline + "\n")
    _write(root, "/proc/meminfo", "MemTotal:       %d kB\nMemFree:        %d kB\n" % (mem_total_kib, mem_total_kib // 2))
    _write(root, "/proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\n"
                                  "model name\t: %s\n\n" % cpu_model)
    # pcie_aspm_get_policy(): "[%s] " for the active one, "%s " for the others, then "\n"
    _write(root, "/sys/module/pcie_aspm/parameters/policy", "[default] performance powersave powersupersave \n")
    _write(root, "/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n")


def _grub(root, kernel, args):
    _write(root, "/boot/grub/grub.cfg", "menuentry 'Linux' {\n\tlinux\t/boot/vmlinuz-%s %s\n}\n" % (kernel, args))
    _write(root, "/etc/default/grub", 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n')


def _marker(root, config):
    with open(os.path.join(root, MARKER), "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=2, sort_keys=True)
    install_attribute_writer(root)


def build_r9700_osc_refused(root):
    release = "6.18.15-amd64"
    mem_kib = 263604524
    _system(root, release, mem_kib, "BOOT_IMAGE=/boot/vmlinuz-%s root=/dev/nvme0n1p2 ro quiet" % release,
            "AMD Ryzen Threadripper PRO 9975WX 32-Cores")
    _grub(root, release, "root=/dev/nvme0n1p2 ro quiet")
    gpus = []
    for slot, (port, bus) in enumerate((("0000:00:01.1", 0x41), ("0000:00:03.1", 0x81))):
        rp = "/sys/devices/pci0000:00/%s" % port
        up = "%s/0000:%02x:00.0" % (rp, bus)
        down = "%s/0000:%02x:00.0" % (up, bus + 1)
        gpu = "%s/0000:%02x:00.0" % (down, bus + 2)
        audio = "%s/0000:%02x:00.1" % (down, bus + 2)
        _pci_device(root, rp, 0x1022, 0x14db, 0x060400, "pcieport")
        _pci_device(root, up, 0x1002, 0x1478, 0x060400, "pcieport")
        _pci_device(root, down, 0x1002, 0x1479, 0x060400, "pcieport")
        _pci_device(root, gpu, 0x1002, 0x7551, 0x030000, "amdgpu")
        _pci_device(root, audio, 0x1002, 0xab40, 0x040300, "snd_hda_intel")
        # root port <-> card switch: L1 and its substates, no ClockPM, no L0s
        _link_files(root, up, {"l1_aspm": 1, "l1_1_aspm": 1, "l1_2_aspm": 1, "l1_1_pcipm": 1, "l1_2_pcipm": 1})
        for function in (gpu, audio):
            _link_files(root, function, {"clkpm": 1, "l1_aspm": 1, "l1_1_aspm": 1, "l1_1_pcipm": 1})
        card = "card%d" % slot
        _write(root, gpu + "/drm/%s/dev" % card, "226:%d\n" % slot)
        _link(root, gpu + "/drm/%s/device" % card, gpu)
        _link(root, "/sys/class/drm/" + card, gpu + "/drm/" + card)
        _write(root, gpu + "/power_dpm_force_performance_level", "auto\n")
        _write(root, gpu + "/pp_power_profile_mode", _profile_mode_smu14_0_2(BOOT_PROFILE_6_18))
        _write(root, gpu + "/mem_info_vram_total", "%d\n" % (32 << 30))
        _write(root, gpu + "/mem_info_gtt_total", "%d\n" % (mem_kib * 1024 // PAGE // 2 * PAGE))
        hwmon = gpu + "/hwmon/hwmon%d" % (3 + slot)
        for name, value in (("name", "amdgpu"), ("power1_cap", "300000000"), ("power1_cap_max", "300000000"),
                            ("power1_cap_min", "150000000"), ("power1_cap_default", "300000000")):
            _write(root, hwmon + "/" + name, value + "\n")
        _link(root, "/sys/class/hwmon/hwmon%d" % (3 + slot), hwmon)
        _kfd_node(root, slot + 1, {"simd_count": 128, "gfx_target_version": 120001, "vendor_id": 0x1002,
                                   "device_id": 0x7551, "location_id": (bus + 2) << 8, "capability": 1375176832,
                                   "capability2": 0, "num_xcc": 1}, "ip discovery", 32 << 30)
        gpus.append(os.path.basename(gpu))
    _kfd_node(root, 0, {"cpu_cores_count": 64}, "", 0)
    _marker(root, {"bootloader": "grub", "firmware_keeps_aspm": True})
    return gpus


def build_strix_halo_big_carveout(root):
    release = "6.18.15-200.fc43.x86_64"
    mem_kib = 62 * 1024 * 1024
    _system(root, release, mem_kib, "BOOT_IMAGE=/boot/vmlinuz-%s root=/dev/nvme0n1p3 ro rhgb quiet" % release,
            "AMD RYZEN AI MAX+ 395 w/ Radeon 8060S")
    _grub(root, release, "root=/dev/nvme0n1p3 ro rhgb quiet")
    bridge = "/sys/devices/pci0000:00/0000:00:08.1"
    gpu = bridge + "/0000:c5:00.0"
    _pci_device(root, bridge, 0x1022, 0x150c, 0x060400, "pcieport")
    _pci_device(root, gpu, 0x1002, 0x1586, 0x038000, "amdgpu")
    _write(root, gpu + "/drm/card1/dev", "226:1\n")
    _link(root, gpu + "/drm/card1/device", gpu)
    _link(root, "/sys/class/drm/card1", gpu + "/drm/card1")
    _write(root, gpu + "/power_dpm_force_performance_level", "auto\n")
    _write(root, gpu + "/mem_info_vram_total", "%d\n" % (64 << 30))
    _write(root, gpu + "/mem_info_gtt_total", "%d\n" % (mem_kib * 1024 // PAGE // 2 * PAGE))
    _write(root, gpu + "/hwmon/hwmon5/name", "amdgpu\n")
    _write(root, gpu + "/hwmon/hwmon5/power1_average", "9000000\n")
    _link(root, "/sys/class/hwmon/hwmon5", gpu + "/hwmon/hwmon5")
    _kfd_node(root, 1, {"simd_count": 80, "gfx_target_version": 110501, "vendor_id": 0x1002, "device_id": 0x1586,
                        "location_id": 0xc500, "capability": 1375176832, "num_xcc": 1}, "ip discovery", 64 << 30)
    _kfd_node(root, 0, {"cpu_cores_count": 32}, "", 0)
    _marker(root, {"bootloader": "grub"})
    return os.path.basename(gpu)
