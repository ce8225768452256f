"""GTT sizing for Strix Halo: the seeds' machines come out as their values."""

import pytest

from ansible_collections.inferops.amd.plugins.module_utils.strix_halo_memory import (
    MemoryPlanError,
    installed_bytes,
    kernel_version,
    plan_gtt,
)

GIB = 1024 ** 3


def test_128gb_machine_gets_the_value_of_seed_001():
    plan = plan_gtt(132556528 * 1024, 512 * 1024 ** 2, "6.12.57+deb13-amd64")
    assert plan["installed_mib"] == 131072
    assert plan["kernel_args"] == ["amdgpu.gttsize=126976", "ttm.pages_limit=32505856"]


def test_64gb_laptop_with_the_seed_002_reserve_gets_its_values():
    plan = plan_gtt(65221212 * 1024, 512 * 1024 ** 2, "6.12.1", reserve_mib=5120)
    assert plan["kernel_args"] == ["amdgpu.gttsize=60416", "ttm.pages_limit=15466496"]


def test_64gb_laptop_with_the_default_reserve():
    assert plan_gtt(65221212 * 1024, 512 * 1024 ** 2, "6.17.7-300.fc43.x86_64")["gtt_mib"] == 61440


def test_newer_kernels_get_only_ttm_pages_limit():
    assert plan_gtt(132556528 * 1024, 0, "6.17.7-300.fc43.x86_64")["kernel_args"] == ["ttm.pages_limit=32505856"]
    assert plan_gtt(132556528 * 1024, 0, "6.16.0")["kernel_args"] == ["ttm.pages_limit=32505856"]
    assert plan_gtt(132556528 * 1024, 0, "6.15.9")["kernel_args"][0] == "amdgpu.gttsize=126976"


def test_gttsize_can_be_forced_either_way():
    assert plan_gtt(132556528 * 1024, 0, "6.17.0", emit_gttsize=True)["kernel_args"][0] == "amdgpu.gttsize=126976"
    assert plan_gtt(132556528 * 1024, 0, "6.1.0", emit_gttsize=False)["kernel_args"] == ["ttm.pages_limit=32505856"]


def test_installed_memory_rounds_up_to_4_gib():
    assert installed_bytes(30 * GIB, 0) == 32 * GIB
    assert installed_bytes(32 * GIB, 0) == 32 * GIB
    assert installed_bytes(int(31.5 * GIB), 512 * 1024 ** 2) == 32 * GIB


@pytest.mark.parametrize("mem,uma,kernel,reserve,emit,message", [
    (None, 0, "6.12", 4096, "auto", "MemTotal is unknown"),
    (0, 0, "6.12", 4096, "auto", "MemTotal is unknown"),
    (8 * GIB, 0, "6.12", 512, "auto", "at least 1024"),
    (2 * GIB, 0, "6.12", 8192, "auto", "larger than"),
    (64 * GIB, 0, "linux", 4096, "auto", "cannot read a kernel version from 'linux'"),
    (64 * GIB, 0, "6.12", 4096, "maybe", "emit_gttsize must be"),
])
def test_bad_input_is_a_clear_error(mem, uma, kernel, reserve, emit, message):
    with pytest.raises(MemoryPlanError, match=message):
        plan_gtt(mem, uma, kernel, reserve_mib=reserve, emit_gttsize=emit)


def test_kernel_version():
    assert kernel_version("6.17.7-300.fc43.x86_64") == (6, 17)
