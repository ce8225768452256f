# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which settings make an Ollama installation run on the backend asked for.

Ollama picks a backend by itself: every backend library it finds probes the
GPUs, and when two see the same card it keeps ROCm or CUDA over Vulkan
(``DeviceInfo.PreferredLibrary`` in ollama/ollama ``ml/device.go``).  Seed
the RX 9070 XT Ollama article measured Vulkan (RADV) ~10% faster than ROCm
through Ollama on an RX 9070 XT, so on such hosts that preference is wrong.

The planner reads ollama_release_table for the release and layout and
builds, for one backend:

* the environment of the drop-in (``environment`` mechanism, the default:
  it survives package upgrades), including ``OLLAMA_IGPU_ENABLE=1`` where
  the release drops an integrated GPU that matters and
  ``HSA_OVERRIDE_GFX_VERSION[_<n>]`` only for a device whose gfx target the
  installed ROCm build lacks;
* or, with ``mechanism=files``, which backend folders (flat layout: files)
  to move out of Ollama's search path;
* and the devices that matter, which verification judges.

Devices that matter: every discrete AMD GPU, and an integrated one when it is
the host's only AMD GPU or a Strix Halo (gfx1151) APU.  A small desktop iGPU
next to a discrete card is left to whatever Ollama does with it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.inferops.amd.plugins.module_utils._ollama import release_table as table

BACKENDS = ("vulkan", "rocm", "cpu", "auto")
MECHANISMS = ("auto", "environment", "files")
BACKEND_MARK = "inferops-backend:"
GFX_VERSION = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{1,2}$")
LARGE_APU_TARGETS = ("gfx1151",)
# Backend units mechanism=files moves out of the search path for each backend.
FILES_DISABLE = {"vulkan": ("rocm",), "rocm": ("vulkan",), "cpu": ("rocm", "vulkan", "cuda"), "auto": ()}
LIBRARY_LABELS = {"vulkan": "Vulkan", "rocm": "ROCm", "cpu": "cpu"}


class PlanError(ValueError):
    """The backend asked for cannot be had on this installation."""


class BackendPlan:
    """Desired drop-in environment, backend moves and the devices to judge."""

    def __init__(self, backend, mechanism, environment, moves, devices, warnings, row):
        self.backend = backend
        self.mechanism = mechanism
        self.environment = environment
        self.moves = moves        # [(from machine path, to machine path)]
        self.devices = devices    # [{'pci_id', 'gfx_target', 'integrated', 'matters', ...}]
        self.warnings = warnings
        self.row = row


def validate_gfx_version(value):
    """``12.0.1`` style HSA_OVERRIDE_GFX_VERSION value; raises PlanError otherwise."""
    if value is None or value == "":
        return None
    if not GFX_VERSION.match(value):
        raise PlanError(
            "gfx_version_override '%s' is not a gfx version; expected MAJOR.MINOR.STEPPING such as "
            "12.0.1 (gfx1201), 12.0.0 (gfx1200) or 11.5.1 (gfx1151)" % value)
    return value


def gfx_version_from_target(target):
    """``gfx1201`` -> ``12.0.1``, ``gfx1151`` -> ``11.5.1``, ``gfx90a`` -> ``9.0.10``."""
    match = re.match(r"^gfx(\d{1,2})([0-9a-f])([0-9a-f])$", target or "")
    if not match:
        raise PlanError("'%s' is not a gfx target such as gfx1201" % target)
    return "%d.%d.%d" % (int(match.group(1)), int(match.group(2), 16), int(match.group(3), 16))


def gfx_target_from_version(version):
    """``12.0.1`` -> ``gfx1201`` (Ollama's rocmGFXTargetOverride, discover/amd.go)."""
    major, minor, stepping = (int(part) for part in version.split("."))
    return "gfx%d%x%x" % (major, minor, stepping)


def devices_that_matter(gpus):
    """``gpus`` with ``matters`` set (see module docstring)."""
    discrete = any(not gpu.get("integrated") for gpu in gpus)
    marked = []
    for gpu in gpus:
        matters = (not gpu.get("integrated")) or not discrete or gpu.get("gfx_target") in LARGE_APU_TARGETS
        marked.append(dict(gpu, matters=matters))
    return marked


def nearest_target(target, supported):
    """The build's closest gfx target for ``target`` (same major, then same minor), or None."""
    if not target or not supported:
        return None
    major, minor = target[3:-2], target[-2]
    same_minor = sorted(t for t in supported if t[3:-2] == major and t[-2] == minor)
    same_major = sorted(t for t in supported if t[3:-2] == major)
    choices = same_minor or same_major
    return choices[0] if choices else None


def build_targets(install):
    """gfx targets the ROCm build on this host covers, or None when unknown."""
    if install.rocblas_targets:
        return set(install.rocblas_targets)
    return None


def _override_env(install, devices, user_override, warnings):
    """HSA_OVERRIDE_GFX_VERSION[_<n>] for the devices that need one; mutates device 'rocm_gfx'."""
    amd = [dev for dev in devices if dev.get("rocm_index") is not None]
    supported = build_targets(install)
    env = {}
    for dev in amd:
        dev["rocm_gfx"] = dev.get("gfx_target")
        if not dev["matters"]:
            continue
        if user_override:
            value = user_override
        elif supported is None or dev.get("gfx_target") in supported:
            continue
        else:
            near = nearest_target(dev.get("gfx_target"), supported)
            if near is None:
                warnings.append("the ROCm build in %s has no kernels for %s (%s) nor a close target; ROCm will "
                                "drop it" % (install.lib_dir, dev.get("gfx_target"), dev.get("pci_id")))
                continue
            value = gfx_version_from_target(near)
        dev["rocm_gfx"] = gfx_target_from_version(value)
        name = "HSA_OVERRIDE_GFX_VERSION" if len(amd) == 1 else "HSA_OVERRIDE_GFX_VERSION_%d" % dev["rocm_index"]
        env[name] = value
    if supported is None and not user_override and any(dev["matters"] for dev in amd):
        warnings.append("no rocBLAS kernel list (TensileLibrary_lazy_gfx*.dat) found for %s, so whether its "
                        "ROCm build covers %s is unknown; no HSA_OVERRIDE_GFX_VERSION set" % (
                            install.lib_dir, ", ".join(sorted(set(d.get("gfx_target") or "?" for d in amd)))))
    return env


def _require_backend(install, backend, version_text, row):
    if backend in ("vulkan", "rocm") and not install.has(backend):
        raise PlanError(
            "backend '%s' asked for, but %s has no %s backend (installed GPU backends: %s); install Ollama's "
            "%s libraries first" % (backend, install.lib_dir, LIBRARY_LABELS[backend],
                                    ", ".join(install.backends()) or "none", backend))
    if backend != "auto" and row.env[backend] is None:
        raise PlanError(
            "Ollama %s cannot run the %s backend: its GPU discovery (%s) has no Vulkan support; Vulkan "
            "arrived with runner discovery (0.12.6, opt-in from 0.12.11); upgrade Ollama" % (
                version_text, backend, row.source))


def _require_usable_devices(row, backend, devices, version_text):
    for dev in devices:
        if dev["matters"] and table.igpu_unusable(row, backend, dev.get("vram_bytes")):
            raise PlanError(
                "Ollama %s skips the GPU %s for ROCm: its discovery takes any AMD GPU with less than 1 GiB of VRAM "
                "for an unsupported iGPU ('unsupported Radeon iGPU detected skipping', %s) and this one has %d MiB; "
                "no variable changes that: raise the UMA frame buffer in the firmware, use Vulkan, or upgrade Ollama" % (
                    version_text, dev.get("pci_id"), row.source, (dev.get("vram_bytes") or 0) >> 20))


def _environment(install, row, backend, devices, user_override, warnings):
    env = dict(row.env[backend])
    if backend == "rocm":
        env.update(_override_env(install, devices, user_override, warnings))
    for dev in devices:
        gfx = dev.get("rocm_gfx", dev.get("gfx_target")) if backend == "rocm" else dev.get("gfx_target")
        if dev["matters"] and _ollama_integrated(dev, backend, warnings) and backend in ("vulkan", "rocm") \
                and table.igpu_dropped(row, backend, gfx):
            env["OLLAMA_IGPU_ENABLE"] = "1"
    return env


def _ollama_integrated(dev, backend, warnings):
    """Whether Ollama's discovery takes ``dev`` for an integrated GPU on ``backend``.

    ROCm discovery decides from sysfs where it can (release_table.rocm_sysfs_integrated); the ROCm library
    and Vulkan (its device type) otherwise say what the hardware is, which is the collection's own class.
    """
    ours = bool(dev.get("integrated"))
    if backend != "rocm":
        return ours
    decided = table.rocm_sysfs_integrated(dev.get("board_info"), dev.get("vram_vendor"), dev.get("vram_bytes"),
                                          dev.get("gtt_bytes"))
    if decided is None or decided == ours:
        return ours
    warnings.append(
        "Ollama's ROCm discovery takes the GPU %s for %s by its own rule (discover/amd.go readROCmDRMDevice: no "
        "board_info or mem_info_vram_vendor, %d MiB VRAM, %d MiB GTT), which the collection calls %s; the plan "
        "follows Ollama" % (dev.get("pci_id"), "an integrated GPU" if decided else "a discrete GPU",
                            (dev.get("vram_bytes") or 0) >> 20, (dev.get("gtt_bytes") or 0) >> 20,
                            "integrated" if ours else "discrete"))
    return decided


def _moves(install, backend):
    """(from, to) moves that leave only ``backend``'s units in Ollama's search path."""
    disable = FILES_DISABLE[backend]
    moves = []
    for unit in install.units:
        if unit.backend in disable and unit.enabled:
            moves.append((unit.home, os.path.join(install.stash_dir, unit.name)))
        elif unit.backend not in disable and not unit.enabled:
            moves.append((unit.current, unit.home))
    return moves


def plan_backend(install, backend, version, gpus, mechanism="auto", gfx_version=None):
    """The :class:`BackendPlan` that makes ``install`` use ``backend``; raises PlanError."""
    if backend not in BACKENDS:
        raise PlanError("backend '%s' is not one of %s" % (backend, ", ".join(BACKENDS)))
    if mechanism not in MECHANISMS:
        raise PlanError("mechanism '%s' is not one of %s" % (mechanism, ", ".join(MECHANISMS)))
    if version is None:
        raise PlanError("the Ollama version is unknown, and which switch works depends on it; set the "
                        "version option")
    version_text = ".".join(str(part) for part in version)
    try:
        row = table.row_for(version, install.layout)
    except table.UnsupportedRelease as exc:
        raise PlanError(str(exc))
    _require_backend(install, backend, version_text, row)
    user_override = validate_gfx_version(gfx_version)
    devices = devices_that_matter(gpus)
    if backend != "auto":
        _require_usable_devices(row, backend, devices, version_text)
    warnings = []
    if not table.is_verified(version):
        warnings.append(
            "Ollama %s is newer than %s, the newest release whose source the collection's release table was read "
            "from; it is switched as %s does, unverified (docs/ollama.md)" % (version_text, table.NEWEST_STABLE,
                                                                              row.as_dict()["releases"]))
    chosen = "files" if mechanism == "files" else "environment"
    if backend == "auto":
        return BackendPlan(backend, chosen, {}, _moves(install, "auto"), devices, warnings, row)
    env = {} if chosen == "files" else _environment(install, row, backend, devices, user_override, warnings)
    if chosen == "files":
        # Moving folders does not lift the release's own gates (OLLAMA_VULKAN, OLLAMA_IGPU_ENABLE)
        # nor a missing gfx target: those stay environment.
        env = dict((key, value) for key, value in _environment(
            install, row, backend, devices, user_override, warnings).items() if not _selects_by_hiding(key, value))
    moves = _moves(install, backend if chosen == "files" else "auto")
    return BackendPlan(backend, chosen, env, moves, devices, warnings, row)


def _selects_by_hiding(key, value):
    """Whether a variable only keeps the other backends out, which moving their folders does instead."""
    return key.endswith("_VISIBLE_DEVICES") or key == "OLLAMA_LLM_LIBRARY" or (key == "OLLAMA_VULKAN" and value == "0")


def recorded_backend(dropin_text):
    """The backend named in the drop-in's ``# inferops-backend:`` line, or None."""
    match = re.search(r"^# %s\s*(\S+)\s*$" % re.escape(BACKEND_MARK), dropin_text or "", re.M)
    return match.group(1) if match else None


def configured_backend(install, dropin_text=None):
    """The backend the current drop-in and files ask for (``auto`` if nothing)."""
    recorded = recorded_backend(dropin_text)
    if recorded in BACKENDS:
        return recorded
    disabled = set(unit.backend for unit in install.units if not unit.enabled)
    if not disabled:
        return "auto"
    enabled = set(unit.backend for unit in install.units if unit.enabled) - disabled
    if not enabled & {"rocm", "vulkan"}:
        return "cpu"
    if "rocm" in disabled and "vulkan" in enabled:
        return "vulkan"
    if "vulkan" in disabled and "rocm" in enabled:
        return "rocm"
    return "auto"
