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

from ansible_collections.inferops.amd.plugins.module_utils import pci_devices
from ansible_collections.inferops.amd.plugins.module_utils.power_profile_mode import (
    PowerProfileModeError,
    parse_power_profile_mode,
)

AMD_VENDOR_ID = "0x1002"
KFD_NODES = "/sys/class/kfd/kfd/topology/nodes"

# device id -> (marketing name, integrated)
KNOWN_DEVICES = {
    "0x7550": ("Radeon RX 9070 / 9070 XT / 9070 GRE (Navi 48)", False),
    "0x7551": ("Radeon AI PRO R9700 (Navi 48)", False),
    "0x1586": ("Radeon 8050S / 8060S Graphics (Strix Halo)", True),
}
# gfx targets of APUs: an unknown device id with one of these is integrated.
INTEGRATED_GFX_TARGETS = ("gfx1151", "gfx1150", "gfx1152", "gfx1103", "gfx1037", "gfx1036", "gfx1035", "gfx90c")
RDNA4_GFX_TARGETS = ("gfx1200", "gfx1201")
STRIX_HALO_GFX_TARGETS = ("gfx1151",)


def gfx_target_name(version):
    """KFD's ``gfx_target_version`` number as a gfx name (120001 -> gfx1201)."""
    if not version:
        return None
    major, minor, stepping = version // 10000, (version // 100) % 100, version % 100
    return "gfx%d%d%x" % (major, minor, stepping)


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


def kfd_gfx_targets(root):
    """Map ``domain:bus:dev.fn`` -> gfx target name for every GPU node of KFD."""
    targets = {}
    for node in root.list_dir(KFD_NODES):
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
            if root.read_value("%s/vendor" % pci_devices.device_path(bdf)) == AMD_VENDOR_ID
            and pci_devices.is_display(root, bdf)]


def describe_gpu(root, bdf, gfx_targets):
    """Every fact the collection reports about one AMD GPU."""
    base = pci_devices.device_path(bdf)
    device_id = root.read_value(base + "/device")
    gfx_target = gfx_targets.get(bdf)
    name, integrated = KNOWN_DEVICES.get(device_id, (None, gfx_target in INTEGRATED_GFX_TARGETS))
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
