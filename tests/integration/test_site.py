"""site.yml against the built-in simulated fleet: provisioning, reboot, verification, idempotence."""

import collections
import os

import pytest

from tests.integration.conftest import REPO, fleet_command, make_fleet, run_playbook
from tests.simulation.scratch_host import profile_config
from tests.simulation import simulated_boot

Provisioned = collections.namedtuple("Provisioned", ["fleet_dir", "env", "first"])

SITE = "playbooks/site.yml"
INVENTORY = "inventory/simulated"
FIXTURES = os.path.join(REPO, "tests", "fixtures", "hosts")


def read(fleet_dir, host, path):
    with open(os.path.join(fleet_dir, host, path.lstrip("/"))) as handle:
        return handle.read()


def boot_count(fleet_dir, host):
    return simulated_boot.load(os.path.join(fleet_dir, host)).config.get("boot_count", 0)


def snapshot(top, skip=()):
    """{relative path: file bytes, link target or a folder mark} of a tree, links not followed.

    sysfs links point back up the tree (device -> ../../..), so a walk that
    followed them would never end.
    """
    found = {}
    for folder, subdirs, files in os.walk(top):
        relative = os.path.relpath(folder, top)
        for name in subdirs + files:
            path = os.path.normpath(os.path.join(relative, name))
            full = os.path.join(folder, name)
            if any(path == left_out or path.startswith(left_out + os.sep) for left_out in skip):
                continue
            if os.path.islink(full):
                found[path] = ("link", os.readlink(full))
            elif os.path.isdir(full):
                found[path] = ("dir",)
            else:
                with open(full, "rb") as handle:
                    found[path] = ("file", handle.read())
    return found


def tree_differences(profile, tree):
    """Paths of a scratch host that differ from its recorded profile (content, kind or presence).

    Left out: what the scratch copy adds on purpose (the simulation marker, the
    simulated tools' launchers) and the simulation's own logs and state.
    """
    launchers = [os.path.join(folder.strip("/"), name) for name, folder in profile_config(profile).get("tools", {}).items()]
    skip = {simulated_boot.MARKER, "var/log/inferops-sim", "var/lib/inferops-sim", "var/log/udevadm.log"} | set(launchers)
    recorded = snapshot(os.path.join(FIXTURES, profile, "root"), skip)
    current = snapshot(tree, skip)
    return sorted(path for path in set(recorded) | set(current) if recorded.get(path) != current.get(path))


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory):
    """One fleet provisioned by site.yml, shared by the tests that read its end state in order."""
    fleet_dir, env = make_fleet(tmp_path_factory, "provisioned")
    yield Provisioned(fleet_dir, env, run_playbook(SITE, INVENTORY, env=env))
    fleet_command("stop", env)


def test_first_run_succeeds_everywhere(provisioned):
    first = provisioned.first
    assert first.returncode == 0, first.output[-4000:]
    assert first.failed_hosts() == []
    assert set(first.recap) == {"r9700-desktop", "rx9070xt-desktop", "strix-halo-128g", "zbook-ultra-g1a",
                                "halo-arch", "aspm-locked-ws", "intel-box"}


def test_rdna4_hosts_run_the_new_kernel_argument_after_one_reboot(provisioned):
    fleet_dir = provisioned.fleet_dir
    for host in ("r9700-desktop", "rx9070xt-desktop"):
        assert boot_count(fleet_dir, host) == 1
        assert "pcie_aspm.policy=performance" in read(fleet_dir, host, "/proc/cmdline").split()
        assert read(fleet_dir, host, "/sys/module/pcie_aspm/parameters/policy") == \
            "default [performance] powersave powersupersave \n"
    grub = read(fleet_dir, "r9700-desktop", "/etc/default/grub")
    assert 'GRUB_CMDLINE_LINUX_DEFAULT="quiet pcie_aspm.policy=performance"' in grub
    assert "#GRUB_DISABLE_OS_PROBER=false" in grub


def test_strix_halo_hosts_get_memory_arguments_sized_from_their_memory(provisioned):
    fleet_dir = provisioned.fleet_dir
    big = read(fleet_dir, "strix-halo-128g", "/proc/cmdline").split()
    assert {"iommu=pt", "ttm.pages_limit=32090368", "transparent_hugepage=always"} <= set(big)
    assert not any(arg.startswith("amdgpu.gttsize=") for arg in big)  # kernel 6.17 deprecates it
    laptop = read(fleet_dir, "zbook-ultra-g1a", "/proc/cmdline").split()
    assert "ttm.pages_limit=15256576" in laptop  # (63692 MiB MemTotal - 4096) * 256
    sysctl = read(fleet_dir, "strix-halo-128g", "/etc/sysctl.d/90-inferops-llm.conf")
    assert "vm.swappiness = 1\n" in sysctl and "vm.max_map_count = 500000\n" in sysctl
    assert read(fleet_dir, "strix-halo-128g", "/etc/environment.d/90-inferops-radv.conf").endswith("RADV_PERFTEST=nogttspill\n")
    assert read(fleet_dir, "strix-halo-128g", "/etc/tuned/active_profile") == "accelerator-performance\n"


def test_firmware_locked_host_is_reported_not_rebooted(provisioned):
    fleet_dir, first = provisioned.fleet_dir, provisioned.first
    assert boot_count(fleet_dir, "aspm-locked-ws") == 0
    assert read(fleet_dir, "aspm-locked-ws", "/etc/default/grub") == \
        read(FIXTURES, "aspm_locked", "root/etc/default/grub")
    assert "aspm-locked-ws: rdna4_discrete | no reboot needed | skipped: ASPM: the firmware or kernel forbids" in first.flat_output


def test_host_without_amd_gpu_is_left_alone(provisioned):
    fleet_dir, first = provisioned.fleet_dir, provisioned.first
    assert first.recap["intel-box"]["changed"] == 0
    assert tree_differences("no_amd_gpu", os.path.join(fleet_dir, "intel-box")) == []


def test_summary_names_every_host(provisioned):
    first = provisioned.first
    for line in ("r9700-desktop: rdna4_discrete | rebooted and verified",
                 "strix-halo-128g: strix_halo | rebooted and verified",
                 "intel-box: none | no reboot needed"):
        assert line in first.flat_output


def test_second_run_changes_nothing_and_reboots_nothing(provisioned):
    fleet_dir, env = provisioned.fleet_dir, provisioned.env
    second = run_playbook(SITE, INVENTORY, env=env)
    assert second.returncode == 0, second.output[-4000:]
    assert second.changed_hosts() == [], second.output[-6000:]
    assert boot_count(fleet_dir, "r9700-desktop") == 1


def test_check_diff_on_a_drifted_fleet_reports_exactly_the_drift(provisioned):
    fleet_dir, env = provisioned.fleet_dir, provisioned.env
    drifted_policy = os.path.join(fleet_dir, "r9700-desktop", "sys/module/pcie_aspm/parameters/policy")
    with open(drifted_policy, "w") as handle:  # someone ran `echo default > .../policy`
        handle.write("[default] performance powersave powersupersave \n")
    os.unlink(os.path.join(fleet_dir, "strix-halo-128g", "etc/sysctl.d/90-inferops-llm.conf"))
    before = {host: sorted(os.listdir(os.path.join(fleet_dir, host, "etc"))) for host in os.listdir(fleet_dir)}
    check = run_playbook(SITE, INVENTORY, extra=["--check", "--diff"], env=env)
    assert check.returncode == 0, check.output[-4000:]
    assert check.changed_hosts() == ["r9700-desktop", "strix-halo-128g"], check.output[-6000:]
    assert "-policy: default\n+policy: performance" in check.output
    assert "+vm.swappiness = 1" in check.output
    with open(drifted_policy) as handle:
        assert handle.read() == "[default] performance powersave powersupersave \n"
    assert not os.path.exists(os.path.join(fleet_dir, "strix-halo-128g", "etc/sysctl.d/90-inferops-llm.conf"))
    assert before == {host: sorted(os.listdir(os.path.join(fleet_dir, host, "etc"))) for host in os.listdir(fleet_dir)}


def test_reboot_not_allowed_ends_with_the_list_of_hosts_that_need_one(fresh_fleet):
    fleet_dir, env = fresh_fleet()
    run = run_playbook(SITE, INVENTORY, extra=["-e", "inferops_reboot_allowed=false"], env=env)
    assert run.returncode == 0, run.output[-4000:]
    assert "r9700-desktop: rdna4_discrete | REBOOT NEEDED (not allowed: set inferops_reboot_allowed=true) " \
           "for: kernel command line needs pcie_aspm.policy=performance" in run.flat_output
    assert boot_count(fleet_dir, "r9700-desktop") == 0
    assert "pcie_aspm.policy=performance" not in read(fleet_dir, "r9700-desktop", "/proc/cmdline")


@pytest.mark.parametrize("bad", ["rdna4_aspm_policy=turbo", "inferops_reboot_allowed=maybe", "strix_halo_gtt_reserve_mib=lots",
                                 "inferops_host_class=gpu"])
def test_bad_inventory_values_fail_before_anything_changes(fresh_fleet, bad):
    fleet_dir, env = fresh_fleet()
    run = run_playbook(SITE, INVENTORY, extra=["-e", bad], env=env)
    assert run.returncode != 0
    assert bad.split("=")[1] in run.output
    for host, profile in (("r9700-desktop", "r9700_desktop"), ("strix-halo-128g", "strix_halo_128g")):
        assert tree_differences(profile, os.path.join(fleet_dir, host)) == []
