"""ollama_backend on simulated hosts: official archive (rx9070xt_chipset) and Arch (strix_halo_arch_ollama).

The simulated ollama, systemctl and journalctl run inside each scratch tree;
verification reads the 'inference compute' line the simulated server wrote.
"""

import json
import os
import subprocess

import pytest

from tests.unit.module_runner import run_module

DROPIN = "etc/systemd/system/ollama.service.d/inferops-backend.conf"
OFFICIAL_HIP = "usr/local/lib/ollama/rocm/libggml-hip.so"
ARCH_HIP = "usr/lib/ollama/libggml-hip.so"
DISABLED = ".inferops-disabled"


@pytest.fixture
def host(scratch_host):
    """Scratch host factory whose simulated ollama.service is stopped afterwards."""
    roots = []

    def make(profile, ollama_version=None):
        root = scratch_host(profile)
        if ollama_version:
            marker = os.path.join(root, ".inferops-simulation.json")
            with open(marker) as handle:
                config = json.load(handle)
            config["ollama"]["version"] = ollama_version
            with open(marker, "w") as handle:
                json.dump(config, handle)
        roots.append(root)
        return root
    yield make
    for root in roots:
        systemctl = os.path.join(root, "usr/bin/systemctl")
        if os.path.exists(systemctl):
            subprocess.run([systemctl, "stop", "ollama.service"], env=dict(os.environ, INFEROPS_SYSROOT=root),
                           check=False)


def switch(root, backend, **args):
    return run_module("ollama_backend", dict(sysroot=root, backend=backend, **args))


def read(root, path):
    with open(os.path.join(root, path)) as handle:
        return handle.read()


def test_official_install_switches_to_vulkan_through_the_environment(host):
    root = host("rx9070xt_chipset")
    result = switch(root, "vulkan", restart=True, verify=True)
    assert result["changed"] and result["restarted"] and not result["restart_required"]
    assert (result["previous_backend"], result["mechanism"], result["version"]) == ("auto", "environment", "0.15.5")
    assert result["renamed"] == []
    assert result["dropin"]["environment"] == {"OLLAMA_VULKAN": "1", "OLLAMA_LLM_LIBRARY": "vulkan"}
    assert 'Environment="OLLAMA_LLM_LIBRARY=vulkan"' in read(root, DROPIN)
    assert os.path.exists(os.path.join(root, OFFICIAL_HIP)), "the environment switch leaves libraries alone"
    verification = result["verification"]
    assert verification["libraries"] == ["vulkan"]
    assert verification["devices"][0]["description"] == "AMD Radeon RX 9070 XT (RADV GFX1201)"
    assert "vulkan" not in read(root, "etc/systemd/system/ollama.service"), "vendor unit untouched"


def test_second_run_changes_nothing_and_verifies_the_running_server(host):
    root = host("rx9070xt_chipset")
    switch(root, "vulkan", restart=True)
    again = switch(root, "vulkan", restart=True, verify=True)
    assert again["changed"] is False and again["restarted"] is False
    assert again["previous_backend"] == "vulkan" and again["dropin"]["state"] == "unchanged"
    assert again["verification"]["libraries"] == ["vulkan"]


def test_vulkan_back_to_rocm_with_the_gfx_override(host):
    root = host("rx9070xt_chipset")
    switch(root, "vulkan", restart=True)
    result = switch(root, "rocm", gfx_version_override="12.0.1", restart=True, verify=True)
    assert result["changed"] and result["previous_backend"] == "vulkan"
    assert result["dropin"]["environment"] == {"OLLAMA_LLM_LIBRARY": "rocm", "HSA_OVERRIDE_GFX_VERSION": "12.0.1"}
    device = result["verification"]["devices"][0]
    assert (device["library"], device["compute"]) == ("ROCm", "gfx1201")


def test_auto_removes_the_dropin_and_restores_libraries(host):
    root = host("strix_halo_arch_ollama")
    switch(root, "vulkan")
    result = switch(root, "auto")
    assert result["changed"] and result["previous_backend"] == "vulkan"
    assert result["dropin"]["state"] == "removed" and not os.path.exists(os.path.join(root, DROPIN))
    assert result["renamed"] == [{"from": "/usr/lib/ollama/libggml-hip.so" + DISABLED,
                                  "to": "/usr/lib/ollama/libggml-hip.so"}]
    assert os.path.exists(os.path.join(root, ARCH_HIP))
    assert switch(root, "auto")["changed"] is False


def test_arch_flat_layout_disables_the_hip_library(host):
    root = host("strix_halo_arch_ollama")
    result = switch(root, "vulkan", restart=True, verify=True)
    assert result["mechanism"] == "rename"
    assert result["renamed"] == [{"from": "/usr/lib/ollama/libggml-hip.so",
                                  "to": "/usr/lib/ollama/libggml-hip.so" + DISABLED}]
    assert os.path.exists(os.path.join(root, ARCH_HIP + DISABLED))
    assert not os.path.exists(os.path.join(root, ARCH_HIP))
    assert result["verification"]["libraries"] == ["vulkan"]
    assert result["verification"]["devices"][0]["type"] == "iGPU"
    assert {"backend": "rocm", "path": "/usr/lib/ollama/libggml-hip.so" + DISABLED, "enabled": False} \
        in result["install"]["libraries"]


def test_arch_back_to_rocm_restores_hip_and_sets_the_strix_halo_override(host):
    root = host("strix_halo_arch_ollama")
    switch(root, "vulkan")
    result = switch(root, "rocm", gfx_version_override="11.5.1", restart=True, verify=True)
    assert os.path.exists(os.path.join(root, ARCH_HIP))
    assert result["dropin"]["environment"] == {"HSA_OVERRIDE_GFX_VERSION": "11.5.1"}
    assert result["verification"]["devices"][0]["compute"] == "gfx1151"


def test_cpu_on_arch_disables_both_gpu_libraries(host):
    root = host("strix_halo_arch_ollama")
    result = switch(root, "cpu", restart=True, verify=True)
    assert sorted(item["from"] for item in result["renamed"]) == [
        "/usr/lib/ollama/libggml-hip.so", "/usr/lib/ollama/libggml-vulkan.so"]
    assert result["verification"]["libraries"] == ["cpu"]


def test_env_switch_alone_fails_verification_where_the_version_ignores_it(host):
    # Seed 003: OLLAMA_LLM_LIBRARY=vulkan did not move Ollama off ROCm.  An
    # official install older than 0.12.11 ignores it as well; verify says so.
    root = host("rx9070xt_chipset", ollama_version="0.12.3")
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", mechanism="environment",
                                               restart=True, verify=True, verify_timeout=20), expect_failure=True)
    assert "came up on rocm, not on vulkan" in failed["msg"]
    assert "try mechanism=rename" in failed["msg"]
    assert failed["verification"]["devices"][0]["library"] == "ROCm"
    assert failed["changed"] is True, "the failure still reports what was changed"
    fixed = switch(root, "vulkan", restart=True, verify=True)
    assert fixed["mechanism"] == "rename" and fixed["verification"]["libraries"] == ["vulkan"]


def test_env_switch_on_arch_fails_verification(host):
    root = host("strix_halo_arch_ollama")
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", mechanism="environment",
                                               restart=True, verify=True, verify_timeout=20), expect_failure=True)
    assert "came up on rocm" in failed["msg"]


def test_check_mode_predicts_without_touching(host):
    root = host("strix_halo_arch_ollama")
    result = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", restart=True), check_mode=True,
                        diff=True)
    assert result["changed"] and result["restart_required"] and not result["restarted"]
    assert not os.path.exists(os.path.join(root, DROPIN))
    assert os.path.exists(os.path.join(root, ARCH_HIP))
    assert not os.path.exists(os.path.join(root, "var/log/inferops-sim/journal/ollama.service.jsonl"))
    dropin_diff, library_diff = result["diff"]
    assert dropin_diff["before"] == "" and 'Environment="OLLAMA_VULKAN=1"' in dropin_diff["after"]
    assert "/usr/lib/ollama/libggml-hip.so\n" in library_diff["before"]
    assert "/usr/lib/ollama/libggml-hip.so" + DISABLED + "\n" in library_diff["after"]


def test_check_mode_after_the_change_reports_nothing_to_do(host):
    root = host("rx9070xt_chipset")
    switch(root, "vulkan")
    assert run_module("ollama_backend", dict(sysroot=root, backend="vulkan"), check_mode=True)["changed"] is False


def test_verify_refuses_when_the_change_is_not_live_yet(host):
    root = host("rx9070xt_chipset")
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", verify=True), expect_failure=True)
    assert "was not restarted" in failed["msg"] and failed["restart_required"]


def test_verify_needs_a_running_service(host):
    root = host("rx9070xt_chipset")
    switch(root, "vulkan")
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", verify=True), expect_failure=True)
    assert "ollama.service is not running" in failed["msg"]


def test_no_ollama_is_a_clear_failure(host):
    failed = run_module("ollama_backend", dict(sysroot=host("r9700_desktop"), backend="vulkan"), expect_failure=True)
    assert failed["msg"].startswith("Ollama is not installed: no ollama executable at /usr/local/bin/ollama")


def test_unknown_layout_names_the_folder(host):
    root = host("strix_halo_arch_ollama")
    folder = os.path.join(root, "usr/lib/ollama")
    for name in os.listdir(folder):
        os.unlink(os.path.join(folder, name))
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan"), expect_failure=True)
    assert "/usr/lib/ollama" in failed["msg"] and "layout" in failed["msg"]


def test_bad_override_fails_before_anything_changes(host):
    root = host("strix_halo_arch_ollama")
    failed = run_module("ollama_backend", dict(sysroot=root, backend="rocm", gfx_version_override="gfx1151"),
                        expect_failure=True)
    assert "'gfx1151' is not a gfx version" in failed["msg"] and "11.5.1" in failed["msg"]
    assert not os.path.exists(os.path.join(root, DROPIN))


def test_missing_vulkan_library_is_refused(host):
    root = host("strix_halo_arch_ollama")
    os.unlink(os.path.join(root, "usr/lib/ollama/libggml-vulkan.so"))
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan"), expect_failure=True)
    assert "no libggml-vulkan.so" in failed["msg"] and "installed GPU backends: rocm" in failed["msg"]
    assert os.path.exists(os.path.join(root, ARCH_HIP))


def test_version_option_skips_asking_the_binary(host):
    root = host("rx9070xt_chipset")
    os.chmod(os.path.join(root, "usr/local/bin/ollama"), 0o644)
    result = switch(root, "vulkan", version="0.12.10")
    assert (result["version"], result["mechanism"]) == ("0.12.10", "rename")


def test_stale_pair_of_library_files_is_refused_untouched(host):
    root = host("strix_halo_arch_ollama")
    open(os.path.join(root, ARCH_HIP + DISABLED), "w").close()
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan"), expect_failure=True)
    assert "remove the stale one" in failed["msg"]
    assert not os.path.exists(os.path.join(root, DROPIN))


def test_unreadable_version_plans_the_rename_that_works_everywhere(host):
    root = host("rx9070xt_chipset")
    os.chmod(os.path.join(root, "usr/local/bin/ollama"), 0o644)
    result = switch(root, "vulkan")
    # (The module also warns; warnings are not asserted: once the controller
    # side of ansible is imported in the same process they are collected elsewhere.)
    assert result["version"] is None and result["mechanism"] == "rename"
