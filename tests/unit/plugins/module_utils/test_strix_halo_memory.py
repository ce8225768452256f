"""GTT sizing for Strix Halo: the seeds' machines come out as their values."""

import pytest

from ansible_collections.inferops.amd.plugins.plugin_utils.strix_halo_memory import (
    MemoryPlanError,
    installed_bytes,
    kernel_version,
    plan_gtt,
)

GIB = 1024 ** 3


def test_128gb_machine_is_sized_from_memtotal():
    plan = plan_gtt(132556528 * 1024, 512 * 1024 ** 2, "6.12.57+deb13-amd64")
    assert plan["mem_total_mib"] == 129449 and plan["installed_mib"] == 131072
    assert plan["kernel_args"] == ["amdgpu.gttsize=125353", "ttm.pages_limit=32090368"]


def test_64gb_laptop_with_the_seed_002_reserve():
    plan = plan_gtt(65221212 * 1024, 512 * 1024 ** 2, "6.12.1", reserve_mib=5120)
    assert plan["kernel_args"] == ["amdgpu.gttsize=58572", "ttm.pages_limit=14994432"]


def test_64gb_laptop_with_the_default_reserve():
    assert plan_gtt(65221212 * 1024, 512 * 1024 ** 2, "6.17.7-300.fc43.x86_64")["gtt_mib"] == 59596


def test_a_large_carve_out_never_asks_for_more_gtt_than_memtotal():
    # 128 GB with a 64 GiB UMA carve-out: MemTotal is about 62 GiB.  Adding the
    # carve-out back would plan 124 GiB of GTT on 62 GiB of RAM.
    mem_total = 62 * GIB
    plan = plan_gtt(mem_total, 64 * GIB, "6.17.7")
    assert plan["gtt_mib"] * 1024 ** 2 < mem_total
    assert plan["gtt_mib"] == 62 * 1024 - 4096
    assert plan_gtt(mem_total, 0, "6.17.7")["gtt_mib"] == plan["gtt_mib"]


def test_newer_kernels_get_only_ttm_pages_limit():
    assert plan_gtt(132556528 * 1024, 0, "6.17.7-300.fc43.x86_64")["kernel_args"] == ["ttm.pages_limit=32090368"]
    # 6.15 deprecated amdgpu.gttsize (commit 50e30e3a0ef3, drm pull for 6.15-rc1); older kernels keep getting it
    assert plan_gtt(132556528 * 1024, 0, "6.15.0")["kernel_args"] == ["ttm.pages_limit=32090368"]
    assert plan_gtt(132556528 * 1024, 0, "6.14.11")["kernel_args"][0] == "amdgpu.gttsize=125353"


def test_an_amdgpu_dkms_host_gets_amdttm_pages_limit():
    assert plan_gtt(132556528 * 1024, 0, "6.17.7", ttm_module="amdttm")["kernel_args"] == ["amdttm.pages_limit=32090368"]
    with pytest.raises(MemoryPlanError, match="the TTM module must be one of ttm, amdttm, got 'xe'"):
        plan_gtt(132556528 * 1024, 0, "6.17.7", ttm_module="xe")


def test_gttsize_can_be_forced_either_way():
    assert plan_gtt(132556528 * 1024, 0, "6.17.0", emit_gttsize=True)["kernel_args"][0] == "amdgpu.gttsize=125353"
    assert plan_gtt(132556528 * 1024, 0, "6.1.0", emit_gttsize=False)["kernel_args"] == ["ttm.pages_limit=32090368"]


def test_installed_memory_rounds_up_to_4_gib():
    assert installed_bytes(30 * GIB, 0) == 32 * GIB
    assert installed_bytes(32 * GIB, 0) == 32 * GIB
    assert installed_bytes(int(31.5 * GIB), 512 * 1024 ** 2) == 32 * GIB


@pytest.mark.parametrize("mem,uma,kernel,reserve,emit,message", [
    (None, 0, "6.12", 4096, "auto", "MemTotal is unknown"),
    (0, 0, "6.12", 4096, "auto", "MemTotal is unknown"),
    (8 * GIB, 0, "6.12", 512, "auto", "a GTT reserve of 512 MiB leaves the OS too little memory .*at least 1024 MiB"),
    (8 * GIB, 0, "6.12", 0, "auto", "a GTT reserve of 0 MiB"),
    (8 * GIB, 0, "6.12", -4096, "auto", "a GTT reserve of -4096 MiB"),
    (2 * GIB, 0, "6.12", 8192, "auto", "larger than"),
    (64 * GIB, 0, "linux", 4096, "auto", "cannot read a kernel version from 'linux'"),
    (64 * GIB, 0, "6.12", 4096, "maybe", "emit_gttsize must be"),
])
def test_bad_input_is_a_clear_error(mem, uma, kernel, reserve, emit, message):
    with pytest.raises(MemoryPlanError, match=message):
        plan_gtt(mem, uma, kernel, reserve_mib=reserve, emit_gttsize=emit)


def test_kernel_version():
    assert kernel_version("6.17.7-300.fc43.x86_64") == (6, 17)


def test_the_smallest_reserve_allowed_is_1024_mib():
    assert plan_gtt(8 * GIB, 0, "6.17", reserve_mib=1024)["gtt_mib"] == 8 * 1024 - 1024


@pytest.mark.parametrize("word, emitted", [("true", True), ("yes", True), ("false", False), ("no", False)])
def test_emit_gttsize_takes_the_words_of_a_boolean(word, emitted):
    # a value given with -e arrives as a string
    args = plan_gtt(132556528 * 1024, 0, "6.17.0", emit_gttsize=word)["kernel_args"]
    assert args[0].startswith("amdgpu.gttsize=") is emitted
