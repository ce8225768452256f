# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which ggml backend and device a llama-server process loaded, from its log.

The lines come from llama.cpp itself (release b11434, the one tests build):

* ``load_backend: loaded CPU backend from /usr/lib/.../libggml-cpu-haswell.so``:
  ggml/src/ggml-backend-reg.cpp ``ggml_backend_load_best`` / ``load_backend``, logged for every
  backend library a GGML_BACKEND_DL build dlopens (``Vulkan``, ``ROCm``, ``CPU``...);
* ``llama_model_load_from_file_impl: using device Vulkan0 (AMD Radeon ... (RADV GFX1201)) (0000:03:00.0) - 30000 MiB free``:
  src/llama.cpp, one line per GPU device the model is placed on; a CPU-only run has none;
* ``load_tensors: offloaded 65/65 layers to GPU``: src/llama-model.cpp;
* ``main: server is listening on http://127.0.0.1:8080`` / ``srv ... listening on``: tools/server.

systemd's ``Started <unit>`` line in ``journalctl -o cat`` output separates process lifetimes;
only the lines after the last one describe the running server.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

LOADED_BACKEND = re.compile(r"load_backend: loaded (\S+) backend from (\S+)")
USING_DEVICE = re.compile(r"using device (\S+) \((.*)\) \(([^()]*)\) - (\d+) MiB free")
OFFLOADED = re.compile(r"offloaded (\d+)/(\d+) layers to GPU")
LISTENING = re.compile(r"listening on (?:http://)?(\S+)")
SERVICE_STARTED = re.compile(r"^(?:.*systemd\[\d+\]: )?Started \S+")

# Device names start with the backend's name (ggml_backend_dev_name: Vulkan0, ROCm0, CUDA0).
BACKEND_OF_DEVICE = (("Vulkan", "vulkan"), ("ROCm", "rocm"), ("CUDA", "cuda"))


def current_run(text):
    """The lines of the process systemd started last (all lines when there is no Started line)."""
    lines = (text or "").splitlines()
    for index in range(len(lines) - 1, -1, -1):
        if SERVICE_STARTED.match(lines[index]):
            return lines[index + 1:]
    return lines


def parse(lines):
    """{backends: [{name, library}], devices: [{name, description, id, free_mib}], offloaded, listening}."""
    found = {"backends": [], "devices": [], "offloaded": None, "listening": None}
    for line in lines:
        match = LOADED_BACKEND.search(line)
        if match:
            found["backends"].append({"name": match.group(1), "library": match.group(2)})
            continue
        match = USING_DEVICE.search(line)
        if match:
            found["devices"].append({"name": match.group(1), "description": match.group(2),
                                     "id": match.group(3), "free_mib": int(match.group(4))})
            continue
        match = OFFLOADED.search(line)
        if match:
            found["offloaded"] = {"layers": int(match.group(1)), "of": int(match.group(2))}
            continue
        match = LISTENING.search(line)
        if match and found["listening"] is None:
            found["listening"] = match.group(1)
    return found


def serving_backend(found):
    """vulkan / rocm / cuda for the first GPU device the model uses, cpu when it uses none."""
    for device in found["devices"]:
        for prefix, backend in BACKEND_OF_DEVICE:
            if device["name"].startswith(prefix):
                return backend
    return "cpu"


def serving_device(found):
    if found["devices"]:
        device = found["devices"][0]
        return "%s (%s)" % (device["name"], device["description"])
    return "CPU"


def check(found, backend):
    """(verified, reason): the server runs on ``backend`` and loaded that backend's library."""
    actual = serving_backend(found)
    loaded = [b["name"].lower() for b in found["backends"]]
    if found["listening"] is None:
        return False, "the server has not logged that it listens yet"
    if actual != backend:
        return False, "the model runs on %s (%s), not on %s; backends loaded: %s" % (
            actual, serving_device(found), backend, ", ".join(loaded) or "none")
    if backend == "cpu" and "cpu" not in loaded:
        return False, "no CPU backend library was loaded (log lacks 'load_backend: loaded CPU backend')"
    return True, "%s backend, device %s" % (actual, serving_device(found))
