"""Finding Ollama below a root: layout, backend libraries, version."""

import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils import ollama_install
from ansible_collections.inferops.amd.plugins.module_utils.sysroot import SysRoot


def test_official_archive_layout_on_the_rx9070xt(scratch_host):
    install = ollama_install.find_install(SysRoot(scratch_host("rx9070xt_chipset")))
    assert (install.binary, install.lib_dir, install.layout) == (
        "/usr/local/bin/ollama", "/usr/local/lib/ollama", "subfolders")
    assert [(lib.backend, lib.path) for lib in install.libraries] == [
        ("cuda", "/usr/local/lib/ollama/cuda_v12/libggml-cuda.so"),
        ("cuda", "/usr/local/lib/ollama/cuda_v13/libggml-cuda.so"),
        ("rocm", "/usr/local/lib/ollama/rocm/libggml-hip.so"),
        ("vulkan", "/usr/local/lib/ollama/vulkan/libggml-vulkan.so"),
    ]
    assert install.folders_of("rocm") == ["rocm"]


def test_arch_flat_layout(scratch_host):
    install = ollama_install.find_install(SysRoot(scratch_host("strix_halo_arch_ollama")))
    assert (install.binary, install.lib_dir, install.layout) == ("/usr/bin/ollama", "/usr/lib/ollama", "flat")
    assert [(lib.backend, lib.path) for lib in install.libraries] == [
        ("rocm", "/usr/lib/ollama/libggml-hip.so"),
        ("vulkan", "/usr/lib/ollama/libggml-vulkan.so"),
    ]
    assert install.folders_of("vulkan") == []


def test_disabled_library_is_found_as_disabled(scratch_host):
    root = scratch_host("strix_halo_arch_ollama")
    os.rename(os.path.join(root, "usr/lib/ollama/libggml-hip.so"),
              os.path.join(root, "usr/lib/ollama/libggml-hip.so.inferops-disabled"))
    hip = ollama_install.find_install(SysRoot(root)).libraries_of("rocm")[0]
    assert hip.disabled and hip.path == "/usr/lib/ollama/libggml-hip.so.inferops-disabled"
    assert hip.enabled_path == "/usr/lib/ollama/libggml-hip.so"


def test_newest_rocm_folder_first(scratch_host):
    root = scratch_host("rx9070xt_chipset")
    folder = os.path.join(root, "usr/local/lib/ollama/rocm_v7_1")
    os.makedirs(folder)
    open(os.path.join(folder, "libggml-hip.so"), "w").close()
    assert ollama_install.find_install(SysRoot(root)).folders_of("rocm") == ["rocm_v7_1", "rocm"]


def test_no_ollama_is_a_clear_failure(scratch_host):
    with pytest.raises(ollama_install.OllamaNotInstalled, match="/usr/local/bin/ollama or /usr/bin/ollama"):
        ollama_install.find_install(SysRoot(scratch_host("r9700_desktop")))


def test_unknown_layout_names_the_folder(scratch_host):
    root = scratch_host("strix_halo_arch_ollama")
    for name in os.listdir(os.path.join(root, "usr/lib/ollama")):
        os.unlink(os.path.join(root, "usr/lib/ollama", name))
    with pytest.raises(ollama_install.UnknownLayout, match="/usr/lib/ollama"):
        ollama_install.find_install(SysRoot(root))


def test_binary_override_finds_libraries_next_to_it(scratch_host):
    root = scratch_host("rx9070xt_chipset")
    os.makedirs(os.path.join(root, "opt/ollama/bin"))
    os.rename(os.path.join(root, "usr/local/bin/ollama"), os.path.join(root, "opt/ollama/bin/ollama"))
    os.rename(os.path.join(root, "usr/local/lib"), os.path.join(root, "opt/ollama/lib"))
    install = ollama_install.find_install(SysRoot(root), binary="/opt/ollama/bin/ollama")
    assert install.lib_dir == "/opt/ollama/lib/ollama" and install.layout == "subfolders"


@pytest.mark.parametrize("text, version", [
    ("ollama version is 0.15.5\n", "0.15.5"),
    ("Warning: could not connect to a running Ollama instance\nWarning: client version is 0.12.11\n", "0.12.11"),
    # A running older server answers first; the binary on disk is the client.
    ("ollama version is 0.7.1\nWarning: client version is 0.8.0\n", "0.8.0"),
    ("ollama version is 0.0.0\n", "0.0.0"),
    ("command not found", None),
])
def test_parse_version(text, version):
    assert ollama_install.parse_version(text) == version


def test_version_tuple():
    assert ollama_install.version_tuple("0.12.11-rc1") == (0, 12, 11)
    with pytest.raises(ValueError, match="not an Ollama version"):
        ollama_install.version_tuple("latest")
