# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AMD GPUs on a machine: which they are, where they sit, how they are set.

A GPU is any PCI display device with vendor ``0x1002``.  Its gfx target
comes from the KFD topology (``gfx_target_version 120001`` is gfx1201),
matched to the PCI device by ``domain`` and ``location_id``
(``bus << 8 | devfn``).  Device ids we know get a marketing name (checked
against hwdata's pci.ids, see shared/reference/interfaces.md); unknown ids
are still reported and classified by their gfx target.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.inferops.amd.plugins.module_utils._pci import devices as pci_devices
from ansible_collections.inferops.amd.plugins.module_utils._amdgpu.profile_table import (
    PowerProfileModeError,
    parse_power_profile_mode,
)

AMD_VENDOR_ID = "0x1002"
KFD_NODES = "/sys/class/kfd/kfd/topology/nodes"
# A KFD topology node folder: its node id (topology/nodes/<id>).
NODE_ID = re.compile(r"^[0-9]+$")

# device id -> (marketing name, integrated)
KNOWN_DEVICES = {
    "0x7550": ("Radeon RX 9070 / 9070 XT / 9070 GRE (Navi 48)", False),
    "0x7551": ("Radeon AI PRO R9700 (Navi 48)", False),
    "0x1586": ("Radeon 8050S / 8060S Graphics (Strix Halo)", True),
}

# Whether a GPU is integrated is the kernel's AMD_IS_APU flag, set in two places:
# * amdgpu_discovery.c amdgpu_discovery_set_ip_blocks(): by GC IP version for every chip found
#   through IP discovery (Raven and later), the "adev->flags |= AMD_IS_APU" switch;
APU_GC_IP_VERSIONS = (
    (9, 1, 0), (9, 2, 2), (9, 3, 0), (10, 1, 3), (10, 1, 4), (10, 3, 1), (10, 3, 3), (10, 3, 6), (10, 3, 7),
    (11, 0, 1), (11, 0, 4), (11, 5, 0), (11, 5, 1), (11, 5, 2),
)
# * amdgpu_drv.c pciidlist[]: "CHIP_...|AMD_IS_APU" per PCI device id, for the chips that predate IP
#   discovery; of those KFD serves Kaveri and Carrizo, and Raven is listed there by device id too.
APU_DEVICE_IDS = ("0x15dd", "0x15d8")  # Raven, Picasso: CHIP_RAVEN|AMD_IS_APU
APU_PRE_DISCOVERY_KFD_TARGETS = (70000, 80001)  # kgd2kfd_probe(): CHIP_KAVERI, CHIP_CARRIZO
# This collection sees a GPU's KFD gfx_target_version, not its GC IP version; kfd_device.c
# kgd2kfd_probe() maps one to the other (several GC versions share a target: Mendocino's
# GC 10.3.7 reports 100306 like Raphael's 10.3.6, Van Gogh's GC 10.3.1 reports 100303).
KFD_TARGET_OF_GC_IP = {
    (9, 1, 0): 90002, (9, 2, 2): 90002, (9, 3, 0): 90012, (10, 1, 3): 100103, (10, 1, 4): 100103,
    (10, 3, 1): 100303, (10, 3, 3): 100305, (10, 3, 6): 100306, (10, 3, 7): 100306,
    (11, 0, 1): 110003, (11, 0, 4): 110003, (11, 5, 0): 110500, (11, 5, 1): 110501, (11, 5, 2): 110502,
}
RDNA4_GFX_TARGETS = ("gfx1200", "gfx1201")
STRIX_HALO_GFX_TARGETS = ("gfx1151",)


def gfx_target_name(version):
    """KFD's ``gfx_target_version`` number as a gfx name (120001 -> gfx1201)."""
    if not version:
        return None
    major, minor, stepping = version // 10000, (version // 100) % 100, version % 100
    return "gfx%d%d%x" % (major, minor, stepping)


# gfx targets of APUs: an unknown device id with one of these is integrated (gfx902, gfx90c, gfx1013,
# gfx1033, gfx1035, gfx1036, gfx1103, gfx1150, gfx1151, gfx1152, gfx700, gfx801).
INTEGRATED_GFX_TARGETS = tuple(sorted(set(gfx_target_name(KFD_TARGET_OF_GC_IP[gc]) for gc in APU_GC_IP_VERSIONS).union(
    gfx_target_name(version) for version in APU_PRE_DISCOVERY_KFD_TARGETS)))


def is_integrated(device_id, gfx_target):
    """The kernel's AMD_IS_APU decision, from the PCI device id and the KFD gfx target."""
    if device_id in KNOWN_DEVICES:
        return KNOWN_DEVICES[device_id][1]
    return (device_id or "").lower() in APU_DEVICE_IDS or gfx_target in INTEGRATED_GFX_TARGETS


def parse_kfd_properties(text):
    """``key value`` lines of a KFD node into a dict of ints (bad lines skipped)."""
    props = {}
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                props[parts[0]] = int(parts[1])
            except ValueError:
                continue
    return props


def kfd_node_ids(root):
    """The KFD topology node folders (``0``, ``1``, ... ``10``) in numeric order; other names are skipped."""
    return sorted((name for name in root.list_dir(KFD_NODES) if NODE_ID.match(name)), key=int)


def kfd_gfx_targets(root):
    """Map ``domain:bus:dev.fn`` -> gfx target name for every GPU node of KFD, in ROCm's device order.

    The nodes are walked by number (node 2 before node 10, not as the folder names sort): libhsakmt
    takes its topology snapshot from ``nodes/0`` up to ``nodes/<NumNodes - 1>`` (ROCR-Runtime
    libhsakmt/src/topology.c, ``topology_take_snapshot``) and ROCR lists the GPU agents, and so HIP
    its device indices and ``ROCR_VISIBLE_DEVICES`` its numbers, in that node order. CPU nodes
    (``gfx_target_version 0``) are left out, so the dict's order is the ROCm index of each GPU.
    """
    targets = {}
    for node in kfd_node_ids(root):
        props = parse_kfd_properties(root.read_text("%s/%s/properties" % (KFD_NODES, node)))
        name = gfx_target_name(props.get("gfx_target_version", 0))
        if name is None or "location_id" not in props:
            continue
        location = props["location_id"]
        bdf = "%04x:%02x:%02x.%x" % (props.get("domain", 0), location >> 8, (location >> 3) & 0x1F, location & 0x7)
        targets[bdf] = name
    return targets


def drm_card(root, bdf):
    """The ``cardN`` name of a GPU, or None when no DRM driver is bound."""
    cards = [name for name in root.list_dir("%s/drm" % pci_devices.device_path(bdf)) if name.startswith("card")]
    return cards[0] if cards else None


def hwmon_dir(root, bdf):
    """Machine path of the amdgpu hwmon folder of a GPU, or None."""
    base = "%s/hwmon" % pci_devices.device_path(bdf)
    entries = [name for name in root.list_dir(base) if name.startswith("hwmon")]
    return "%s/%s" % (base, entries[0]) if entries else None


def _microwatts_to_watts(value):
    if value is None:
        return None
    watts = value / 1000000.0
    return int(watts) if watts == int(watts) else round(watts, 3)


def power_cap(root, bdf):
    """Power cap and its bounds in watts, or None when the card has no cap file."""
    folder = hwmon_dir(root, bdf)
    if folder is None or not root.exists(folder + "/power1_cap"):
        return None
    return dict(
        (key, _microwatts_to_watts(root.read_int("%s/%s" % (folder, name))))
        for key, name in (("current_w", "power1_cap"), ("min_w", "power1_cap_min"),
                          ("max_w", "power1_cap_max"), ("default_w", "power1_cap_default")))


def active_power_profile(root, bdf):
    """Name of the active ``pp_power_profile_mode``, or None when unreadable."""
    text = root.read_text("%s/pp_power_profile_mode" % pci_devices.device_path(bdf))
    if text is None:
        return None
    try:
        modes = parse_power_profile_mode(text)
    except PowerProfileModeError:
        return None
    active = [mode.name for mode in modes if mode.active]
    return active[0] if active else None


def list_amd_gpus(root):
    """PCI addresses of every AMD display device."""
    return [bdf for bdf in pci_devices.list_addresses(root)
            if root.read_value("%s/vendor" % pci_devices.device_path(bdf)) == AMD_VENDOR_ID and pci_devices.is_display(root, bdf)]


def describe_gpu(root, bdf, gfx_targets):
    """Every fact the collection reports about one AMD GPU."""
    base = pci_devices.device_path(bdf)
    device_id = root.read_value(base + "/device")
    gfx_target = gfx_targets.get(bdf)
    name = KNOWN_DEVICES.get(device_id, (None, None))[0]
    integrated = is_integrated(device_id, gfx_target)
    chain = pci_devices.bridge_chain(root, bdf)
    return {
        "pci_address": bdf,
        "drm_card": drm_card(root, bdf),
        "vendor_id": root.read_value(base + "/vendor"),
        "device_id": device_id,
        "subsystem_vendor_id": root.read_value(base + "/subsystem_vendor"),
        "subsystem_device_id": root.read_value(base + "/subsystem_device"),
        "revision": root.read_value(base + "/revision"),
        "name": name,
        "known": device_id in KNOWN_DEVICES,
        "gfx_target": gfx_target,
        "integrated": integrated,
        "vram_bytes": root.read_int(base + "/mem_info_vram_total"),
        "gtt_bytes": root.read_int(base + "/mem_info_gtt_total"),
        "pcie_link": pci_devices.link_status(root, bdf),
        "root_port": chain[0] if chain else None,
        "bridges": [pci_devices.describe_bridge(root, bridge) for bridge in chain],
        "performance_level": root.read_value(base + "/power_dpm_force_performance_level"),
        "power_profile": active_power_profile(root, bdf),
        "power_cap": power_cap(root, bdf),
    }


def gather_gpus(root):
    gfx_targets = kfd_gfx_targets(root)
    return [describe_gpu(root, bdf, gfx_targets) for bdf in list_amd_gpus(root)]


def classify_host(gpus):
    """``strix_halo``, ``rdna4_discrete`` or ``none`` from the GPU facts.

    A Strix Halo APU wins over a discrete card in the same box: the memory
    and power settings of the APU are the ones that need the host tuned.
    """
    if any(gpu["gfx_target"] in STRIX_HALO_GFX_TARGETS for gpu in gpus):
        return "strix_halo"
    if any(gpu["gfx_target"] in RDNA4_GFX_TARGETS and not gpu["integrated"] for gpu in gpus):
        return "rdna4_discrete"
    return "none"
