"""CPU, memory and kernel facts from /proc."""

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._host import system as host_system
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot


def test_strix_halo_cpu(scratch_host):
    facts = host_system.gather_system(SysRoot(scratch_host("strix_halo_128g")))
    assert facts["cpu"] == {"model": "AMD RYZEN AI MAX+ 395 w/ Radeon 8060S", "vendor": "AuthenticAMD",
                            "family": 26, "logical_cpus": 32}
    assert facts["memory_total_bytes"] == 132556528 * 1024
    assert facts["kernel"]["release"] == "6.17.7-300.fc43.x86_64"
    assert facts["kernel"]["cmdline"][-2:] == ["rhgb", "quiet"]


def test_missing_proc_files_are_none(tmp_path):
    facts = host_system.gather_system(SysRoot(str(tmp_path)))
    assert facts == {"cpu": {"model": None, "vendor": None, "family": None, "logical_cpus": None},
                     "memory_total_bytes": None, "kernel": {"release": None, "cmdline": []}}


def test_garbage_meminfo_is_none():
    assert host_system.parse_meminfo_total("MemTotal: lots\n") is None
    assert host_system.parse_meminfo_total("MemTotal:       1024 kB\n") == 1048576


@pytest.mark.parametrize("release, version", [
    ("6.12.57+deb13-amd64", (6, 12)), ("5.5.0", (5, 5)), ("garbage", None), (None, None)])
def test_kernel_version(release, version):
    assert host_system.kernel_version(release) == version
