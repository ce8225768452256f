# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where and how Ollama is installed on a machine: binary, libraries, version.

Ollama finds its backend libraries relative to its executable
(``<bin>/../lib/ollama``, ``ml.LibOllamaPath`` in ollama/ollama).  Two
layouts exist in the field:

``subfolders``
    The official release archive (``install.sh``, ``ollama-linux-amd64.tgz``
    plus the ``-rocm`` archive): ``/usr/local/bin/ollama`` and
    ``/usr/local/lib/ollama/`` with ``libggml-base.so`` and the CPU variants
    at the top and one folder per GPU backend (``rocm/``, ``vulkan/``,
    ``cuda_v12/``, ``cuda_v13/``, newer ``rocm_v7_*``).  Ollama's discovery
    (``discover/runner.go``) globs ``lib/ollama/*/*ggml-*`` and runs one probe
    per folder, so ``OLLAMA_LLM_LIBRARY`` can pick a folder by name.
``flat``
    Distribution packages such as Arch's ``ollama`` + ``ollama-rocm`` +
    ``ollama-vulkan`` (seed 003_2beb429f78c8fd9f.txt): ``/usr/bin/ollama`` and
    every ``libggml-*.so`` side by side in ``/usr/lib/ollama/``.  With no
    backend folder, discovery loads all libraries in one probe and
    ``OLLAMA_LLM_LIBRARY`` has nothing to select.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

DISABLED_SUFFIX = ".inferops-disabled"

# (binary, library folder) pairs, official layout first.
KNOWN_INSTALLS = (
    ("/usr/local/bin/ollama", "/usr/local/lib/ollama"),
    ("/usr/bin/ollama", "/usr/lib/ollama"),
)

# ggml backend library name -> backend as this collection names it.
LIBRARY_BACKENDS = {"hip": "rocm", "vulkan": "vulkan", "cuda": "cuda"}
# Backend folder name prefix (official layout) -> backend.
FOLDER_BACKENDS = (("rocm", "rocm"), ("vulkan", "vulkan"), ("cuda", "cuda"))
GPU_LIBRARY = re.compile(r"^libggml-(hip|vulkan|cuda)\.so$")
ANY_GGML = re.compile(r"^libggml-[a-z0-9_.-]+\.so")

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


class BackendLibrary:
    """One backend library file, enabled or disabled by rename."""

    def __init__(self, backend, folder, name, disabled):
        self.backend = backend
        self.folder = folder
        self.name = name
        self.disabled = disabled

    @property
    def enabled_path(self):
        return os.path.join(self.folder, self.name)

    @property
    def disabled_path(self):
        return self.enabled_path + DISABLED_SUFFIX

    @property
    def path(self):
        return self.disabled_path if self.disabled else self.enabled_path

    @property
    def folder_name(self):
        return os.path.basename(self.folder)

    def as_dict(self):
        return {"backend": self.backend, "path": self.path, "enabled": not self.disabled}


class OllamaInstall:
    """An Ollama installation: binary, library folder, layout, backend libraries."""

    def __init__(self, binary, lib_dir, layout, libraries):
        self.binary = binary
        self.lib_dir = lib_dir
        self.layout = layout
        self.libraries = libraries

    def backends(self):
        return sorted(set(lib.backend for lib in self.libraries))

    def libraries_of(self, backend):
        return [lib for lib in self.libraries if lib.backend == backend]

    def folders_of(self, backend):
        """Backend folder names (official layout), newest first as Ollama prefers them."""
        names = set(lib.folder_name for lib in self.libraries_of(backend) if lib.folder != self.lib_dir)
        return sorted(names, reverse=True)

    def as_dict(self):
        return {
            "binary": self.binary,
            "lib_dir": self.lib_dir,
            "layout": self.layout,
            "libraries": [lib.as_dict() for lib in self.libraries],
        }


def folder_backend(name):
    for prefix, backend in FOLDER_BACKENDS:
        if name.startswith(prefix):
            return backend
    return None


def _library_in(name):
    """(ggml backend name, disabled) for a GPU backend library file name, or None."""
    disabled = name.endswith(DISABLED_SUFFIX)
    base = name[:-len(DISABLED_SUFFIX)] if disabled else name
    match = GPU_LIBRARY.match(base)
    if not match:
        return None
    return match.group(1), disabled, base


def scan_libraries(root, lib_dir):
    """(layout, [BackendLibrary]) of a library folder; raises UnknownLayout."""
    entries = root.list_dir(lib_dir)
    if not root.is_dir(lib_dir):
        raise UnknownLayout("Ollama library folder %s does not exist" % lib_dir)
    libraries = []
    subfolders = False
    for entry in entries:
        machine = os.path.join(lib_dir, entry)
        if root.is_dir(machine):
            backend = folder_backend(entry)
            files = root.list_dir(machine)
            if not any(ANY_GGML.match(name) for name in files):
                continue
            subfolders = True
            for name in files:
                found = _library_in(name)
                if found and backend:
                    libraries.append(BackendLibrary(backend, machine, found[2], found[1]))
            continue
        found = _library_in(entry)
        if found:
            libraries.append(BackendLibrary(LIBRARY_BACKENDS[found[0]], lib_dir, found[2], found[1]))
    top_ggml = any(ANY_GGML.match(name) for name in entries)
    if subfolders:
        return "subfolders", libraries
    if top_ggml:
        return "flat", libraries
    raise UnknownLayout(
        "no ggml backend libraries (libggml-*.so, or backend folders such as rocm/ and vulkan/) "
        "in %s; this Ollama installation has a layout the collection does not know" % lib_dir)


def find_install(root, binary=None, lib_dir=None):
    """Locate Ollama below ``root`` (a SysRoot); ``binary``/``lib_dir`` override the search."""
    if binary:
        if not root.exists(binary):
            raise OllamaNotInstalled("the ollama executable %s does not exist" % binary)
        lib_dir = lib_dir or os.path.join(os.path.dirname(os.path.dirname(binary)), "lib", "ollama")
    else:
        for candidate, candidate_lib in KNOWN_INSTALLS:
            if root.exists(candidate):
                binary = candidate
                lib_dir = lib_dir or candidate_lib
                break
        else:
            raise OllamaNotInstalled(
                "Ollama is not installed: no ollama executable at %s"
                % " or ".join(path for path, _lib in KNOWN_INSTALLS))
    layout, libraries = scan_libraries(root, lib_dir)
    return OllamaInstall(binary, lib_dir, layout, libraries)


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
