"""inferops.amd.kernel_cmdline on a bootc image tree: its own kargs.d file, proven through bootc's merge.

The host is the ``bootc_image`` overlay (a Containerfile build's root of a bootc image, with bootc's own
kargs.d files).  What bootc makes of the image comes from tests/simulation/bootc_kargs.py, a model written
from bootc's bootc_kargs.rs and the linux-kernel-cmdline crate, independently of the module.
"""

import os
import shutil

import pytest

from tests.simulation import bootc_kargs
from tests.simulation.bootloader_hosts import make_bootloader_host
from tests.unit.host_files import tree_files
from tests.unit.module_runner import run_on_root

OWN = "usr/lib/bootc/kargs.d/90-inferops-amd.toml"
TUNING = ["iommu=pt", "ttm.pages_limit=32505856"]
# A booted deployment's BLS options: ostree's own, the image's kargs.d and one the machine was installed with.
BOOTED = "root=UUID=6b0c9a5e-1f2d-4e3c-8a7b-9c0d1e2f3a4b rw console=ttyS0,115200n8 console=hvc0 " \
         "ostree=/ostree/boot.1/default/0/0 mitigations=off"


def run(root, **args):
    return run_on_root("kernel_cmdline", root, **args)


@pytest.fixture
def image(tmp_path):
    return make_bootloader_host("bootc_image", str(tmp_path / "image"))


def copy_of(root, tmp_path, name):
    dest = str(tmp_path / name)
    shutil.copytree(os.path.join(root, "usr/lib/bootc"), os.path.join(dest, "usr/lib/bootc"))
    return dest


def test_the_image_is_detected_and_gets_a_file_that_bootc_merges(image, tmp_path):
    old = copy_of(image, tmp_path, "old")
    first = run(image, present=TUNING)
    assert first["bootloader"] == "bootc_kargs" and first["changed"] is True
    assert first["reboot_required"] is False and first["running"] == []
    assert os.path.isfile(os.path.join(image, OWN))
    merged = bootc_kargs.kargs_in_root(image)
    assert merged == ["rw", "console=ttyS0,115200n8", "console=hvc0"] + TUNING
    assert first["configured"] == merged
    # bootc upgrade from the image before to this one: the arguments come, the machine's own stays
    after = bootc_kargs.upgrade_argv(BOOTED, old, image)
    assert set(TUNING) <= set(after) and "mitigations=off" in after and after.count("rw") == 1
    second = run(image, present=TUNING)
    assert second["changed"] is False


def test_check_mode_writes_nothing(image):
    before = tree_files(image)
    result = run(image, present=TUNING, check_mode=True)
    assert result["changed"] is True and tree_files(image) == before


def test_a_new_value_replaces_the_old_and_an_upgrade_carries_it(image, tmp_path):
    run(image, present=["ttm.pages_limit=32505856"])
    old = copy_of(image, tmp_path, "old")
    booted = bootc_kargs.upgrade_options(BOOTED, copy_of(image, tmp_path, "none"), old)
    result = run(image, present=["ttm.pages_limit=15728640"])
    assert result["removed"] == ["ttm.pages_limit=32505856"] and result["added"] == ["ttm.pages_limit=15728640"]
    upgraded = bootc_kargs.upgrade_argv(booted, old, image)
    assert "ttm.pages_limit=15728640" in upgraded and "ttm.pages_limit=32505856" not in upgraded


def test_absent_takes_an_argument_out_of_the_own_file_and_an_upgrade_drops_it(image, tmp_path):
    run(image, present=TUNING)
    old = copy_of(image, tmp_path, "old")
    result = run(image, absent=["iommu"])
    assert result["changed"] is True and "iommu=pt" not in bootc_kargs.kargs_in_root(image)
    assert "iommu=pt" not in bootc_kargs.upgrade_argv(BOOTED + " iommu=pt", old, image)


def test_an_argument_of_the_image_itself_is_not_edited(image):
    before = tree_files(image)
    result = run(image, absent=["console"], expect_failure=True)
    assert "21-console-hvc0.toml holds console=ttyS0,115200n8 console=hvc0" in result["msg"]
    assert tree_files(image) == before


def test_an_argument_the_image_already_has_is_not_repeated(image):
    with open(os.path.join(image, "usr/lib/bootc/kargs.d/30-quiet.toml"), "w") as handle:
        handle.write('kargs = ["quiet loglevel=3"]\n')
    result = run(image, present=["quiet", "loglevel=3"])
    assert result["changed"] is False and not os.path.exists(os.path.join(image, OWN))


def test_present_replaces_every_value_of_a_name_so_a_value_of_the_image_is_refused(image):
    result = run(image, present=["console=hvc0"], expect_failure=True)
    assert "21-console-hvc0.toml holds console=ttyS0,115200n8" in result["msg"]


def test_a_file_of_that_name_not_written_by_the_module_is_refused(image):
    with open(os.path.join(image, OWN), "w") as handle:
        handle.write('kargs = ["quiet"]\n')
    result = run(image, present=TUNING, expect_failure=True)
    assert "was not written by this module" in result["msg"]


def test_a_file_bootc_would_refuse_is_refused_naming_it(image):
    with open(os.path.join(image, "usr/lib/bootc/kargs.d/30-typo.toml"), "w") as handle:
        handle.write('kargs = ["quiet"]\nmatch_architectures = ["x86_64"]\n')
    result = run(image, present=TUNING, expect_failure=True)
    assert "30-typo.toml has match_architectures, which bootc refuses" in result["msg"]


def test_a_file_for_another_architecture_is_skipped_as_bootc_skips_it(image):
    with open(os.path.join(image, "usr/lib/bootc/kargs.d/40-arm.toml"), "w") as handle:
        handle.write('kargs = ["earlycon"]\nmatch-architectures = ["aarch64"]\n')
    result = run(image, present=TUNING)
    assert "earlycon" not in result["configured"]
    assert result["configured"] == bootc_kargs.kargs_in_root(image, arch="x86_64")


def test_a_booted_bootc_host_without_rpm_ostree_is_refused(image):
    os.makedirs(os.path.join(image, "run"), exist_ok=True)
    open(os.path.join(image, "run/ostree-booted"), "w").close()
    result = run(image, present=TUNING, expect_failure=True)
    assert result["changed"] is False and "booted bootc host" in result["msg"]
    assert not os.path.exists(os.path.join(image, OWN))


def test_a_package_mode_host_with_the_bootc_package_is_no_image(image):
    os.unlink(os.path.join(image, "ostree"))
    shutil.rmtree(os.path.join(image, "boot/loader"))  # the base host's empty folders would be systemd-boot's
    result = run(image, present=TUNING, check_mode=True, expect_failure=True)
    assert "no supported bootloader" in result["msg"]
