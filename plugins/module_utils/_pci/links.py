# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-link ASPM controls on the PCIe path from a root port to each AMD GPU.

Since kernel 5.5 (CONFIG_PCIEASPM), ``/sys/bus/pci/devices/<BDF>/link/``
holds ``l0s_aspm l1_aspm l1_1_aspm l1_2_aspm l1_1_pcipm l1_2_pcipm clkpm``,
each ``0`` or ``1`` and only those the link supports (drivers/pci/pcie/aspm.c).
The files sit on the device at the *downstream* end of a link and control
the link between it and its parent bridge.  On the path
``00:02.1 (root port) -> 04:00.0 -> 05:08.0 -> 06:00.0 (GPU)`` of a
chipset-attached card, ``04:00.0/link`` is the root port <-> chipset link and
``06:00.0/link`` the chipset <-> GPU link; ``05:08.0`` sits inside the
switch and has no link files.

Disabling these states per link gives the GPU the latency of
``pcie_aspm.policy=performance`` (+10.8% dense decode on an R9700,
llama.cpp discussion #21043) without keeping the NVMe and NIC links awake.  The
values reset at boot, so a udev rule re-applies them
(``/etc/udev/rules.d/90-inferops-pcie-aspm-links.rules``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json

from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import cards as amd_gpu
from ansible_collections.inferops.amd.plugins.module_utils._pci import devices as pci_devices
from ansible_collections.inferops.amd.plugins.module_utils._systemd import udev_rules
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import AttributeWriteError

# Write order: deepest state first, so that every write is meaningful
# (the kernel clears the L1 substates itself when L1 is disabled).
LINK_STATE_FILES = ("l1_2_pcipm", "l1_1_pcipm", "l1_2_aspm", "l1_1_aspm", "l1_aspm", "l0s_aspm", "clkpm")
# aspm_attr_store_common(): disabling L1 also disables these (PCIE_LINK_STATE_L1SS).
L1_SUBSTATES = ("l1_2_pcipm", "l1_1_pcipm", "l1_2_aspm", "l1_1_aspm")
RULES_FILE = udev_rules.rules_path("90-inferops-pcie-aspm-links.rules")
HEADER = (
    "Managed by inferops.amd.pcie_aspm (scope: gpu_links); edits are overwritten.",
    "Disables ASPM states on the PCIe links between each AMD GPU and its root port",
    "whenever the device at the downstream end of the link appears (boot, hotplug).",
)


# Giving the links back to the firmware (policy default) removes the rule, but the links stay as
# they are until the next boot: the kernel keeps the disabled states (link->aspm_disable,
# aspm_attr_store_common()) until pcie_aspm_init_link_state() runs again at boot. The release is
# recorded with the boot it happened in, so every later run of the same boot still says a reboot
# is due, and a run after the reboot does not.
RELEASE_RECORD = "/var/lib/inferops.amd/pcie_aspm_links.json"
# drivers/char/random.c, proc_do_uuid(): "boot_id", a random UUID made once per boot.
BOOT_ID = "/proc/sys/kernel/random/boot_id"


class PcieLinkError(Exception):
    """A path without per-link controls, or a link file the kernel refused."""


def boot_id(root):
    """The running boot's id, or None where the tree has none."""
    return root.read_value(BOOT_ID)


def release_pending(root):
    """True while the links released by an earlier run of this boot are still as they were (no reboot yet)."""
    text = root.read_text(RELEASE_RECORD)
    if text is None:
        return False
    try:
        record = json.loads(text)
        released_in = record["boot_id"]
    except (ValueError, KeyError, TypeError):
        raise PcieLinkError("%s is not the collection's record of released GPU links ({\"boot_id\": ...}); fix or "
                            "remove it" % RELEASE_RECORD)
    return released_in == boot_id(root)


def record_release(root):
    """Note that this boot released the links (the rule file is gone, the links are not back yet)."""
    root.write_config(RELEASE_RECORD, json.dumps({"boot_id": boot_id(root), "rule_file": RULES_FILE},
                                                 sort_keys=True) + "\n", mode=0o644)


def forget_release(root):
    """The links are managed again (policy performance): no release is pending."""
    return root.remove(RELEASE_RECORD)


def link_dir(bdf):
    return "%s/link" % pci_devices.device_path(bdf)


def read_link_states(root, bdf):
    """``{file: 0|1}`` of the link files ``bdf`` has, in :data:`LINK_STATE_FILES` order."""
    states = {}
    for name in LINK_STATE_FILES:
        value = root.read_int("%s/%s" % (link_dir(bdf), name))
        if value is not None:
            states[name] = value
    return states


class LinkEnd:
    """The device at the downstream end of one link on a GPU's path."""

    def __init__(self, bdf, upstream, gpus, states):
        self.bdf = bdf
        self.upstream = upstream
        self.gpus = gpus
        self.states = states


def gpu_path_devices(root, gpu):
    """``[(device, its parent bridge)]`` below the root port down to ``gpu``, root side first."""
    chain = pci_devices.bridge_chain(root, gpu) + [gpu]
    return [(chain[i], chain[i - 1]) for i in range(1, len(chain))]


class MissingLinkControls:
    """A GPU whose own link shows no per-link ASPM files."""

    def __init__(self, gpu, present):
        self.gpu = gpu
        self.present = present

    @property
    def message(self):
        where = "%s/" % link_dir(self.gpu)
        folder = "is empty" if self.present else "does not exist"
        return ("GPU %s has no per-link ASPM controls (%s %s): the kernel is older than 5.5, built without "
                "CONFIG_PCIEASPM or runs with pcie_aspm=off, or the link supports no ASPM state (a QEMU guest shows "
                "an empty folder); use scope=global instead" % (self.gpu, where, folder))


def is_integrated(root, bdf, gfx_targets):
    """True for an APU's GPU, which sits on the SoC's internal bus, not behind a PCIe link."""
    device_id = root.read_value("%s/device" % pci_devices.device_path(bdf))
    return amd_gpu.is_integrated(device_id, gfx_targets.get(bdf))


def discrete_gpus(root):
    """``(discrete, integrated)`` PCI addresses of the AMD GPUs."""
    gfx_targets = amd_gpu.kfd_gfx_targets(root)
    gpus = amd_gpu.list_amd_gpus(root)
    integrated = [bdf for bdf in gpus if is_integrated(root, bdf, gfx_targets)]
    return [bdf for bdf in gpus if bdf not in integrated], integrated


def find_gpu_links(root, gpus=None):
    """Link ends on the paths of ``gpus`` (every discrete AMD GPU by default) and the GPUs without controls.

    Returns ``(link_ends, missing)``.  A device on the path without link
    files is skipped (it is inside a switch); a GPU whose own link has none
    is reported in ``missing``, because its link always exists physically.
    """
    gpus = discrete_gpus(root)[0] if gpus is None else gpus
    ends, missing = {}, []
    for gpu in gpus:
        if not read_link_states(root, gpu):
            missing.append(MissingLinkControls(gpu, root.is_dir(link_dir(gpu))))
            continue
        for device, upstream in gpu_path_devices(root, gpu):
            states = read_link_states(root, device)
            if not states:
                continue
            end = ends.setdefault(device, LinkEnd(device, upstream, [], states))
            end.gpus.append(gpu)
    return [ends[bdf] for bdf in sorted(ends)], missing


def plan_disable(ends, names=LINK_STATE_FILES):
    """``[(link end, file)]`` of the ``names`` files that read 1 now, in write order."""
    return [(end, name) for end in ends for name in LINK_STATE_FILES
            if name in names and end.states.get(name) == 1]


def apply_disable(root, writes):
    """Write 0 to every planned file and read it back; raise :class:`PcieLinkError` on refusal."""
    for end, name in writes:
        path = "%s/%s" % (link_dir(end.bdf), name)
        try:
            root.write_attribute(path, "0")
        except AttributeWriteError as exc:
            hint = " (the firmware or kernel keeps ASPM control)" if exc.errno == errno.EPERM else ""
            raise PcieLinkError("disabling %s on the link %s <-> %s failed: %s%s" % (
                name, end.upstream, end.bdf, exc, hint))
        value = root.read_int(path)
        if value != 0:
            raise PcieLinkError("wrote 0 to %s but it reads %s" % (path, value))


def describe_links(ends, writes, names=LINK_STATE_FILES):
    """Return value per link: which files it has and which were (or would be) changed."""
    changed = {}
    for end, name in writes:
        changed.setdefault(end.bdf, []).append(name)
    return [{
        "device": end.bdf,
        "upstream": end.upstream,
        "gpus": end.gpus,
        "before": dict(end.states),
        "after": dict((name, 0 if name in names or (name in L1_SUBSTATES and "l1_aspm" in names) else value)
                      for name, value in end.states.items()),
        "changed_files": changed.get(end.bdf, []),
    } for end in ends]


def render_rules(ends, names=LINK_STATE_FILES):
    """The rules file that re-applies the disabled states at boot; None for no link."""
    rules = []
    for end in ends:
        attributes = [("link/%s" % name, "0") for name in LINK_STATE_FILES if name in names and name in end.states]
        if attributes:
            rules.append(udev_rules.attribute_rule(
                [("ACTION", "add"), ("SUBSYSTEM", "pci"), ("KERNEL", end.bdf)], attributes,
                comment="link %s <-> %s (GPU %s)" % (end.upstream, end.bdf, ", ".join(end.gpus))))
    return udev_rules.render_rules(HEADER, rules) if rules else None
