"""Stand-ins for Ollama's Linux release archives, for offline installs of simulated hosts.

Builds ``ollama-linux-amd64.tgz`` (``bin/ollama`` + ``lib/ollama`` with the CPU,
Vulkan and CUDA libraries) and ``ollama-linux-amd64-rocm.tgz``
(``lib/ollama/rocm``), laid out like the official archives, with the
simulated ollama (tests/simulation/tools/ollama, its version baked in) as the
binary and placeholder bytes as libraries.  Feed them to the ollama role
with ``ollama_archive_src`` / ``ollama_rocm_archive_src`` and the printed
checksums.

Usage: ollama_release.py DEST_DIR VERSION   (prints a JSON dict of role variables)
"""

import hashlib
import io
import json
import os
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_OLLAMA = os.path.join(HERE, "tools", "ollama")
BASE_LIBRARIES = ("libggml-base.so", "libggml-cpu-haswell.so", "libggml-cpu-x64.so",
                  "vulkan/libggml-vulkan.so", "cuda_v12/libggml-cuda.so", "cuda_v13/libggml-cuda.so")
ROCM_LIBRARIES = ("libggml-hip.so", "libamdhip64.so.6", "librocblas.so.4",
                  "rocblas/library/TensileLibrary_lazy_gfx1201.dat")


def sha256(path):
    with open(path, "rb") as handle:
        return "sha256:" + hashlib.sha256(handle.read()).hexdigest()


def _add(archive, name, data, mode):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    archive.addfile(info, io.BytesIO(data))


def build(dest, version):
    """Write both archives into ``dest``; return the role variables that install them."""
    os.makedirs(dest, exist_ok=True)
    with open(FAKE_OLLAMA, "rb") as handle:
        binary = handle.read().replace(b"BAKED_VERSION = None", ("BAKED_VERSION = %r" % version).encode())
    base = os.path.join(dest, "ollama-linux-amd64.tgz")
    with tarfile.open(base, "w:gz") as archive:
        _add(archive, "bin/ollama", binary, 0o755)
        for name in BASE_LIBRARIES:
            _add(archive, "lib/ollama/" + name, b"placeholder\n", 0o644)
    rocm = os.path.join(dest, "ollama-linux-amd64-rocm.tgz")
    with tarfile.open(rocm, "w:gz") as archive:
        for name in ROCM_LIBRARIES:
            _add(archive, "lib/ollama/rocm/" + name, b"placeholder\n", 0o644)
    return {"ollama_version": version,
            "ollama_archive_src": base, "ollama_archive_checksum": sha256(base),
            "ollama_rocm_archive_src": rocm, "ollama_rocm_archive_checksum": sha256(rocm)}


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    print(json.dumps(build(os.path.abspath(argv[0]), argv[1]), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
