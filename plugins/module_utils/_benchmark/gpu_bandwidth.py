# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Memory bandwidth per AMD GPU, and the decode ceiling it puts on a dense model.

Decode is memory-bandwidth bound: every generated token reads all weights once, so a dense model
cannot decode faster than ``bandwidth / bytes per token`` (the RX 9070 XT Ollama article, "The
Bandwidth Math"; the Strix Halo inference survey section 5.1).  The figures below are theoretical
peaks, each with its source; docs/benchmark.md lists them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

GIB = 1 << 30

# device id -> (GB/s, name, source).  GB is 10^9 bytes, as the sources count.
BANDWIDTH_GB_PER_S = {
    "0x7551": (640.0, "Radeon AI PRO R9700",
               "llama.cpp discussion #21043: 640 GB/s peak, 256-bit GDDR6"),
    "0x7550": (640.0, "Radeon RX 9070 / 9070 XT",
               "the RX 9070 XT Ollama article: RX 9070 XT, 16 GB, 640 GB/s theoretical"),
    "0x1586": (256.0, "Radeon 8060S (Strix Halo)",
               "the Strix Halo inference survey section 5.1: LPDDR5X-8000, 256-bit bus, 256 GB/s"),
}
# 0x7550 is also the RX 9070 GRE, a 12 GB board on a narrower bus: no sourced figure here, so no
# ceiling rather than a wrong one.  Boards of this id with more VRAM than this are the 16 GB ones.
NAVI48_16GB_MIN_VRAM = 14 * GIB


def bandwidth_for(device_id, vram_bytes=None):
    """(GB/s, name, source) for a device id, or None when the collection has no sourced figure."""
    entry = BANDWIDTH_GB_PER_S.get((device_id or "").lower())
    if entry is None:
        return None
    if device_id.lower() == "0x7550" and vram_bytes is not None and vram_bytes < NAVI48_16GB_MIN_VRAM:
        return None
    return entry


def decode_ceiling(device_id, bytes_per_token, measured_tokens_per_second, vram_bytes=None):
    """The bandwidth ceiling for a device and the share of it a measured decode speed reaches.

    ``bytes_per_token`` is the weights read per token: the model's size for a dense model, only
    the active experts for a MoE model (so the caller may pass a smaller figure).  Returns None
    when the device or the size is unknown.
    """
    entry = bandwidth_for(device_id, vram_bytes)
    if entry is None or not bytes_per_token or bytes_per_token <= 0:
        return None
    gb_per_s, name, source = entry
    ceiling = gb_per_s * 1e9 / bytes_per_token
    efficiency = None
    if measured_tokens_per_second is not None:
        efficiency = round(100.0 * measured_tokens_per_second / ceiling, 2)
    return {
        "device_id": device_id.lower(),
        "device_name": name,
        "bandwidth_gb_per_s": gb_per_s,
        "source": source,
        "bytes_per_token": int(bytes_per_token),
        "ceiling_tokens_per_second": round(ceiling, 2),
        "efficiency_percent": efficiency,
    }
