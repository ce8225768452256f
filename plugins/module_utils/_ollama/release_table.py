# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one table of how each Ollama release range picks its GPU backend.

Every row was read from ollama/ollama's source at the tags named in
``source`` (docs/ollama.md shows the same table with the file of each fact).
A row covers a release range and a library layout shape:

``subfolders``
    one folder per GPU backend below ``lib/ollama`` (official archive,
    Arch's current split packages): discovery globs ``lib/ollama/*/*ggml-*``
    and probes one folder at a time (``discover/runner.go`` from 0.12.4).
``flat``
    every ``libggml-*.so`` directly in ``lib/ollama`` (Arch's older split
    packages, seed 003): no folder to probe separately, so the folder gates
    (``OLLAMA_LLM_LIBRARY``, ``OLLAMA_VULKAN``) never apply.

For each backend a row gives the environment that selects it, or None when
the release cannot run it at all.  The environment is the only mechanism
the planner uses by default: it survives package upgrades, and moving files
is kept for ``mechanism=files``.  Selecting works by hiding the other
backends' devices, with the variables Ollama documents for it
(``docs/gpu.md``: ``ROCR_VISIBLE_DEVICES`` / ``GGML_VK_VISIBLE_DEVICES``
"use an invalid GPU ID (e.g., "-1")"), plus the release's own gates.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Newest stable tag in ollama/ollama (git tag, no -rc) when this table was read, and so the newest
# release it is verified for (v0.33.0-rc2 at HEAD had the same discover/ and llm/ code). A newer
# release is switched as the last rows say, with a warning that this is unverified.
NEWEST_STABLE = "0.32.15"
OLDEST_SUPPORTED = "0.12.0"

# Log lines, quoted exactly from the source (slog msg field).
VULKAN_DISABLED_MSG = "experimental Vulkan support disabled.  To enable, set OLLAMA_VULKAN=1"
IGPU_DROPPED_MSG = "dropping integrated GPU; to enable, set OLLAMA_IGPU_ENABLE=1"
ROCBLAS_DROPPED_MSG = "dropping ROCm device \u2014 no rocblas support for gfx target"
USER_FILTERED_MSG = "filtering out device per user request"

HIDE_ROCM = {"ROCR_VISIBLE_DEVICES": "-1"}
HIDE_VULKAN = {"GGML_VK_VISIBLE_DEVICES": "-1"}
# From 0.30, discover/runner.go GPUDevices skips every library folder whose name is not
# OLLAMA_LLM_LIBRARY ("skipping available library at user's request", v0.30.0 and v0.32.15), before
# a discovery process starts: Vulkan alone, without the ROCm discovery run that ROCR_VISIBLE_DEVICES=-1
# still costs (the HIP library and the ROCm runtime load, then find no device). Runners use the
# discovered devices' library folder, so discovery decides them too.
ONLY_VULKAN_FOLDER = {"OLLAMA_LLM_LIBRARY": "vulkan"}

# gfx targets of the official ROCm builds (AMDGPU_TARGETS of the ROCm preset:
# CMakePresets.json up to 0.24, llama/server/CMakePresets.json rocm_v7_2_linux
# from 0.30).  gfx1151 since 0.6.2, gfx1200/gfx1201 since 0.6.4.
OFFICIAL_ROCM_TARGETS_0_12 = ("gfx940", "gfx941", "gfx942", "gfx1010", "gfx1012", "gfx1030", "gfx1100",
                              "gfx1101", "gfx1102", "gfx1151", "gfx1200", "gfx1201", "gfx908", "gfx90a")
OFFICIAL_ROCM_TARGETS_0_30 = ("gfx908", "gfx90a", "gfx942", "gfx950", "gfx1030", "gfx1100", "gfx1101",
                              "gfx1102", "gfx1150", "gfx1151", "gfx1200", "gfx1201")


class Row:
    """One release range x layout shape."""

    def __init__(self, first, last, layout, vulkan, rocm, cpu, igpu, suffix_rename_disables,
                 vulkan_disabled_line, source):
        self.first = first
        self.last = last
        self.layout = layout
        self.env = {"vulkan": vulkan, "rocm": rocm, "cpu": cpu}
        # backend -> 'kept' | 'dropped' | 'dropped unless gfx1151' (iGPUs without OLLAMA_IGPU_ENABLE=1)
        self.igpu = igpu
        self.suffix_rename_disables = suffix_rename_disables
        self.vulkan_disabled_line = vulkan_disabled_line
        self.source = source

    def covers(self, version, layout):
        return layout == self.layout and _tuple(self.first) <= version <= _tuple(self.last)

    def as_dict(self):
        return {"releases": "%s - %s" % (self.first, self.last), "layout": self.layout, "env": self.env,
                "igpu": self.igpu, "suffix_rename_disables": self.suffix_rename_disables,
                "vulkan_disabled_line": self.vulkan_disabled_line, "source": self.source}


def _tuple(version):
    return tuple(int(part) for part in version.split(".")[:3])


KEPT = {"vulkan": "kept", "rocm": "kept"}
# amd_linux.go before 0.12.4: "unsupported Radeon iGPU detected skipping" below IGPUMemLimit (1 GiB VRAM).
OLD_IGPU = {"vulkan": "kept", "rocm": "dropped below 1 GiB VRAM"}
IGPU_MEM_LIMIT = 1 << 30

ROWS = (
    # 0.12.0-0.12.3: discover/gpu.go + amd_linux.go read sysfs; no Vulkan backend in the tree
    # (ml/backend/ggml/ggml/src has no ggml-vulkan before 0.12.6); ROCR_VISIBLE_DEVICES filters
    # devices ("filtering out device per user request", amd_linux.go).
    Row("0.12.0", "0.12.3", "subfolders", None, {}, dict(HIDE_ROCM), OLD_IGPU, True, False,
        "v0.12.3 discover/amd_linux.go, discover/gpu.go"),
    Row("0.12.0", "0.12.3", "flat", None, {}, dict(HIDE_ROCM), OLD_IGPU, True, False,
        "v0.12.3 discover/amd_linux.go, discover/gpu.go"),
    # 0.12.4-0.12.10: runner discovery (discover/runner.go); ggml-vulkan from 0.12.6, not gated.
    Row("0.12.4", "0.12.10", "subfolders", dict(HIDE_ROCM), dict(HIDE_VULKAN), dict(HIDE_ROCM, **HIDE_VULKAN),
        KEPT, True, False, "v0.12.4 discover/runner.go; v0.12.6 ml/backend/ggml/ggml/src/ggml-vulkan"),
    Row("0.12.4", "0.12.10", "flat", dict(HIDE_ROCM), dict(HIDE_VULKAN), dict(HIDE_ROCM, **HIDE_VULKAN),
        KEPT, True, False, "v0.12.4 discover/runner.go (libDirs[\"\"]: one probe of lib/ollama)"),
    # 0.12.11-0.24.x: a vulkan* folder is skipped unless OLLAMA_VULKAN=1 (runner.go logs
    # VULKAN_DISABLED_MSG); a flat lib/ollama is never gated.  Vulkan off by default on
    # subfolders, so ROCm and CPU need nothing to keep it out.
    Row("0.12.11", "0.24.99", "subfolders", dict(HIDE_ROCM, OLLAMA_VULKAN="1"), {}, dict(HIDE_ROCM),
        KEPT, True, True, "v0.12.11, v0.15.5, v0.24.0 discover/runner.go; envconfig/config.go EnableVulkan"),
    Row("0.12.11", "0.24.99", "flat", dict(HIDE_ROCM), dict(HIDE_VULKAN), dict(HIDE_ROCM, **HIDE_VULKAN),
        KEPT, True, False, "v0.15.5 discover/runner.go (gate only for dir != \"\"); seed 003"),
    # 0.30.0: llama-server runner; EnableVulkan(true) default on, OLLAMA_VULKAN=0 skips the folder
    # silently; filterIntegratedGPUs drops every non-CUDA iGPU unless OLLAMA_IGPU_ENABLE=1;
    # ggmlLibraryFile globs libggml-<name>.so.* so a renamed library still loads.
    Row("0.30.0", "0.30.0", "subfolders", dict(ONLY_VULKAN_FOLDER), dict(OLLAMA_VULKAN="0"), dict(HIDE_ROCM, OLLAMA_VULKAN="0"),
        {"vulkan": "dropped", "rocm": "dropped"}, False, False,
        "v0.30.0 discover/runner.go filterIntegratedGPUs, discover/native_probe_platform.go, envconfig/config.go"),
    Row("0.30.0", "0.30.0", "flat", dict(HIDE_ROCM), dict(HIDE_VULKAN), dict(HIDE_ROCM, **HIDE_VULKAN),
        {"vulkan": "dropped", "rocm": "dropped"}, False, False,
        "v0.30.0 discover/runner.go filterIntegratedGPUs, discover/native_probe_platform.go"),
    # 0.30.1 and later: defaultIntegratedROCmGFXTargets = {gfx1151}: a Strix Halo iGPU stays on
    # ROCm by default (unless HSA_OVERRIDE_GFX_VERSION makes it another target); Vulkan iGPUs dropped.
    Row("0.30.1", NEWEST_STABLE, "subfolders", dict(ONLY_VULKAN_FOLDER), dict(OLLAMA_VULKAN="0"),
        dict(HIDE_ROCM, OLLAMA_VULKAN="0"),
        {"vulkan": "dropped", "rocm": "dropped unless gfx1151"}, False, False,
        "v0.30.1, v0.32.15 discover/runner.go integratedGPUAllowedByDefault, discover/amd.go"),
    Row("0.30.1", NEWEST_STABLE, "flat", dict(HIDE_ROCM), dict(HIDE_VULKAN), dict(HIDE_ROCM, **HIDE_VULKAN),
        {"vulkan": "dropped", "rocm": "dropped unless gfx1151"}, False, False,
        "v0.30.1, v0.32.15 discover/runner.go integratedGPUAllowedByDefault"),
)


class OfficialRelease:
    """What the official Linux amd64 archives of a release are called and contain."""

    def __init__(self, version):
        self.version = _tuple(version)

    @property
    def archive_extension(self):
        # release.yaml: pigz -> .tgz up to 0.13.5; zstd -> .tar.zst from 0.14.0 (install.sh falls back to .tgz).
        return "tar.zst" if self.version >= (0, 14, 0) else "tgz"

    @property
    def rocm_folder(self):
        # release.yaml: lib/ollama/rocm up to 0.24; lib/ollama/rocm_v* (OLLAMA_RUNNER_DIR rocm_v7_2) from 0.30.
        return "rocm_v7_2" if self.version >= (0, 30, 0) else "rocm"

    @property
    def has_vulkan_folder(self):
        # release.yaml: lib/ollama/vulkan* goes into the main archive from 0.13.0.
        return self.version >= (0, 13, 0)

    @property
    def rocm_targets(self):
        return OFFICIAL_ROCM_TARGETS_0_30 if self.version >= (0, 30, 0) else OFFICIAL_ROCM_TARGETS_0_12

    def archives(self):
        ext = self.archive_extension
        return {"base": "ollama-linux-amd64.%s" % ext, "rocm": "ollama-linux-amd64-rocm.%s" % ext}


class UnsupportedRelease(ValueError):
    """A version outside the table."""


def row_for(version, layout):
    """The :class:`Row` for a version tuple and layout shape; raises UnsupportedRelease."""
    if version < _tuple(OLDEST_SUPPORTED):
        raise UnsupportedRelease(
            "Ollama %s is older than %s, the oldest release this collection knows how to switch; "
            "upgrade Ollama" % (".".join(str(p) for p in version), OLDEST_SUPPORTED))
    for row in ROWS:
        if row.covers(version, layout):
            return row
    if not is_verified(version):
        # newer than the table: the newest row of this layout, unverified (plan warns)
        return [row for row in ROWS if row.layout == layout][-1]
    raise UnsupportedRelease("no row in the Ollama release table for %s on a %s layout" % (
        ".".join(str(p) for p in version), layout))


def is_verified(version):
    """Whether the table was read at or after this release (a version tuple)."""
    return version <= _tuple(NEWEST_STABLE)


# discover/amd.go readROCmDRMDevice (v0.30.0 to v0.32.15): how ROCm discovery classes an AMD GPU from
# its sysfs, overriding what the GPU library says where it decides.
ROCM_IGPU_MAX_VRAM = 4 << 30
ROCM_IGPU_MIN_GTT = 8 << 30


def rocm_sysfs_integrated(board_info, vram_vendor, vram_bytes, gtt_bytes):
    """True (integrated), False (discrete) or None (undecided: the ROCm library's own answer stands).

    ``board_info`` and ``vram_vendor``: whether the device has those sysfs files (a discrete card's).
    Otherwise integrated when 0 < VRAM <= 4 GiB, GTT >= 8 GiB and GTT >= 4 x VRAM: a small BIOS UMA
    frame buffer; a large carve-out leaves it undecided.
    """
    if board_info or vram_vendor:
        return False
    vram, gtt = vram_bytes or 0, gtt_bytes or 0
    if 0 < vram <= ROCM_IGPU_MAX_VRAM and gtt >= ROCM_IGPU_MIN_GTT and gtt >= 4 * vram:
        return True
    return None


def igpu_dropped(row, backend, gfx_target):
    """True when the release drops this iGPU from ``backend`` unless OLLAMA_IGPU_ENABLE=1."""
    rule = row.igpu.get(backend, "kept")
    if rule == "dropped below 1 GiB VRAM":
        return False  # no variable lifts it: see igpu_unusable
    if rule == "dropped unless gfx1151":
        return gfx_target != "gfx1151"
    return rule == "dropped"


def igpu_unusable(row, backend, vram_bytes):
    """True when the release skips this GPU for ``backend`` whatever the environment says.

    Before 0.12.4 that is Ollama's own "iGPU detection" (v0.12.3 discover/amd_linux.go): any AMD GPU
    with less than 1 GiB of VRAM, whatever else says it is integrated or not.
    """
    return row.igpu.get(backend) == "dropped below 1 GiB VRAM" and (vram_bytes or 0) < IGPU_MEM_LIMIT
