# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CPU, memory and running kernel, read from /proc."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import split_cmdline


def parse_cpuinfo(text):
    """Model name, vendor, family and logical CPU count from /proc/cpuinfo."""
    first = {}
    count = 0
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip()
        if key == "processor":
            count += 1
        if count <= 1 and key not in first:
            first[key] = value.strip()
    family = first.get("cpu family")
    return {
        "model": first.get("model name"),
        "vendor": first.get("vendor_id"),
        "family": int(family) if family and family.isdigit() else None,
        "logical_cpus": count or None,
    }


def parse_meminfo_total(text):
    """MemTotal in bytes, or None."""
    for line in (text or "").splitlines():
        if line.startswith("MemTotal:"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                factor = 1024 if len(parts) > 2 and parts[2] == "kB" else 1
                return int(parts[1]) * factor
    return None


def kernel_version(release):
    """``(major, minor)`` of a kernel release string like ``6.12.57+deb13-amd64``, or None."""
    match = re.match(r"^(\d+)\.(\d+)", release or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def gather_system(root):
    cpu = parse_cpuinfo(root.read_text("/proc/cpuinfo"))
    return {
        "cpu": cpu,
        "memory_total_bytes": parse_meminfo_total(root.read_text("/proc/meminfo")),
        "kernel": {
            "release": root.read_value("/proc/sys/kernel/osrelease"),
            "cmdline": split_cmdline(root.read_text("/proc/cmdline")),
        },
    }
