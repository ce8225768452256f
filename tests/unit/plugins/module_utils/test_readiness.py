"""Readiness facts: the gfx1151 CWSR export, the firmware package's release, amdgpu-dkms.

The KFD node is the recorded Strix Halo's (tests/fixtures/hosts/strix_halo_128g, kernel 6.17.7, before the fix),
with the two properties node_show() prints from 6.12.64, 6.18.4 and 6.19 added for the fixed kernel.
"""

import os
import shutil

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import readiness
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot

HOSTS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "hosts")
NODE = "sys/class/kfd/kfd/topology/nodes/1/properties"
STRIX = [{"gfx_target": "gfx1151"}]


def put(root, path, text=""):
    target = os.path.join(root, path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w") as handle:
        handle.write(text)


@pytest.fixture
def strix(tmp_path):
    root = str(tmp_path / "root")
    os.makedirs(os.path.join(root, os.path.dirname(NODE)))
    shutil.copyfile(os.path.join(HOSTS, "strix_halo_128g", "root", NODE), os.path.join(root, NODE))
    return root


def test_a_kernel_before_the_fix_misses_the_cwsr_export(strix):
    facts = readiness.gather(SysRoot(strix), STRIX, "6.17.7-300.fc43.x86_64")
    assert facts["gfx1151_cwsr"] == {"node": "1", "present": False, "cwsr_size": None, "ctl_stack_size": None}
    assert facts["missing"] == [
        "the kernel lacks the gfx1151 CWSR fix, and ROCm work can hang (6.17.7-300.fc43.x86_64: KFD node 1 has no "
        "cwsr_size and ctl_stack_size; 6.12.64, 6.18.4, 6.19 and later have them)"]


def test_a_fixed_kernel_prints_both_properties(strix):
    with open(os.path.join(strix, NODE), "a") as handle:
        handle.write("cwsr_size 12288\nctl_stack_size 4096\n")
    facts = readiness.gather(SysRoot(strix), STRIX, "6.18.4")
    assert facts["gfx1151_cwsr"]["present"] is True and facts["gfx1151_cwsr"]["cwsr_size"] == 12288
    assert facts["missing"] == []


def test_no_gfx1151_node_no_cwsr_question(tmp_path):
    root = str(tmp_path / "root")
    shutil.copytree(os.path.join(HOSTS, "r9700_desktop", "root", "sys", "class", "kfd"),
                    os.path.join(root, "sys", "class", "kfd"))
    assert readiness.gather(SysRoot(root), [{"gfx_target": "gfx1201"}], "6.12.57")["gfx1151_cwsr"] is None


DPKG = """Package: firmware-amd-graphics
Status: install ok installed
Priority: optional
Version: {version}
Description: Binary firmware for AMD/ATI graphics chips

Package: firmware-linux-free
Status: install ok installed
Version: 20241210-2
"""


def test_the_firmware_release_from_dpkg_and_the_bad_one_on_gfx1151(strix):
    put(strix, "var/lib/dpkg/status", DPKG.format(version="20251125-1"))
    facts = readiness.gather(SysRoot(strix), STRIX, "6.19.2")
    assert facts["firmware"] == {"package": "firmware-amd-graphics", "version": "20251125-1", "release": "20251125"}
    assert facts["missing"][-1] == ("linux-firmware 20251125 is not to be used here (firmware-amd-graphics 20251125-1: its "
                                    "MES firmware 0x83 hangs gfx1151, ROCm issue #5724; use 20251111, or 20260110 and later)")
    # the same firmware on an RDNA4 card is not flagged
    assert not readiness.gather(SysRoot(strix), [{"gfx_target": "gfx1201"}], "6.19.2")["missing"][1:]


def test_a_removed_package_does_not_count(strix):
    put(strix, "var/lib/dpkg/status", DPKG.format(version="20251125-1").replace("install ok installed",
                                                                                "deinstall ok config-files", 1))
    assert readiness.firmware(SysRoot(strix)) is None


def test_the_firmware_release_from_pacman_folder_names(strix):
    put(strix, "var/lib/pacman/local/linux-firmware-amdgpu-20260110.d1a2b3c-1/desc", "%NAME%\nlinux-firmware-amdgpu\n")
    put(strix, "var/lib/pacman/local/linux-firmware-whence-20260110.d1a2b3c-1/desc")
    assert readiness.firmware(SysRoot(strix)) == {"package": "linux-firmware-amdgpu", "version": "20260110.d1a2b3c-1",
                                                  "release": "20260110"}


def test_amdgpu_dkms_loaded_or_built_for_the_running_kernel(strix):
    root = SysRoot(strix)
    assert readiness.gather(root, STRIX, "6.17.7")["ttm_module"] == "ttm"
    put(strix, "lib/modules/6.17.7/updates/dkms/amdgpu.ko.xz")
    assert readiness.amdgpu_dkms(root, "6.17.7") is True and readiness.amdgpu_dkms(root, "6.18.1") is False
    os.makedirs(os.path.join(strix, "sys/module/amdttm"))
    facts = readiness.gather(root, STRIX, "6.18.1")
    assert facts["amdgpu_dkms"] is True and facts["ttm_module"] == "amdttm"
