"""Which switch selects which backend, per layout and version."""

import pytest

from ansible_collections.inferops.amd.plugins.module_utils import ollama_backend_plan as plan
from ansible_collections.inferops.amd.plugins.module_utils.ollama_install import BackendLibrary, OllamaInstall

OFFICIAL = "/usr/local/lib/ollama"
FLAT = "/usr/lib/ollama"


def official(hip_disabled=False, vulkan=True):
    libs = [BackendLibrary("cuda", OFFICIAL + "/cuda_v12", "libggml-cuda.so", False),
            BackendLibrary("rocm", OFFICIAL + "/rocm", "libggml-hip.so", hip_disabled)]
    if vulkan:
        libs.append(BackendLibrary("vulkan", OFFICIAL + "/vulkan", "libggml-vulkan.so", False))
    return OllamaInstall("/usr/local/bin/ollama", OFFICIAL, "subfolders", libs)


def flat(hip_disabled=False, vulkan_disabled=False):
    return OllamaInstall("/usr/bin/ollama", FLAT, "flat", [
        BackendLibrary("rocm", FLAT, "libggml-hip.so", hip_disabled),
        BackendLibrary("vulkan", FLAT, "libggml-vulkan.so", vulkan_disabled)])


@pytest.mark.parametrize("install, version, mechanism", [
    (official(), (0, 15, 5), "environment"),
    (official(), (0, 12, 11), "environment"),
    (official(), (0, 12, 10), "rename"),
    (official(), None, "rename"),
    (flat(), (0, 15, 5), "rename"),
])
def test_mechanism_follows_layout_and_version(install, version, mechanism):
    assert plan.choose_mechanism(install, version) == mechanism


def test_vulkan_on_a_new_official_install_is_environment_only():
    result = plan.plan_backend(official(), "vulkan", (0, 15, 5))
    assert result.environment == {"OLLAMA_VULKAN": "1", "OLLAMA_LLM_LIBRARY": "vulkan"}
    assert result.renames == []


def test_environment_switch_restores_a_library_an_older_run_disabled():
    result = plan.plan_backend(official(hip_disabled=True), "vulkan", (0, 15, 5))
    assert result.renames == [(OFFICIAL + "/rocm/libggml-hip.so.inferops-disabled", OFFICIAL + "/rocm/libggml-hip.so")]


def test_vulkan_on_arch_disables_only_the_hip_library():
    result = plan.plan_backend(flat(), "vulkan", (0, 15, 5))
    assert result.mechanism == "rename"
    assert result.renames == [(FLAT + "/libggml-hip.so", FLAT + "/libggml-hip.so.inferops-disabled")]
    assert result.environment == {"OLLAMA_VULKAN": "1"}


def test_rocm_with_override_restores_hip():
    result = plan.plan_backend(flat(hip_disabled=True), "rocm", (0, 15, 5), gfx_version="11.5.1")
    assert result.renames == [(FLAT + "/libggml-hip.so.inferops-disabled", FLAT + "/libggml-hip.so")]
    assert result.environment == {"HSA_OVERRIDE_GFX_VERSION": "11.5.1"}


def test_rocm_on_official_selects_the_rocm_folder():
    result = plan.plan_backend(official(), "rocm", (0, 15, 5), gfx_version="12.0.1")
    assert result.environment == {"OLLAMA_LLM_LIBRARY": "rocm", "HSA_OVERRIDE_GFX_VERSION": "12.0.1"}


def test_cpu_disables_every_gpu_library_on_old_versions():
    result = plan.plan_backend(official(), "cpu", (0, 11, 0))
    assert sorted(src for src, _dst in result.renames) == [
        OFFICIAL + "/cuda_v12/libggml-cuda.so", OFFICIAL + "/rocm/libggml-hip.so",
        OFFICIAL + "/vulkan/libggml-vulkan.so"]


def test_cpu_on_new_official_is_the_cpu_library_setting():
    assert plan.plan_backend(official(), "cpu", (0, 15, 5)).environment == {"OLLAMA_LLM_LIBRARY": "cpu"}


def test_auto_restores_everything_and_sets_nothing():
    result = plan.plan_backend(flat(hip_disabled=True, vulkan_disabled=True), "auto", (0, 15, 5))
    assert result.environment == {} and len(result.renames) == 2


def test_forced_environment_on_flat_layout_names_the_backend():
    result = plan.plan_backend(flat(), "vulkan", (0, 15, 5), mechanism="environment")
    assert result.environment["OLLAMA_LLM_LIBRARY"] == "vulkan" and result.renames == []


def test_missing_backend_library_is_refused_with_what_is_installed():
    with pytest.raises(plan.PlanError, match="no libggml-vulkan.so .*installed GPU backends: cuda, rocm"):
        plan.plan_backend(official(vulkan=False), "vulkan", (0, 15, 5))


@pytest.mark.parametrize("value", ["gfx1201", "12.0", "12.0.1.4", "twelve"])
def test_bad_gfx_override_is_refused(value):
    with pytest.raises(plan.PlanError, match="'%s' is not a gfx version" % value):
        plan.validate_gfx_version(value)


@pytest.mark.parametrize("target, version", [("gfx1201", "12.0.1"), ("gfx1200", "12.0.0"),
                                             ("gfx1151", "11.5.1"), ("gfx90a", "9.0.10")])
def test_gfx_version_from_target(target, version):
    assert plan.gfx_version_from_target(target) == version


def test_configured_backend_reads_the_mark_then_the_state():
    assert plan.configured_backend(flat(), {}, "# inferops-backend: rocm\n[Service]\n") == "rocm"
    assert plan.configured_backend(flat(hip_disabled=True), {}) == "vulkan"
    assert plan.configured_backend(flat(True, True), {}) == "cpu"
    assert plan.configured_backend(official(), {"OLLAMA_LLM_LIBRARY": "rocm_v7_1"}) == "rocm"
    assert plan.configured_backend(flat(), {}) == "auto"
