"""The cached real llama-server and the tiny model, for integration tests.

`make llama-server` builds the server (tests/llama/llama_server_build.py); a test run never
downloads or builds.  Without a build the tests that need it are skipped, unless
INFEROPS_REQUIRE_LLAMA_SERVER=1 (set by `make integration`), where a missing build fails.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.llama import llama_server_build, tiny_model


def built_server():
    """(bin dir, llama.cpp source dir) of the cached build, or skip/fail when there is none."""
    sdist = llama_server_build.sdist_path()
    directory = llama_server_build.key_dir(sdist) if os.path.exists(sdist) else None
    if directory is None or not llama_server_build.is_built(directory):
        message = "no cached llama-server build: run `make llama-server`"
        if os.environ.get("INFEROPS_REQUIRE_LLAMA_SERVER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return os.path.join(directory, "bin"), os.path.join(directory, "src")


def make_model(source_dir, path):
    tiny_model.write(os.path.join(source_dir, "gguf-py"), str(path))
    return str(path)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url, proc=None, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError("llama-server exited with %s" % proc.returncode)
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError("llama-server at %s not healthy after %ds" % (url, timeout))


# The role's settings (roles/llama_cpp/defaults), on the CPU: flash attention, q4_0 KV cache,
# llama.cpp's own load mode (the role's default off Strix Halo); the tiny model's context is 512.
# --log-verbosity 4: the default (3) hides ggml's "load_backend: loaded CPU backend from" line.
SERVER_ARGS = ["--log-verbosity", "4", "--ctx-size", "512", "--n-gpu-layers", "0", "--device", "none", "--flash-attn", "on",
               "--cache-type-k", "q4_0", "--cache-type-v", "q4_0", "--load-mode", "auto", "--threads", "2"]


def start_server(bin_dir, model, alias, log_path):
    port = free_port()
    log = open(log_path, "w")
    proc = subprocess.Popen([os.path.join(bin_dir, "llama-server"), "--model", model, "--alias", alias,
                             "--host", "127.0.0.1", "--port", str(port)] + SERVER_ARGS,
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % port
    try:
        wait_healthy(url, proc)
    except AssertionError:
        proc.terminate()
        log.close()
        sys.stderr.write(open(log_path).read()[-3000:])
        raise
    return proc, url
