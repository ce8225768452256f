"""Reading which backend and device llama-server loaded from its log lines."""

import os

from ansible_collections.inferops.amd.plugins.module_utils._llama_server import log as llama_server_log

# Lines as llama.cpp b11434 logs them (ggml-backend-reg.cpp, src/llama.cpp, llama-model.cpp,
# tools/server/server.cpp), with systemd's own lines as `journalctl -o cat` shows them.
OLD_RUN = """Started llama-server.service.
load_backend: loaded CPU backend from /usr/lib/x86_64-linux-gnu/ggml/libggml-cpu-haswell.so
main: server is listening on http://127.0.0.1:8080
Stopped llama-server.service."""
VULKAN_RUN = """Started llama-server.service.
load_backend: loaded Vulkan backend from /usr/lib/x86_64-linux-gnu/ggml/libggml-vulkan.so
load_backend: loaded CPU backend from /usr/lib/x86_64-linux-gnu/ggml/libggml-cpu-haswell.so
llama_model_load_from_file_impl: using device Vulkan0 (AMD Radeon AI PRO R9700 (RADV GFX1201)) (0000:03:00.0) - 31664 MiB free
load_tensors: offloaded 65/65 layers to GPU
main: server is listening on http://127.0.0.1:8080"""


def test_only_the_last_started_process_counts():
    found = llama_server_log.parse(llama_server_log.current_run(OLD_RUN + "\n" + VULKAN_RUN))
    assert [b["name"] for b in found["backends"]] == ["Vulkan", "CPU"]
    assert found["devices"] == [{"name": "Vulkan0", "description": "AMD Radeon AI PRO R9700 (RADV GFX1201)",
                                 "id": "0000:03:00.0", "free_mib": 31664}]
    assert found["offloaded"] == {"layers": 65, "of": 65}
    assert found["listening"] == "127.0.0.1:8080"
    assert llama_server_log.serving_backend(found) == "vulkan"
    assert llama_server_log.check(found, "vulkan") == (
        True, "vulkan backend, device Vulkan0 (AMD Radeon AI PRO R9700 (RADV GFX1201))")


def test_cpu_only_run_does_not_pass_as_vulkan():
    found = llama_server_log.parse(llama_server_log.current_run(OLD_RUN.rsplit("\n", 1)[0]))
    assert llama_server_log.serving_backend(found) == "cpu"
    verified, reason = llama_server_log.check(found, "vulkan")
    assert not verified and "runs on cpu (CPU), not on vulkan" in reason
    assert llama_server_log.check(found, "cpu")[0]


def test_not_listening_yet_is_not_verified():
    found = llama_server_log.parse(["load_backend: loaded CPU backend from /x/libggml-cpu.so"])
    assert llama_server_log.check(found, "cpu") == (False, "the server has not logged that it listens yet")


def test_cpu_backend_must_have_been_loaded():
    found = llama_server_log.parse(["main: server is listening on http://127.0.0.1:1"])
    verified, reason = llama_server_log.check(found, "cpu")
    assert not verified and "no CPU backend library" in reason


def test_debian_packages_with_hip_beside_vulkan_run_on_the_device_asked_for():
    """A real journal: Debian unstable's llama.cpp 1:0.7.0+dfsg-2 (b11669) as its packaged unit, with the role's drop-in
    (--device Vulkan0, GGML_VK_VISIBLE_DEVICES=0: lavapipe), libggml0-backend-hip installed beside the Vulkan
    backend (tests/fixtures/real_world/SOURCES.md). The first starts fail: SupplementaryGroups= named a render
    group the system lacked (status=216/GROUP), which is why the role creates the groups; the last start is the
    one judged."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "real_world", "llama.cpp",
                        "journal-debian-hip-and-vulkan-b11669.log")
    with open(path) as handle:
        text = handle.read()
    assert "status=216/GROUP" in text
    found = llama_server_log.parse(llama_server_log.current_run(text))
    assert [backend["name"] for backend in found["backends"]][:3] == ["ROCm", "Vulkan", "CPU"], "HIP is loaded first"
    assert found["devices"] == [{"name": "Vulkan0", "description": "llvmpipe (LLVM 22.1.8, 256 bits)", "id": "unknown id",
                                 "free_mib": 23435}]
    assert llama_server_log.check(found, "vulkan") == (True, "vulkan backend, device Vulkan0 (llvmpipe (LLVM 22.1.8, 256 bits))")
    assert llama_server_log.check(found, "rocm")[0] is False
