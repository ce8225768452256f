"""The llama_cpp role on a real Debian unstable system, with Debian's own packages.

The host (tests/debian_unstable/host.py) is Debian unstable with systemd as PID 1 in a podman
container, no GPU. Its image already has ggml's HIP backend (libggml0-backend-hip, as a host set up
for ROCm would); the role installs its own package list for Vulkan (llama.cpp, llama.cpp-services,
libggml0-backend-vulkan, mesa-vulkan-drivers) from the mirror. Mesa's lavapipe is a real Vulkan
device on the CPU, which ggml-vulkan lists only when GGML_VK_VISIBLE_DEVICES names it.

What it proves, with real components only: ggml loads the HIP backend first, yet the role's
--device (from the installed llama-server's own --list-devices) makes it serve on Vulkan0; the
service is Debian's packaged unit running as its packaged user, with the role's drop-in and no
second unit; the role's check proves the backend from the journal; inference_benchmark measures
it over HTTP; check mode on the bare host installs nothing; a second run changes nothing.

Skipped where the host cannot run (not root, no podman/runc/debootstrap, no cgroup v2), unless
INFEROPS_REQUIRE_UNSTABLE=1 (`make unstable`), where that fails.
"""

import json
import os
import subprocess
import time

import pytest

from tests.debian_unstable import host
from tests.debian_unstable.conftest import require_host
from tests.integration.conftest import run_playbook
from tests.llama.fixtures import built_server, free_port, make_model

HERE = os.path.dirname(os.path.abspath(__file__))
CONTAINER = "inferops-unstable-llama"
MODEL = "/srv/models/tiny.gguf"
HIP = "libggml0-backend-hip"
PACKAGES = ["llama.cpp", "llama.cpp-services", "libggml0-backend-vulkan", "mesa-vulkan-drivers"]


def say(message):
    print("unstable: " + message, flush=True)


@pytest.fixture(scope="module")
def unstable(tmp_path_factory):
    require_host()
    _bin_dir, source = built_server()
    work = tmp_path_factory.mktemp("unstable")
    model = make_model(source, work / "tiny.gguf")
    host.start(CONTAINER)
    try:
        yield {"work": work, "model": model, "port": free_port()}
    finally:
        journal = inside("journalctl", "--no-pager", "-u", "llama-server.service", check=False).stdout
        (work / "llama-server.journal").write_text(journal)
        host.stop(CONTAINER)


def inside(*argv, check=True):
    proc = subprocess.run(["podman", "exec", CONTAINER] + list(argv), capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("%s in the container failed (exit %d): %s" % (" ".join(argv), proc.returncode, proc.stderr))
    return proc


def play(unstable, name, check=False):
    """The test play: the model, the role, its report and (not in check mode) the benchmark."""
    work = unstable["work"]
    report = work / ("%s.report.json" % name)
    variables = {
        "llama_cpp_install_method": "package",
        "llama_cpp_backend": "vulkan",
        "llama_cpp_model_path": MODEL,
        "llama_cpp_port": unstable["port"],
        "llama_cpp_ctx_size": 512,
        # lavapipe is a CPU-type Vulkan device: ggml-vulkan lists it only when named
        "llama_cpp_environment": {"GGML_VK_VISIBLE_DEVICES": "0"},
        "llama_cpp_verify_timeout": 300,
    }
    tasks = [
        # the model in place also in check mode (the image has HIP's backend already)
        {"name": "The model's folder", "ansible.builtin.file": {"path": os.path.dirname(MODEL), "state": "directory",
                                                                "mode": "0755"}, "check_mode": False},
        {"name": "The model", "ansible.builtin.copy": {"src": unstable["model"], "dest": MODEL, "mode": "0644"},
         "check_mode": False},
        {"name": "llama.cpp from Debian's packages", "ansible.builtin.include_role": {"name": "inferops.amd.llama_cpp"}},
        {"name": "Keep the report", "ansible.builtin.copy": {
            "dest": str(report), "content": "{{ llama_cpp_report | to_json }}", "mode": "0644"},
         "delegate_to": "localhost", "changed_when": False},
    ]
    if not check:
        tasks.append({"name": "Benchmark it", "inferops.amd.inference_benchmark": {
            "api": "llama_cpp", "url": "{{ llama_cpp_report.url }}", "model": "{{ llama_cpp_report.model }}",
            "max_tokens": 16, "runs": 2}, "register": "bench", "changed_when": False})
        tasks.append({"name": "Keep the benchmark", "ansible.builtin.copy": {
            "dest": str(work / ("%s.bench.json" % name)), "content": "{{ bench | to_json }}", "mode": "0644"},
            "delegate_to": "localhost", "changed_when": False})
    playbook = [{"name": "llama_cpp on Debian unstable", "hosts": "all", "gather_facts": False, "vars": variables,
                 "tasks": tasks}]
    (work / "play.yml").write_text(json.dumps(playbook, indent=1))
    inventory = {"all": {"hosts": {CONTAINER: {"ansible_connection": "inferops_podman",
                                               "ansible_python_interpreter": "/usr/bin/python3"}}}}
    (work / "inventory.yml").write_text(json.dumps(inventory))
    # A real system, not a simulated tree: the tests' simulation switch (tests/conftest.py) is off here.
    env = {"ANSIBLE_CONNECTION_PLUGINS": os.path.join(HERE, "connection_plugins"), "INFEROPS_SIMULATION": "0"}
    started = time.monotonic()
    run = run_playbook(str(work / "play.yml"), inventory=str(work / "inventory.yml"),
                       extra=["--check"] if check else [], env=env)
    say("%s run: %.1f s" % (name, time.monotonic() - started))
    run.report = json.loads(report.read_text()) if report.exists() else None
    bench = work / ("%s.bench.json" % name)
    run.bench = json.loads(bench.read_text()) if bench.exists() else None
    return run


def installed(package):
    proc = inside("dpkg-query", "-W", "-f", "${db:Status-Status}", package, check=False)
    return proc.returncode == 0 and proc.stdout.strip() == "installed"


def test_check_mode_installs_and_writes_nothing(unstable):
    # The role's package task reports what it would install; with no llama-server yet the role goes
    # on without reading it (settings.yml) and reports the unit it would write.
    run = play(unstable, "check", check=True)
    assert run.returncode == 0, run.output[-4000:]
    assert run.changed_hosts() == [CONTAINER]
    assert installed(HIP)
    assert not any(installed(package) for package in PACKAGES)
    assert inside("test", "-e", "/etc/systemd/system/llama-server.service.d", check=False).returncode == 1


def test_debian_packaged_service_runs_vulkan0_with_hip_installed_beside_it(unstable):
    run = play(unstable, "first")
    assert run.returncode == 0, run.output[-6000:]
    assert all(installed(package) for package in [HIP] + PACKAGES)
    # the check names the device as the server's log does: "Vulkan0 (llvmpipe (LLVM ...))"
    assert run.report["backend"] == "vulkan" and run.report["device"].startswith("Vulkan0 ("), run.report
    assert run.report["verified"] is True, run.report

    # Debian's unit and account, the role's drop-in, no unit of the role's own
    show = dict(line.split("=", 1) for line in inside(
        "systemctl", "show", "llama-server.service", "-p", "ActiveState,User,FragmentPath,DropInPaths,ExecStart"
    ).stdout.splitlines() if "=" in line)
    assert show["ActiveState"] == "active", show
    assert show["User"] == "_llama-server", show
    assert show["FragmentPath"] == "/usr/lib/systemd/system/llama-server.service", show
    assert show["DropInPaths"] == "/etc/systemd/system/llama-server.service.d/inferops-amd.conf", show
    assert "--device Vulkan0" in show["ExecStart"], show["ExecStart"]
    assert inside("test", "-e", "/etc/systemd/system/llama-server.service", check=False).returncode == 1
    # the service's process really is the packaged user's
    pid = inside("systemctl", "show", "llama-server.service", "-p", "MainPID", "--value").stdout.strip()
    assert inside("stat", "-c", "%U", "/proc/" + pid).stdout.strip() == "_llama-server"

    # ggml loaded HIP's backend before Vulkan's, and the model went to Vulkan0 anyway
    journal = inside("journalctl", "--no-pager", "-o", "cat", "-u", "llama-server.service").stdout
    hip_loaded = journal.find("load_backend: loaded ROCm backend")
    vulkan_loaded = journal.find("load_backend: loaded Vulkan backend")
    assert 0 <= hip_loaded < vulkan_loaded, journal[-4000:]
    assert "using device Vulkan0" in journal, journal[-4000:]

    assert run.bench["decode_tokens_per_second"]["median"] > 0, run.bench
    say("lavapipe Vulkan0: %.1f tok/s decode, %.1f tok/s prompt" % (
        run.bench["decode_tokens_per_second"]["median"], run.bench["prompt_tokens_per_second"]["median"]))


def test_a_second_run_changes_nothing(unstable):
    run = play(unstable, "second")
    assert run.returncode == 0, run.output[-6000:]
    assert run.changed_hosts() == [], run.output[-6000:]
    assert run.report["device"].startswith("Vulkan0 (") and run.report["verified"] is True, run.report
