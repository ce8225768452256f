# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where and how Ollama is installed on a machine: binary, backends, version.

Ollama finds its backend libraries relative to its executable
(``<bin>/../lib/ollama``, ``ml.LibOllamaPath`` in ollama/ollama ``ml/path.go``).
The layout shapes it meets (see ollama_release_table):

``subfolders``
    one folder per GPU backend: the official archive (``/usr/local/lib/ollama/``
    ``rocm/`` or, from 0.30, ``rocm_v7_2/``, ``vulkan/``, ``cuda_v12/``,
    ``cuda_v13/``) and Arch's current split packages (``/usr/lib/ollama/``
    ``rocm_v7_2/``, ``vulkan/``).
``flat``
    every ``libggml-*.so`` side by side in ``/usr/lib/ollama/`` (Arch's older
    ``ollama-rocm`` + ``ollama-vulkan``, the RX 9070 XT Ollama article).

A *backend unit* is what ``mechanism=files`` moves: the backend's folder in a
``subfolders`` layout, its ``libggml-*.so`` file in a ``flat`` one.  Moved
units live in ``<lib_dir>.inferops-disabled/`` (same filesystem, outside
Ollama's search path; ollama_backend_state records them).  Files renamed to
``<name>.inferops-disabled`` inside the library folder by earlier versions
of the module are still recognised, so that ``backend: auto`` restores them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

LEGACY_DISABLED_SUFFIX = ".inferops-disabled"
STASH_SUFFIX = ".inferops-disabled"

# (binary, library folder, install kind) official layout first.
KNOWN_INSTALLS = (
    ("/usr/local/bin/ollama", "/usr/local/lib/ollama", "official"),
    ("/usr/bin/ollama", "/usr/lib/ollama", "distribution"),
)

LIBRARY_BACKENDS = {"hip": "rocm", "vulkan": "vulkan", "cuda": "cuda"}
FOLDER_BACKENDS = (("rocm", "rocm"), ("vulkan", "vulkan"), ("cuda", "cuda"))
GPU_LIBRARY = re.compile(r"^libggml-(hip|vulkan|cuda)\.so$")
ANY_GGML = re.compile(r"^libggml-[a-z0-9_.-]+\.so")
TENSILE = re.compile(r"^TensileLibrary_lazy_(gfx[0-9a-f]+)\.dat$")
# Where a distribution's system rocBLAS keeps its kernels (Arch: /opt/rocm).
SYSTEM_ROCBLAS = ("/opt/rocm/lib/rocblas/library", "/usr/lib/rocblas/library")

VERSION_PATTERNS = (
    # 'Warning: client version is X' is the installed binary's own version;
    # 'ollama version is X' is the running server's (may be an older process).
    re.compile(r"client version is\s+v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)"),
    re.compile(r"ollama version is\s+v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)"),
)


class OllamaNotInstalled(Exception):
    """No ollama executable where Ollama installs it."""


class UnknownLayout(Exception):
    """An ollama executable whose library folder this collection cannot read."""


class BackendUnit:
    """One GPU backend's folder (subfolders layout) or library file (flat layout)."""

    def __init__(self, backend, home, current, library):
        self.backend = backend
        self.home = home          # machine path where Ollama looks for it
        self.current = current    # machine path where it is now
        self.library = library    # machine path of its libggml-*.so when in place

    @property
    def enabled(self):
        return self.current == self.home

    @property
    def name(self):
        return os.path.basename(self.home)

    def as_dict(self):
        return {"backend": self.backend, "path": self.home, "enabled": self.enabled,
                "moved_to": None if self.enabled else self.current}


class OllamaInstall:
    """An Ollama installation: binary, library folder, layout, backend units."""

    def __init__(self, binary, lib_dir, kind, layout, units, rocblas_targets):
        self.binary = binary
        self.lib_dir = lib_dir
        self.kind = kind
        self.layout = layout
        self.units = units
        self.rocblas_targets = rocblas_targets

    @property
    def stash_dir(self):
        return self.lib_dir.rstrip("/") + STASH_SUFFIX

    def backends(self):
        return sorted(set(unit.backend for unit in self.units))

    def units_of(self, backend):
        return [unit for unit in self.units if unit.backend == backend]

    def has(self, backend):
        return bool(self.units_of(backend))

    def as_dict(self):
        return {"binary": self.binary, "lib_dir": self.lib_dir, "kind": self.kind, "layout": self.layout,
                "libraries": [unit.as_dict() for unit in self.units],
                "rocm_targets": sorted(self.rocblas_targets)}


def folder_backend(name):
    for prefix, backend in FOLDER_BACKENDS:
        if name.startswith(prefix):
            return backend
    return None


def _gpu_library(name):
    """(backend, legacy-renamed) for a libggml-{hip,vulkan,cuda}.so name, or None."""
    legacy = name.endswith(LEGACY_DISABLED_SUFFIX)
    base = name[:-len(LEGACY_DISABLED_SUFFIX)] if legacy else name
    match = GPU_LIBRARY.match(base)
    return (LIBRARY_BACKENDS[match.group(1)], legacy, base) if match else None


def _folder_unit(root, lib_dir, folder, where):
    """The BackendUnit of a backend folder found at ``where``, or None."""
    backend = folder_backend(folder)
    files = root.list_dir(where)
    if backend is None or not any(ANY_GGML.match(name) for name in files):
        return None
    library = [name for name in files if _gpu_library(name)]
    home = os.path.join(lib_dir, folder)
    return BackendUnit(backend, home, where, os.path.join(home, library[0]) if library else None)


def _scan(root, lib_dir, stash):
    units, subfolders, flat = [], False, False
    for where_dir in (lib_dir, stash):
        for entry in root.list_dir(where_dir):
            path = os.path.join(where_dir, entry)
            if root.is_dir(path):
                unit = _folder_unit(root, lib_dir, entry, path)
                if unit:
                    subfolders = True
                    units.append(unit)
                continue
            found = _gpu_library(entry)
            if found and found[1]:
                # renamed in place by an older version of the module: legacy_renamed() restores it
                flat = True
            elif found:
                flat = True
                home = os.path.join(lib_dir, found[2])
                units.append(BackendUnit(found[0], home, path, home))
    return units, subfolders, flat


def scan_libraries(root, lib_dir, stash=None):
    """(layout, [BackendUnit]) of a library folder; raises UnknownLayout."""
    if not root.is_dir(lib_dir):
        raise UnknownLayout("Ollama library folder %s does not exist" % lib_dir)
    units, subfolders, flat = _scan(root, lib_dir, stash or lib_dir.rstrip("/") + STASH_SUFFIX)
    if subfolders and flat:
        raise UnknownLayout(
            "%s holds GPU backend folders and GPU libraries side by side (%s); this mix is no layout Ollama "
            "ships, so which one it loads is unknown; remove the stray files" % (
                lib_dir, ", ".join(sorted(unit.home for unit in units))))
    if subfolders:
        return "subfolders", units
    if flat or any(ANY_GGML.match(name) for name in root.list_dir(lib_dir)):
        return "flat", units
    raise UnknownLayout(
        "no ggml backend libraries (libggml-*.so, or backend folders such as rocm/ and vulkan/) "
        "in %s; this Ollama installation has a layout the collection does not know" % lib_dir)


def rocblas_targets(root, install_units):
    """gfx targets the installed rocBLAS has kernels for (TensileLibrary_lazy_gfx*.dat)."""
    folders = [os.path.join(unit.current, "rocblas", "library") for unit in install_units
               if unit.backend == "rocm" and root.is_dir(unit.current)]
    targets = set()
    for folder in folders + list(SYSTEM_ROCBLAS):
        for name in root.list_dir(folder):
            match = TENSILE.match(name)
            if match:
                targets.add(match.group(1))
    return targets


def find_install(root, binary=None, lib_dir=None):
    """Locate Ollama below ``root`` (a SysRoot); ``binary``/``lib_dir`` override the search."""
    kind = "custom"
    if binary:
        if not root.exists(binary):
            raise OllamaNotInstalled("the ollama executable %s does not exist" % binary)
        lib_dir = lib_dir or os.path.join(os.path.dirname(os.path.dirname(binary)), "lib", "ollama")
    else:
        for candidate, candidate_lib, candidate_kind in KNOWN_INSTALLS:
            if root.exists(candidate):
                binary, kind = candidate, candidate_kind
                lib_dir = lib_dir or candidate_lib
                break
        else:
            raise OllamaNotInstalled(
                "Ollama is not installed: no ollama executable at %s"
                % " or ".join(item[0] for item in KNOWN_INSTALLS))
    layout, units = scan_libraries(root, lib_dir)
    return OllamaInstall(binary, lib_dir, kind, layout, units, rocblas_targets(root, units))


def legacy_renamed(root, install):
    """(renamed path, original path) of files earlier versions renamed in place."""
    found = []
    folders = [install.lib_dir] + [unit.current for unit in install.units if root.is_dir(unit.current)]
    for folder in folders:
        for name in root.list_dir(folder):
            hit = _gpu_library(name)
            if hit and hit[1]:
                found.append((os.path.join(folder, name), os.path.join(folder, hit[2])))
    return found


def parse_version(text):
    """The installed Ollama version from ``ollama --version`` output, or None."""
    for pattern in VERSION_PATTERNS:
        match = pattern.search(text or "")
        if match:
            return match.group(1)
    return None


def version_tuple(version):
    """``'0.15.5'`` -> ``(0, 15, 5)``; pre-release suffixes are ignored."""
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", version or "")
    if not match:
        raise ValueError("'%s' is not an Ollama version (expected X.Y.Z)" % version)
    return tuple(int(part) for part in match.groups())
