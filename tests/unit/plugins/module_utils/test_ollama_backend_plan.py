"""The planner reads the release table: environment per release, layout and host devices."""

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._ollama import plan
from ansible_collections.inferops.amd.plugins.module_utils._ollama import release_table as table
from ansible_collections.inferops.amd.plugins.module_utils._ollama.install import BackendUnit, OllamaInstall

DGPU = {"pci_id": "0000:06:00.0", "gfx_target": "gfx1201", "integrated": False, "vram_bytes": 16 << 30,
        "rocm_index": 0}
STRIX = {"pci_id": "0000:c5:00.0", "gfx_target": "gfx1151", "integrated": True, "vram_bytes": 512 << 20,
         "rocm_index": 0}
SMALL_IGPU = {"pci_id": "0000:0e:00.0", "gfx_target": "gfx1036", "integrated": True, "vram_bytes": 512 << 20,
              "rocm_index": 0}
MIXED = [SMALL_IGPU, dict(DGPU, rocm_index=1)]


def install(layout="subfolders", targets=("gfx1151", "gfx1200", "gfx1201"), backends=("rocm", "vulkan")):
    lib = "/usr/local/lib/ollama"
    units = []
    for backend in backends:
        home = "%s/%s" % (lib, backend) if layout == "subfolders" else "%s/libggml-%s.so" % (
            lib, "hip" if backend == "rocm" else backend)
        units.append(BackendUnit(backend, home, home, home))
    return OllamaInstall("/usr/local/bin/ollama", lib, "official", layout, units, set(targets))


@pytest.mark.parametrize("version,layout,expected", [
    ((0, 12, 4), "subfolders", {"ROCR_VISIBLE_DEVICES": "-1"}),
    ((0, 15, 5), "subfolders", {"ROCR_VISIBLE_DEVICES": "-1", "OLLAMA_VULKAN": "1"}),
    ((0, 15, 5), "flat", {"ROCR_VISIBLE_DEVICES": "-1"}),
    ((0, 32, 15), "subfolders", {"OLLAMA_LLM_LIBRARY": "vulkan"}),
])
def test_vulkan_on_a_discrete_card_hides_rocm_and_opens_the_releases_gate(version, layout, expected):
    assert plan.plan_backend(install(layout), "vulkan", version, [DGPU]).environment == expected


def test_vulkan_on_strix_halo_from_0_30_enables_the_igpu():
    env = plan.plan_backend(install(), "vulkan", (0, 32, 15), [STRIX]).environment
    assert env == {"OLLAMA_LLM_LIBRARY": "vulkan", "OLLAMA_IGPU_ENABLE": "1"}
    assert "OLLAMA_IGPU_ENABLE" not in plan.plan_backend(install(), "vulkan", (0, 15, 5), [STRIX]).environment


def test_rocm_on_strix_halo_needs_the_igpu_switch_only_on_0_30_0():
    assert plan.plan_backend(install(), "rocm", (0, 30, 0), [STRIX]).environment["OLLAMA_IGPU_ENABLE"] == "1"
    assert "OLLAMA_IGPU_ENABLE" not in plan.plan_backend(install(), "rocm", (0, 30, 1), [STRIX]).environment


def test_a_small_igpu_next_to_a_card_does_not_matter_and_gets_nothing():
    result = plan.plan_backend(install(), "vulkan", (0, 32, 15), MIXED)
    assert "OLLAMA_IGPU_ENABLE" not in result.environment
    assert [dev["matters"] for dev in result.devices] == [False, True]


def test_no_override_where_the_build_has_the_target():
    env = plan.plan_backend(install(), "rocm", (0, 15, 5), [DGPU]).environment
    assert not [key for key in env if key.startswith("HSA_OVERRIDE")]


def test_per_device_override_on_a_mixed_host_when_the_build_lacks_the_target():
    env = plan.plan_backend(install(targets=("gfx1200", "gfx1100")), "rocm", (0, 15, 5), MIXED).environment
    assert env["HSA_OVERRIDE_GFX_VERSION_1"] == "12.0.0"
    assert "HSA_OVERRIDE_GFX_VERSION" not in env and "HSA_OVERRIDE_GFX_VERSION_0" not in env


def test_single_gpu_override_uses_the_plain_variable():
    env = plan.plan_backend(install(targets=("gfx1200",)), "rocm", (0, 15, 5), [DGPU]).environment
    assert env["HSA_OVERRIDE_GFX_VERSION"] == "12.0.0"


def test_overriding_the_strix_halo_igpu_on_0_30_1_needs_the_igpu_switch():
    # a target other than gfx1151 loses the default admission (integratedGPUAllowedByDefault)
    env = plan.plan_backend(install(targets=("gfx1100",)), "rocm", (0, 30, 1), [STRIX]).environment
    assert env["HSA_OVERRIDE_GFX_VERSION"] == "11.0.0" and env["OLLAMA_IGPU_ENABLE"] == "1"


@pytest.mark.parametrize("backend,version,gpus,message", [
    ("vulkan", (0, 12, 3), [DGPU], "no Vulkan support"),
    ("rocm", (0, 12, 3), [STRIX], "unsupported Radeon iGPU detected skipping"),
    ("vulkan", (0, 11, 10), [DGPU], "older than 0.12.0"),
    ("vulkan", None, [DGPU], "version option"),
])
def test_cases_that_cannot_work_fail_with_the_reason(backend, version, gpus, message):
    with pytest.raises(plan.PlanError, match=message):
        plan.plan_backend(install(), backend, version, gpus)


def test_a_missing_backend_library_fails():
    with pytest.raises(plan.PlanError, match="no Vulkan backend"):
        plan.plan_backend(install(backends=("rocm",)), "vulkan", (0, 15, 5), [DGPU])


def test_files_mechanism_moves_whole_folders_and_keeps_the_gates():
    result = plan.plan_backend(install(), "vulkan", (0, 15, 5), [DGPU], mechanism="files")
    assert result.moves == [("/usr/local/lib/ollama/rocm", "/usr/local/lib/ollama.inferops-disabled/rocm")]
    assert result.environment == {"OLLAMA_VULKAN": "1"}


def test_every_row_names_its_source_and_every_supported_release_has_a_row():
    for row in table.ROWS:
        assert row.source
    for version in ((0, 12, 0), (0, 12, 11), (0, 13, 0), (0, 24, 0), (0, 30, 0), (0, 30, 1), (0, 32, 15)):
        for layout in ("subfolders", "flat"):
            assert table.row_for(version, layout).covers(version, layout)


@pytest.mark.parametrize("version,extension,rocm", [
    ("0.13.5", "tgz", "rocm"), ("0.14.0", "tar.zst", "rocm"), ("0.32.15", "tar.zst", "rocm_v7_2")])
def test_official_archive_names_per_release(version, extension, rocm):
    release = table.OfficialRelease(version)
    assert release.archives()["rocm"] == "ollama-linux-amd64-rocm.%s" % extension
    assert release.rocm_folder == rocm


@pytest.mark.parametrize("target,version", [("gfx1201", "12.0.1"), ("gfx1151", "11.5.1"), ("gfx90a", "9.0.10")])
def test_gfx_version_from_target(target, version):
    assert plan.gfx_version_from_target(target) == version


def test_bad_gfx_override_is_refused():
    with pytest.raises(plan.PlanError, match="MAJOR.MINOR.STEPPING"):
        plan.validate_gfx_version("gfx1201")


def test_rename_is_no_mechanism_any_more():
    # `rename` was an old name of `files`, listed as a choice of its own; 0.2.0 dropped it.
    assert plan.MECHANISMS == ("auto", "environment", "files")
    with pytest.raises(plan.PlanError, match="mechanism 'rename' is not one of auto, environment, files"):
        plan.plan_backend(install(), "vulkan", (0, 15, 5), [DGPU], mechanism="rename")


def test_a_release_newer_than_the_table_is_switched_as_the_newest_rows_say_with_a_warning():
    newer = plan.plan_backend(install(), "vulkan", (0, 33, 0), [DGPU])
    assert newer.environment == plan.plan_backend(install(), "vulkan", (0, 32, 15), [DGPU]).environment
    assert newer.warnings == ["Ollama 0.33.0 is newer than 0.32.15, the newest release whose source the collection's "
                              "release table was read from; it is switched as 0.30.1 - 0.32.15 does, unverified "
                              "(docs/ollama.md)"]
    assert plan.plan_backend(install(), "vulkan", (0, 32, 15), [DGPU]).warnings == []


def test_rocm_discovery_classes_a_gpu_by_its_own_sysfs_rule():
    gib = 1 << 30
    # discover/amd.go readROCmDRMDevice: board_info or mem_info_vram_vendor -> discrete
    assert table.rocm_sysfs_integrated(True, False, gib // 2, 64 * gib) is False
    assert table.rocm_sysfs_integrated(False, True, gib // 2, 64 * gib) is False
    # a small UMA frame buffer: integrated; at the edges of each bound
    assert table.rocm_sysfs_integrated(False, False, gib // 2, 64 * gib) is True
    assert table.rocm_sysfs_integrated(False, False, 4 * gib, 16 * gib) is True
    assert table.rocm_sysfs_integrated(False, False, 4 * gib + 1, 64 * gib) is None
    assert table.rocm_sysfs_integrated(False, False, 2 * gib, 8 * gib - 1) is None
    assert table.rocm_sysfs_integrated(False, False, 3 * gib, 11 * gib) is None  # GTT under 4 x VRAM
    assert table.rocm_sysfs_integrated(False, False, 0, 64 * gib) is None
    # a large BIOS carve-out leaves it to the ROCm library
    assert table.rocm_sysfs_integrated(False, False, 96 * gib, 32 * gib) is None


def test_a_card_rocm_takes_for_an_igpu_gets_the_igpu_switch_and_a_warning():
    small = dict(DGPU, board_info=False, vram_vendor=False, vram_bytes=2 << 30, gtt_bytes=16 << 30)
    result = plan.plan_backend(install(), "rocm", (0, 32, 15), [small])
    assert result.environment["OLLAMA_IGPU_ENABLE"] == "1"
    assert any("readROCmDRMDevice" in warning and "which the collection calls discrete" in warning
               for warning in result.warnings)
    listed = dict(small, board_info=True)
    assert "OLLAMA_IGPU_ENABLE" not in plan.plan_backend(install(), "rocm", (0, 32, 15), [listed]).environment


def test_before_0_12_4_any_gpu_under_1_gib_of_vram_is_skipped_for_rocm():
    small_card = dict(DGPU, vram_bytes=512 << 20)
    with pytest.raises(plan.PlanError, match="takes any AMD GPU with less than 1 GiB of VRAM for an unsupported iGPU"):
        plan.plan_backend(install(), "rocm", (0, 12, 3), [small_card])
