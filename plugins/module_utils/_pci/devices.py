# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PCI devices as sysfs shows them: ids, class, link status, the bridge chain.

``/sys/bus/pci/devices/<BDF>`` is a link into ``/sys/devices``, whose path is
the device's place in the PCI tree
(``/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0/.../0000:03:00.0``), so
the chain of bridges from the root port down to a device is read off the
resolved path, the way ``readlink -f`` shows it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

PCI_DEVICES = "/sys/bus/pci/devices"
_BDF = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")

# PCI class codes (the top 16 bits of the 24-bit class attribute).
CLASS_VGA = 0x0300
CLASS_DISPLAY_OTHER = 0x0380
CLASS_BRIDGE_PCI = 0x0604


def is_bdf(text):
    return bool(text) and bool(_BDF.match(text))


def list_addresses(root):
    """Every PCI address the machine shows, sorted."""
    return [name for name in root.list_dir(PCI_DEVICES) if is_bdf(name)]


def device_path(bdf):
    return "%s/%s" % (PCI_DEVICES, bdf)


def read_hex(root, bdf, attribute):
    """A ``0x....`` attribute as an int, or None when missing or garbled."""
    return root.read_int("%s/%s" % (device_path(bdf), attribute), base=16)


def class_code(root, bdf):
    """The 16-bit base class + subclass, or None."""
    value = read_hex(root, bdf, "class")
    return None if value is None else value >> 8


def is_display(root, bdf):
    return class_code(root, bdf) in (CLASS_VGA, CLASS_DISPLAY_OTHER)


def link_status(root, bdf):
    """Current and maximum link speed/width; None for what the device lacks."""
    base = device_path(bdf)
    return {
        "current_speed": root.read_value(base + "/current_link_speed"),
        "current_width": root.read_int(base + "/current_link_width"),
        "max_speed": root.read_value(base + "/max_link_speed"),
        "max_width": root.read_int(base + "/max_link_width"),
    }


def bridge_chain(root, bdf):
    """PCI addresses from the root port down to ``bdf``'s parent bridge.

    Empty for a device directly on the root complex (no bridge above it).
    """
    resolved = root.resolve(device_path(bdf))
    parts = [part for part in resolved.split("/") if is_bdf(part)]
    if not parts or parts[-1] != bdf:
        return []
    return parts[:-1]


def describe_bridge(root, bdf):
    """The facts reported for one bridge on a GPU's path."""
    info = {
        "address": bdf,
        "vendor_id": root.read_value("%s/vendor" % device_path(bdf)),
        "device_id": root.read_value("%s/device" % device_path(bdf)),
    }
    info.update(link_status(root, bdf))
    return info
