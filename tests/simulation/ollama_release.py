"""Stand-ins for Ollama's Linux release archives, for offline installs of simulated hosts.

Builds ``ollama-linux-amd64.<ext>`` (``bin/ollama`` + ``lib/ollama`` with the CPU,
Vulkan (from 0.13.0) and CUDA libraries, ``llama-server`` from 0.30) and
``ollama-linux-amd64-rocm.<ext>`` (``lib/ollama/rocm``, from 0.30
``lib/ollama/rocm_v7_2``), named, compressed and laid out as ollama/ollama's
``.github/workflows/release.yaml`` of that release does (``.tgz`` by pigz up to
0.13.5, ``.tar.zst`` by zstd from 0.14.0; written here independently of the
collection's release table), with the
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
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_OLLAMA = os.path.join(HERE, "tools", "ollama")
BASE_LIBRARIES = ("libggml-base.so", "libggml-cpu-haswell.so", "libggml-cpu-x64.so",
                  "cuda_v12/libggml-cuda.so", "cuda_v13/libggml-cuda.so")
ROCM_LIBRARIES = ("libggml-hip.so", "libamdhip64.so.6", "librocblas.so.4",
                  "rocblas/library/TensileLibrary_lazy_gfx1151.dat",
                  "rocblas/library/TensileLibrary_lazy_gfx1200.dat",
                  "rocblas/library/TensileLibrary_lazy_gfx1201.dat")


def release_tuple(version):
    return tuple(int(part) for part in version.split("-")[0].split(".")[:3])


def _write(path, members, zstd):
    """A tar of ``members`` [(name, data, mode)], gzip- or zstd-compressed."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data, mode in members:
            _add(archive, name, data, mode)
    raw = buffer.getvalue()
    if zstd:
        data = subprocess.run(["zstd", "-q", "-c"], input=raw, capture_output=True, check=True).stdout
    else:
        import gzip
        data = gzip.compress(raw)
    with open(path, "wb") as handle:
        handle.write(data)


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
    release = release_tuple(version)
    ext = "tar.zst" if release >= (0, 14, 0) else "tgz"
    base_files = list(BASE_LIBRARIES)
    if release >= (0, 13, 0):
        base_files.append("vulkan/libggml-vulkan.so")
    if release >= (0, 30, 0):
        base_files.append("llama-server")
    rocm_folder = "rocm_v7_2" if release >= (0, 30, 0) else "rocm"
    base = os.path.join(dest, "ollama-linux-amd64.%s" % ext)
    _write(base, [("bin/ollama", binary, 0o755)] + [("lib/ollama/" + name, b"placeholder\n", 0o644)
                                                    for name in base_files], ext == "tar.zst")
    rocm = os.path.join(dest, "ollama-linux-amd64-rocm.%s" % ext)
    _write(rocm, [("lib/ollama/%s/%s" % (rocm_folder, name), b"placeholder\n", 0o644) for name in ROCM_LIBRARIES],
           ext == "tar.zst")
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
