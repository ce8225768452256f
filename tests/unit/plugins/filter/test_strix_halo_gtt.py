"""The strix_halo_gtt filter over hardware_facts output."""

import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.inferops.amd.plugins.filter.strix_halo_gtt import strix_halo_gtt
from ansible_collections.inferops.amd.plugins.module_utils._host.facts import gather
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot


def test_filter_sizes_the_recorded_128gb_host(scratch_host):
    facts = gather(SysRoot(scratch_host("strix_halo_128g")))
    plan = strix_halo_gtt(facts)
    assert plan["kernel_args"] == ["ttm.pages_limit=32090368"]


def test_filter_takes_reserve_and_gttsize_choice(scratch_host):
    facts = gather(SysRoot(scratch_host("strix_halo_laptop_64g")))
    assert strix_halo_gtt(facts, 5120, True)["kernel_args"] == ["amdgpu.gttsize=58572", "ttm.pages_limit=14994432"]


def test_filter_errors_name_the_problem():
    with pytest.raises(AnsibleFilterError, match="strix_halo_gtt: MemTotal is unknown"):
        strix_halo_gtt({"gpus": [], "memory_total_bytes": None, "kernel": {"release": "6.12"}})


def test_the_reserve_is_checked_here_with_a_message_naming_it(scratch_host):
    facts = gather(SysRoot(scratch_host("strix_halo_laptop_64g")))
    with pytest.raises(AnsibleFilterError, match="strix_halo_gtt: a GTT reserve of 512 MiB .*at least 1024 MiB is allowed"):
        strix_halo_gtt(facts, 512)
    with pytest.raises(AnsibleFilterError, match="strix_halo_gtt: the reserve must be a whole number of MiB, got 'lots'"):
        strix_halo_gtt(facts, "lots")
    # a value given with -e is a string
    assert strix_halo_gtt(facts, "5120", "true")["kernel_args"] == ["amdgpu.gttsize=58572", "ttm.pages_limit=14994432"]


def test_an_amdgpu_dkms_host_gets_amdttm_pages_limit(scratch_host):
    # AMD's amdgpu-dkms builds its TTM as amdttm: the same pages, on the module amdgpu uses there
    root = scratch_host("strix_halo_128g")
    os.makedirs(os.path.join(root, "sys/module/amdttm"))
    facts = gather(SysRoot(root))
    assert facts["readiness"]["ttm_module"] == "amdttm"
    assert strix_halo_gtt(facts)["kernel_args"] == ["amdttm.pages_limit=32090368"]
