# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ollama's server log: which backend the running server chose.

Ollama logs with Go's ``log/slog`` text handler: ``key=value`` pairs, values
quoted with Go's ``strconv.Quote`` when they hold spaces, quotes or nothing
(``filter_id=""``).  On start the server logs
``msg="Listening on 127.0.0.1:11434 (version 0.12.11)"`` and, after GPU
discovery, one ``msg="inference compute"`` line per device it will use
(``discover/types.go`` ``LogDetails``), for example::

    time=2026-05-09T11:30:25.199Z level=INFO source=types.go:42 msg="inference compute"
      id=0 filter_id="" library=Vulkan compute=0.0 name=Vulkan0
      description="AMD Radeon RX 9070 XT (RADV GFX1201)" libdirs=ollama,vulkan driver=0.0
      pci_id=0000:06:00.0 type=discrete total="15.9 GiB" available="15.1 GiB"

or ``id=cpu library=cpu`` when no GPU was kept.  Older releases (0.1.x-0.11)
log fewer fields (``library=rocm variant="" compute=gfx1100 driver=6.8``);
the parser keeps whatever fields a line has.  journald may prefix each line
(``Mar 07 13:51:48 host ollama[254]: ``); ``journalctl -o cat`` does not.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.inferops.amd.plugins.module_utils._ollama import release_table as table

PAIR = re.compile(r'([A-Za-z0-9_.\-]+)=("(?:[^"\\]|\\.)*"|\S*)')
LISTENING = re.compile(r"Listening on (\S+) \(version ([^)]+)\)")
SERVICE_STARTED = re.compile(r"^(?:.*systemd\[\d+\]: )?Started \S+")
LOG_HEADER = ("time", "level", "source", "msg")
LIBRARY_NAMES = {"rocm": "rocm", "vulkan": "vulkan", "cpu": "cpu", "cuda": "cuda",
                 "metal": "metal", "oneapi": "oneapi"}


def unquote(value):
    """Go ``strconv.Quote`` output back to text."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        body = value[1:-1]
        return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)
    return value


def parse_slog_line(line):
    """``key=value`` fields of one slog text line (journal prefix ignored)."""
    start = line.find("time=")
    if start < 0:
        start = line.find("level=")
    text = line[start:] if start >= 0 else line
    return dict((key, unquote(value)) for key, value in PAIR.findall(text))


def backend_of_library(library):
    """``ROCm`` -> ``rocm``, ``Vulkan`` -> ``vulkan``, ``cpu`` -> ``cpu``."""
    return LIBRARY_NAMES.get((library or "").lower(), (library or "").lower())


class ServerStart:
    """What one server start logged: its version, address and devices."""

    def __init__(self, version=None, address=None):
        self.version = version
        self.address = address
        self.devices = []
        self.lines = []   # every line this process logged after 'Listening on'

    @property
    def libraries(self):
        return sorted(set(backend_of_library(dev.get("library")) for dev in self.devices))

    def as_dict(self):
        return {"version": self.version, "address": self.address, "devices": self.devices,
                "libraries": self.libraries}


def _device_fields(line):
    fields = parse_slog_line(line)
    for key in LOG_HEADER:
        fields.pop(key, None)
    return fields


def server_starts(text):
    """Every server start in a log, oldest first."""
    starts = []
    for line in (text or "").splitlines():
        listening = LISTENING.search(line)
        if listening and 'msg="Listening on' in line:
            starts.append(ServerStart(listening.group(2), listening.group(1)))
            continue
        if 'msg="inference compute"' in line:
            if not starts:
                starts.append(ServerStart())
            starts[-1].devices.append(_device_fields(line))
    return starts


def current_server_start(text):
    """The start of the process systemd started last, or None until it has logged.

    systemd's own ``Started <unit>`` line (in ``journalctl -o cat`` output)
    separates process lifetimes: a ``Listening on`` line before the last
    one belongs to a process that has since been replaced.
    """
    current = None
    for line in (text or "").splitlines():
        if SERVICE_STARTED.match(line):
            current = None
            continue
        listening = LISTENING.search(line)
        if listening and 'msg="Listening on' in line:
            current = ServerStart(listening.group(2), listening.group(1))
        elif current is not None:
            current.lines.append(line)
            if 'msg="inference compute"' in line:
                current.devices.append(_device_fields(line))
    return current


def last_server_start(text):
    """The most recent :class:`ServerStart`, or None when the log has none."""
    starts = server_starts(text)
    return starts[-1] if starts else None


def backend_matches(start, backend):
    """True when the devices ``start`` logged run on ``backend`` (vulkan, rocm, cpu)."""
    libraries = start.libraries
    if not libraries:
        return False
    if backend == "cpu":
        return libraries == ["cpu"]
    return libraries == [backend]


# Ollama's own lines that explain why a device is not where it was asked to be,
# with the variable that changes it (messages quoted from ollama_release_table).
EXPLAINED = (
    (table.IGPU_DROPPED_MSG, "OLLAMA_IGPU_ENABLE=1"),
    (table.VULKAN_DISABLED_MSG, "OLLAMA_VULKAN=1"),
    (table.ROCBLAS_DROPPED_MSG, "HSA_OVERRIDE_GFX_VERSION (or HSA_OVERRIDE_GFX_VERSION_<n> for one device)"),
    (table.USER_FILTERED_MSG, "ROCR_VISIBLE_DEVICES"),
)
EXPECTED_LIBRARY = {"vulkan": "vulkan", "rocm": "rocm", "cpu": "cpu"}


def _log_device_for(start, gpu):
    """The 'inference compute' fields of host GPU ``gpu``: by pci_id, else (old logs) by ROCm compute."""
    for dev in start.devices:
        if dev.get("pci_id") and dev.get("pci_id").lower() == (gpu.get("pci_id") or "").lower():
            return dev
    for dev in start.devices:
        if not dev.get("pci_id") and backend_of_library(dev.get("library")) == "rocm" \
                and dev.get("compute") in (gpu.get("gfx_target"), gpu.get("rocm_gfx")):
            return dev
    return None


def explanations(start, gpu=None):
    """(quoted line, fixing variable) for Ollama lines that explain a missing device."""
    found = []
    for line in start.lines:
        for msg, fix in EXPLAINED:
            if msg not in line:
                continue
            fields = parse_slog_line(line)
            pci = fields.get("pci_id")
            if gpu is not None and pci and pci.lower() != (gpu.get("pci_id") or "").lower():
                continue
            found.append((line[line.find("time="):] if "time=" in line else line, fix))
    return found


def placements(start, gpus):
    """Which backend each host GPU runs on, as the log says."""
    placed = []
    for gpu in gpus:
        dev = _log_device_for(start, gpu)
        placed.append({
            "name": gpu.get("name") or gpu.get("pci_id"), "pci_id": gpu.get("pci_id"),
            "matters": gpu.get("matters", True),
            "library": dev.get("library") if dev else None,
            "compute": dev.get("compute") if dev else None,
            "type": dev.get("type", "iGPU" if gpu.get("integrated") else "discrete") if dev else
            ("iGPU" if gpu.get("integrated") else "discrete")})
    return placed


def judge(start, backend, gpus):
    """None when ``start`` runs ``backend`` on every device that matters, else why not."""
    if backend == "cpu":
        on_gpu = [dev for dev in start.devices if backend_of_library(dev.get("library")) != "cpu"]
        if not on_gpu:
            return None
        return "Ollama kept GPU devices although the CPU was asked for: %s" % "; ".join(
            "library=%s pci_id=%s" % (dev.get("library"), dev.get("pci_id")) for dev in on_gpu)
    problems = []
    for gpu in gpus:
        if not gpu.get("matters", True):
            continue
        dev = _log_device_for(start, gpu)
        label = gpu.get("name") or gpu.get("pci_id")
        if dev is not None and backend_of_library(dev.get("library")) == EXPECTED_LIBRARY[backend]:
            continue
        if dev is not None:
            problems.append("%s (%s) runs on %s, not %s" % (label, gpu.get("pci_id"), dev.get("library"), backend))
            continue
        why = explanations(start, gpu)
        if why:
            problems.append("%s (%s) is not in use; Ollama logged: %s" % (
                label, gpu.get("pci_id"), "; ".join("'%s' (set %s)" % item for item in why)))
        else:
            problems.append("%s (%s) is not in any 'inference compute' line" % (label, gpu.get("pci_id")))
    return "; ".join(problems) if problems else None
