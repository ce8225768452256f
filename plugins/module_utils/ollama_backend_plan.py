# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which switch makes an Ollama installation use the backend asked for.

Ollama picks a backend by itself: every backend library it finds probes the
GPUs, and when two libraries see the same card it keeps ROCm or CUDA over
Vulkan (``DeviceInfo.PreferredLibrary`` in ollama/ollama ``ml/device.go``).
Seed 003_2beb429f78c8fd9f.txt measured Vulkan (RADV) ~10% faster than ROCm
through Ollama on an RX 9070 XT, so on such hosts the preference is wrong.

Two mechanisms can override it, least invasive first:

``environment``
    ``OLLAMA_LLM_LIBRARY=<folder>`` restricts discovery to one backend
    folder and ``OLLAMA_VULKAN=1`` lets the Vulkan folder be probed at all
    (``discover/runner.go``).  Both only work where backends live in
    folders (official layout) and discovery is runner based with the Vulkan
    gate, i.e. from :data:`ENV_SWITCH_MIN_VERSION` on.
``rename``
    Rename the competing library (``libggml-hip.so`` ->
    ``libggml-hip.so.inferops-disabled``) so that Ollama cannot load it; the
    fix seed 003 found on Arch's flat layout with 0.15.5, where
    ``OLLAMA_LLM_LIBRARY=vulkan`` changed nothing.  Undone by renaming back.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# 0.12.11 is the first release whose archives ship lib/ollama/vulkan and
# whose discovery honours OLLAMA_VULKAN (release notes; ollama/ollama#12673).
ENV_SWITCH_MIN_VERSION = (0, 12, 11)
BACKENDS = ("vulkan", "rocm", "cpu", "auto")
MECHANISMS = ("auto", "environment", "rename")
GPU_BACKENDS = ("rocm", "vulkan", "cuda")
LIBRARY_FILES = {"rocm": "libggml-hip.so", "vulkan": "libggml-vulkan.so", "cuda": "libggml-cuda.so"}
BACKEND_MARK = "inferops-backend:"
GFX_VERSION = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{1,2}$")

# What each backend needs disabled under the rename mechanism.  Vulkan only
# has to get rid of ROCm, the library Ollama prefers over it for an AMD card
# (CUDA finds no device there); ROCm is preferred anyway; CPU needs every GPU
# library out of the way.
RENAME_DISABLES = {
    "vulkan": ("rocm",),
    "rocm": (),
    "cpu": GPU_BACKENDS,
    "auto": (),
}


class PlanError(ValueError):
    """The backend asked for cannot be had on this installation."""


class BackendPlan:
    """Desired drop-in environment and library renames for one backend."""

    def __init__(self, backend, mechanism, environment, renames):
        self.backend = backend
        self.mechanism = mechanism
        self.environment = environment
        self.renames = renames  # [(from machine path, to machine path)]


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


def choose_mechanism(install, version, requested="auto"):
    """``environment`` or ``rename`` for this installation and version."""
    if requested != "auto":
        return requested
    if install.layout == "subfolders" and version is not None and version >= ENV_SWITCH_MIN_VERSION:
        return "environment"
    return "rename"


def _require_library(install, backend):
    if backend in ("rocm", "vulkan") and not install.libraries_of(backend):
        raise PlanError(
            "backend '%s' asked for, but %s has no %s (installed GPU backends: %s); install Ollama's "
            "%s libraries first" % (
                backend, install.lib_dir, LIBRARY_FILES[backend],
                ", ".join(install.backends()) or "none", backend))


def _environment(install, backend, mechanism, gfx_version):
    env = {}
    if backend == "vulkan":
        env["OLLAMA_VULKAN"] = "1"
    if mechanism == "environment" and backend != "auto":
        # A flat layout has no folder to name; the backend's own name is what
        # users set there (seed 003), and it selects nothing.
        folders = install.folders_of(backend) if backend != "cpu" else []
        env["OLLAMA_LLM_LIBRARY"] = folders[0] if folders else backend
    if gfx_version and backend in ("rocm", "auto"):
        env["HSA_OVERRIDE_GFX_VERSION"] = gfx_version
    return env


def _renames(install, backend, mechanism):
    disable = RENAME_DISABLES[backend] if mechanism == "rename" else ()
    renames = []
    for lib in install.libraries:
        if lib.backend in disable and not lib.disabled:
            renames.append((lib.enabled_path, lib.disabled_path))
        elif lib.backend not in disable and lib.disabled:
            renames.append((lib.disabled_path, lib.enabled_path))
    return renames


def plan_backend(install, backend, version, mechanism="auto", gfx_version=None):
    """The :class:`BackendPlan` that makes ``install`` use ``backend``."""
    if backend not in BACKENDS:
        raise PlanError("backend '%s' is not one of %s" % (backend, ", ".join(BACKENDS)))
    if mechanism not in MECHANISMS:
        raise PlanError("mechanism '%s' is not one of %s" % (mechanism, ", ".join(MECHANISMS)))
    _require_library(install, backend)
    chosen = choose_mechanism(install, version, mechanism)
    env = _environment(install, backend, chosen, validate_gfx_version(gfx_version))
    return BackendPlan(backend, chosen, env, _renames(install, backend, chosen))


def recorded_backend(dropin_text):
    """The backend named in the drop-in's ``# inferops-backend:`` line, or None."""
    match = re.search(r"^# %s\s*(\S+)\s*$" % re.escape(BACKEND_MARK), dropin_text or "", re.M)
    return match.group(1) if match else None


def configured_backend(install, environment, dropin_text=None):
    """The backend the current drop-in and library state ask for (``auto`` if nothing)."""
    recorded = recorded_backend(dropin_text)
    if recorded in BACKENDS:
        return recorded
    library = environment.get("OLLAMA_LLM_LIBRARY")
    if library:
        if library == "cpu":
            return "cpu"
        for prefix in GPU_BACKENDS:
            if library.startswith(prefix):
                return prefix
        return library
    disabled = set(lib.backend for lib in install.libraries if lib.disabled)
    enabled = set(lib.backend for lib in install.libraries if not lib.disabled)
    if disabled and not (enabled & {"rocm", "vulkan"}):
        return "cpu"
    if "rocm" in disabled and "vulkan" in enabled:
        return "vulkan"
    if environment.get("OLLAMA_VULKAN") in ("1", "true") and "rocm" not in enabled:
        return "vulkan"
    return "auto"
