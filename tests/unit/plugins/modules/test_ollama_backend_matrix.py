"""Every release x layout x host x backend: ollama_backend, then the simulated ollama's start-up log.

For each case the module runs in-process against a scratch host carrying one recorded Ollama
layout; the simulated ollama (written from Ollama's source, not from the collection's table)
then prints the start-up log it would print under the drop-in's environment, and the test reads
that log itself. A case passes when the devices that matter run on the backend asked for (for
cpu: no GPU at all), a second run changes nothing and backend=auto restores the tree byte for
byte; or when the module refuses before writing anything, for the cases Ollama's source says
cannot work (listed in REFUSED, so a planner that refuses everything fails).
"""

import contextlib
import hashlib
import io
import os
import re
import shlex
import sys

import pytest

from tests.simulation.ollama_layouts import install_layout
from tests.simulation.scratch_host import TOOLS, make_scratch_host
from tests.unit.module_runner import run_module

STAND_IN = os.path.join(TOOLS, "ollama")
with open(STAND_IN) as _handle:
    STAND_IN_CODE = compile(_handle.read(), STAND_IN, "exec")

# (layout, version): the layout's shape is what that release's archives / packages ship.
RELEASES = (
    ("official_0_12_3", "0.12.3"),
    ("official_0_15_5", "0.15.5"),
    ("official_0_15_5", "0.24.0"),
    ("official_0_32_15", "0.30.0"),
    ("official_0_32_15", "0.30.1"),
    ("official_0_32_15", "0.32.15"),
    ("arch_flat_0_15_5", "0.12.3"),
    ("arch_flat_0_15_5", "0.15.5"),
    ("arch_split_0_32_15", "0.30.0"),
    ("arch_split_0_32_15", "0.32.15"),
)
# host -> PCI addresses of the GPUs that must run the backend (the Granite Ridge iGPU next to the
# RX 9070 XT does not matter; the Strix Halo iGPU is the host's GPU).
HOSTS = {
    "rx9070xt_chipset": ("0000:08:00.0",),
    "strix_halo_arch_ollama": ("0000:c5:00.0",),
    "igpu_dgpu_desktop": ("0000:06:00.0",),
}
GFX = {"0000:06:00.0": "gfx1201", "0000:08:00.0": "gfx1201", "0000:c5:00.0": "gfx1151"}
BACKENDS = ("vulkan", "rocm", "cpu")
LIBRARY = {"vulkan": "vulkan", "rocm": "rocm"}
VOLATILE = ("var/log/inferops-sim", "var/lib/inferops-sim", "run")


def refused(host, version, backend):
    """Why the case cannot work (from Ollama's source), or None."""
    release = tuple(int(p) for p in version.split("."))
    if backend == "vulkan" and release < (0, 12, 4):
        return "no Vulkan"       # discover/gpu.go era: no ggml-vulkan before 0.12.6
    if backend == "rocm" and release < (0, 12, 4) and host == "strix_halo_arch_ollama":
        return "1 GiB"           # amd_linux.go IGPUMemLimit: 512 MB UMA iGPU skipped
    return None


def snapshot(root):
    """{path: (mode, sha256 or link target)} of the tree, simulation logs left out."""
    state = {}
    for folder, dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        if any(rel == v or rel.startswith(v + "/") for v in VOLATILE):
            continue
        state[rel] = ("dir", os.stat(folder).st_mode)
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                state[os.path.join(rel, name)] = ("link", os.readlink(path))
            else:
                with open(path, "rb") as handle:
                    state[os.path.join(rel, name)] = (os.stat(path).st_mode, hashlib.sha256(handle.read()).hexdigest())
    return state


def dropin_environment(root):
    path = os.path.join(root, "etc/systemd/system/ollama.service.d/inferops-backend.conf")
    env = {}
    if not os.path.exists(path):
        return env
    with open(path) as handle:
        for line in handle:
            if line.startswith("Environment="):
                for word in shlex.split(line[len("Environment="):]):
                    key, value = word.split("=", 1)
                    env[key] = value
    return env


def startup_log(root, layout, env):
    """What the simulated ollama logs when started with ``env`` (run in-process: one case, one log)."""
    saved_env, saved_argv = dict(os.environ), list(sys.argv)
    for key in list(os.environ):
        if key.startswith(("OLLAMA_", "HSA_", "ROCR_", "GGML_")):
            del os.environ[key]
    os.environ.update(env, INFEROPS_SYSROOT=root)
    sys.argv = [os.path.join(root, layout["binary"].lstrip("/")), "inferops-sim-discover"]
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            try:
                # as the scratch host's launcher does: argv[0] stays the installed binary
                exec(STAND_IN_CODE, {"__name__": "__main__", "__file__": STAND_IN})
            except SystemExit as exit_:
                assert not exit_.code, err.getvalue()
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv = saved_argv
    return err.getvalue()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """Scratch hosts with a layout installed, one per (host, layout, version), shared by the backends.

    Sharing is sound because every case ends by asserting the tree is restored byte for byte.
    """
    roots = {}

    def get(host, layout_name, version):
        key = (host, layout_name, version)
        if key not in roots:
            root = str(tmp_path_factory.mktemp("matrix") / host)
            make_scratch_host(host, root)
            roots[key] = (root, install_layout(root, layout_name, version))
        return roots[key]
    return get


def devices(log):
    """Fields of each 'inference compute' line."""
    found = []
    for line in log.splitlines():
        if 'msg="inference compute"' in line:
            found.append(dict(re.findall(r'(\w+)=("[^"]*"|\S*)', line)))
    return [dict((k, v.strip('"')) for k, v in dev.items()) for dev in found]


def runs_on(log, pci, backend):
    for dev in devices(log):
        same = dev.get("pci_id") == pci or ("pci_id" not in dev and dev.get("compute") == GFX[pci])
        if same and dev.get("library", "").lower() == LIBRARY[backend]:
            return True
    return False


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("host", sorted(HOSTS))
@pytest.mark.parametrize("layout_name,version", RELEASES, ids=["%s@%s" % r for r in RELEASES])
def test_release_layout_host_backend(prepared, host, layout_name, version, backend):
    root, layout = prepared(host, layout_name, version)
    before = snapshot(root)
    # The first backend of each tree asks the simulated binary for its version, the others are told.
    args = dict(sysroot=root, backend=backend, version=None if backend == BACKENDS[0] else version)
    why = refused(host, version, backend)
    if why:
        failure = run_module("ollama_backend", args, expect_failure=True)
        assert why in failure["msg"]
        assert snapshot(root) == before, "a refused run must not change anything"
        return
    result = run_module("ollama_backend", args)
    assert result["changed"] and result["backend"] == backend
    log = startup_log(root, layout, dropin_environment(root))
    if backend == "cpu":
        assert [dev["library"] for dev in devices(log)] == ["cpu"], log
    else:
        for pci in HOSTS[host]:
            assert runs_on(log, pci, backend), "%s not on %s:\n%s" % (pci, backend, log)
    again = run_module("ollama_backend", args)
    assert again["changed"] is False and again["previous_backend"] == backend
    restored = run_module("ollama_backend", dict(sysroot=root, backend="auto", version=version))
    assert restored["changed"] is True
    assert snapshot(root) == before, "backend=auto must restore the tree exactly"


@pytest.mark.parametrize("host", sorted(HOSTS))
@pytest.mark.parametrize("layout_name,version", [r for r in RELEASES if r[1] >= "0.12.4"][::3])
@pytest.mark.parametrize("backend", ("vulkan", "cpu"))
def test_files_mechanism_moves_whole_backends_and_restores_exactly(prepared, host, layout_name, version, backend):
    root, layout = prepared(host, layout_name, version)
    before = snapshot(root)
    args = dict(sysroot=root, backend=backend, mechanism="files", version=version)
    result = run_module("ollama_backend", args)
    assert result["mechanism"] == "files" and result["moved"]
    lib_dir = os.path.dirname(os.path.dirname(layout["binary"])) + "/lib/ollama.inferops-disabled"
    assert os.path.exists(os.path.join(root, lib_dir.lstrip("/"), "inferops-moves.json"))
    log = startup_log(root, layout, dropin_environment(root))
    if backend == "cpu":
        assert [dev["library"] for dev in devices(log)] == ["cpu"], log
    else:
        for pci in HOSTS[host]:
            assert runs_on(log, pci, backend), log
    assert run_module("ollama_backend", args)["changed"] is False
    run_module("ollama_backend", dict(sysroot=root, backend="auto", version=version))
    assert snapshot(root) == before


# Strix Halo's BIOS UMA frame buffer: 512 MiB as recorded, or a 64 GiB carve-out (GTT then sized from what
# is left). From 0.30.0 ROCm classes the GPU from sysfs (the simulated ollama follows discover/amd.go
# readROCmDRMDevice): integrated with the small buffer; with the carve-out the rule does not decide and the
# GPU library's own type (an APU: integrated) stands. Either way the plan must get the GPU onto the backend.
UMA = {"512m": (512 << 20, 63 << 30), "64g": (64 << 30, 32 << 30)}


@pytest.mark.parametrize("backend", ("rocm", "vulkan"))
@pytest.mark.parametrize("uma", sorted(UMA))
@pytest.mark.parametrize("layout_name,version", [r for r in RELEASES if r[1] >= "0.30.0"],
                         ids=["%s@%s" % r for r in RELEASES if r[1] >= "0.30.0"])
def test_strix_halo_runs_the_backend_whatever_its_uma_frame_buffer(tmp_path, layout_name, version, uma, backend):
    root = str(tmp_path / "strix")
    make_scratch_host("strix_halo_arch_ollama", root)
    vram, gtt = UMA[uma]
    device = os.path.join(root, "sys/bus/pci/devices/0000:c5:00.0")
    for name, value in (("mem_info_vram_total", vram), ("mem_info_gtt_total", gtt)):
        with open(os.path.join(device, name), "w") as handle:
            handle.write("%d\n" % value)
    layout = install_layout(root, layout_name, version)
    result = run_module("ollama_backend", dict(sysroot=root, backend=backend, version=version))
    assert result["changed"] and result["backend"] == backend
    log = startup_log(root, layout, dropin_environment(root))
    assert runs_on(log, "0000:c5:00.0", backend), log
    on_it = [dev for dev in devices(log) if dev.get("pci_id") == "0000:c5:00.0"]
    assert on_it and on_it[0]["type"] == "iGPU", log
