"""Finding Ollama below a root: layout, backend libraries, version."""

import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._ollama import install as ollama_install
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot


def test_official_archive_layout_on_the_rx9070xt(scratch_host):
    install = ollama_install.find_install(SysRoot(scratch_host("rx9070xt_chipset")))
    assert (install.binary, install.lib_dir, install.kind, install.layout) == (
        "/usr/local/bin/ollama", "/usr/local/lib/ollama", "official", "subfolders")
    assert sorted((unit.backend, unit.home, unit.enabled) for unit in install.units) == [
        ("cuda", "/usr/local/lib/ollama/cuda_v12", True),
        ("cuda", "/usr/local/lib/ollama/cuda_v13", True),
        ("rocm", "/usr/local/lib/ollama/rocm", True),
        ("vulkan", "/usr/local/lib/ollama/vulkan", True),
    ]
    assert install.rocblas_targets == {"gfx1151", "gfx1200", "gfx1201"}


def test_arch_flat_layout(scratch_host):
    install = ollama_install.find_install(SysRoot(scratch_host("strix_halo_arch_ollama")))
    assert (install.binary, install.lib_dir, install.layout) == ("/usr/bin/ollama", "/usr/lib/ollama", "flat")
    assert sorted((unit.backend, unit.home) for unit in install.units) == [
        ("rocm", "/usr/lib/ollama/libggml-hip.so"),
        ("vulkan", "/usr/lib/ollama/libggml-vulkan.so"),
    ]


def test_a_moved_backend_folder_is_found_in_the_stash_as_disabled(scratch_host):
    root = scratch_host("rx9070xt_chipset")
    os.makedirs(os.path.join(root, "usr/local/lib/ollama.inferops-disabled"))
    os.rename(os.path.join(root, "usr/local/lib/ollama/rocm"),
              os.path.join(root, "usr/local/lib/ollama.inferops-disabled/rocm"))
    install = ollama_install.find_install(SysRoot(root))
    rocm = install.units_of("rocm")[0]
    assert not rocm.enabled and rocm.current == "/usr/local/lib/ollama.inferops-disabled/rocm"
    assert install.layout == "subfolders"


def test_a_library_renamed_by_the_old_module_is_listed_for_restoring(scratch_host):
    root = scratch_host("strix_halo_arch_ollama")
    os.rename(os.path.join(root, "usr/lib/ollama/libggml-hip.so"),
              os.path.join(root, "usr/lib/ollama/libggml-hip.so.inferops-disabled"))
    sysroot = SysRoot(root)
    install = ollama_install.find_install(sysroot)
    assert ollama_install.legacy_renamed(sysroot, install) == [
        ("/usr/lib/ollama/libggml-hip.so.inferops-disabled", "/usr/lib/ollama/libggml-hip.so")]


def test_folders_and_flat_gpu_libraries_side_by_side_are_refused(scratch_host):
    root = scratch_host("rx9070xt_chipset")
    open(os.path.join(root, "usr/local/lib/ollama/libggml-hip.so"), "w").close()
    with pytest.raises(ollama_install.UnknownLayout, match="side by side"):
        ollama_install.find_install(SysRoot(root))


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
