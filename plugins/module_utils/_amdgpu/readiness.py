# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the serving stack needs from the kernel, the firmware and the driver, read from the root's files.

* **CWSR on gfx1151.** Kernels before the fix hang ROCm work on Strix Halo; the fix ("drm/amdkfd: bump
  minimum vgpr size for gfx1151", b42f3bf9536c) came with "drm/amdkfd: Export the cwsr_size and
  ctl_stack_size to userspace" (8fc2796dea6f): mainline 6.19, stable 6.18.4 and 6.12.64. The export is
  what can be read: ``node_show()`` in drivers/gpu/drm/amd/amdkfd/kfd_topology.c prints ``cwsr_size``
  and ``ctl_stack_size`` in ``/sys/class/kfd/kfd/topology/nodes/N/properties``. lemonade-sdk/lemonade
  (``needs_gfx1151_cwsr_fix`` in src/cpp/server/system_info.cpp) reads the same two properties of the node
  whose ``gfx_target_version`` is 110501. A kernel that took the bump without the export reads as missing.
* **Firmware.** linux-firmware 20251125 carries MES firmware 0x83, which hangs gfx1151 (ROCm issue #5724;
  kyuz0/amd-strix-halo-toolboxes issue #37; the revert, linux-firmware MR !810, missed that release). Its
  version is read where the package database is a file: dpkg's status (Debian ``firmware-amd-graphics``,
  Ubuntu ``linux-firmware``) and pacman's local folder names (Arch ``linux-firmware-amdgpu``,
  ``linux-firmware``); elsewhere it is unknown.
* **amdgpu-dkms.** AMD's out-of-tree driver builds its own TTM as ``amdttm`` (ROCm/amdgpu ``dkms.conf``),
  so the memory parameters are ``amdttm.pages_limit`` and ``amdttm.page_pool_size`` and ``ttm.*`` reaches
  nothing (ROCm issue #5562). Loaded: ``/sys/module/amdttm``; installed for the running kernel:
  ``/lib/modules/<release>/updates/dkms/amdgpu.ko*`` (where DKMS puts it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.inferops.amd.plugins.module_utils._amdgpu.cards import KFD_NODES, kfd_node_ids, parse_kfd_properties

GFX1151_TARGET_VERSION = 110501
CWSR_PROPERTIES = ("cwsr_size", "ctl_stack_size")
# release date -> why it is not to be used, for hosts with the GPU target it hurts
KNOWN_BAD_FIRMWARE = {
    "20251125": ("gfx1151", "its MES firmware 0x83 hangs gfx1151, ROCm issue #5724; use 20251111, or 20260110 "
                            "and later"),
}
DPKG_STATUS = "/var/lib/dpkg/status"
DPKG_FIRMWARE_PACKAGES = ("firmware-amd-graphics", "linux-firmware")
PACMAN_LOCAL = "/var/lib/pacman/local"
PACMAN_FIRMWARE_PACKAGES = ("linux-firmware-amdgpu", "linux-firmware")


def gfx1151_cwsr(root):
    """``{node, present, cwsr_size, ctl_stack_size}`` of the first gfx1151 KFD node, or None without one."""
    for node in kfd_node_ids(root):
        props = parse_kfd_properties(root.read_text("%s/%s/properties" % (KFD_NODES, node)))
        if props.get("gfx_target_version") == GFX1151_TARGET_VERSION:
            found = dict((name, props.get(name)) for name in CWSR_PROPERTIES)
            return dict(found, node=str(node), present=all(value is not None for value in found.values()))
    return None


def _dpkg_versions(text, names):
    """``{package: version}`` of the installed packages among ``names`` in a dpkg status file.

    Only the stanzas of those packages are read, not the hundreds of others a status file holds: this runs with
    every gathering of the facts. ``Package:`` is first in each stanza (the order of ``fieldinfos[]`` in dpkg's
    lib/dpkg/parse.c, in which lib/dpkg/dump.c writes one).
    """
    found = {}
    wanted = "|".join(re.escape(name) for name in names)
    for match in re.finditer(r"^Package: (%s)\n((?:[^\n]*\S[^\n]*(?:\n|$))*)" % wanted, text or "", re.M):
        fields = dict(re.findall(r"^([A-Za-z-]+): ?(.*)$", match.group(2), re.M))
        if fields.get("Status", "").endswith(" installed"):
            found[match.group(1)] = fields.get("Version")
    return found


def firmware(root):
    """``{package, version, release}`` of the installed AMD GPU firmware package, or None where unreadable."""
    installed = _dpkg_versions(root.read_text(DPKG_STATUS, ""), DPKG_FIRMWARE_PACKAGES)
    for name in DPKG_FIRMWARE_PACKAGES:
        if name in installed:
            return _with_release(name, installed[name])
    entries = root.list_dir(PACMAN_LOCAL)
    for name in PACMAN_FIRMWARE_PACKAGES:
        # pacman's local database: one folder <name>-<pkgver>-<pkgrel> per installed package
        for entry in entries:
            match = re.match(r"^%s-(\d{8}[^-]*-[^-]+)$" % re.escape(name), entry)
            if match:
                return _with_release(name, match.group(1))
    return None


def _with_release(package, version):
    match = re.search(r"(\d{8})", version or "")
    return {"package": package, "version": version, "release": match.group(1) if match else None}


def amdgpu_dkms(root, kernel_release):
    """Whether amdgpu comes from AMD's amdgpu-dkms: its amdttm loaded, or its amdgpu built for the running kernel."""
    if root.is_dir("/sys/module/amdttm"):
        return True
    folder = "/lib/modules/%s/updates/dkms" % kernel_release if kernel_release else None
    return bool(folder) and any(name.startswith("amdgpu.ko") for name in root.list_dir(folder))


def gather(root, gpus, kernel_release):
    """The ``readiness`` facts: what the serving stack needs, and a sentence for each thing missing."""
    targets = set(gpu.get("gfx_target") for gpu in gpus)
    cwsr = gfx1151_cwsr(root)
    fw = firmware(root)
    dkms = amdgpu_dkms(root, kernel_release)
    missing = []
    if cwsr is not None and not cwsr["present"]:
        missing.append("the kernel lacks the gfx1151 CWSR fix, and ROCm work can hang (%s: KFD node %s has no cwsr_size "
                       "and ctl_stack_size; 6.12.64, 6.18.4, 6.19 and later have them)" % (kernel_release, cwsr["node"]))
    if fw is not None and fw["release"] in KNOWN_BAD_FIRMWARE:
        target, why = KNOWN_BAD_FIRMWARE[fw["release"]]
        if target in targets:
            missing.append("linux-firmware %s is not to be used here (%s %s: %s)"
                           % (fw["release"], fw["package"], fw["version"], why))
    return {"gfx1151_cwsr": cwsr, "firmware": fw, "amdgpu_dkms": dkms, "ttm_module": "amdttm" if dkms else "ttm",
            "missing": missing}
