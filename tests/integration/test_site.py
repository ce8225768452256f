"""site.yml against the built-in simulated fleet: provisioning, reboot, verification, idempotence."""

import collections
import json
import os

import pytest

from tests.integration.conftest import REPO, fleet_command, local_inventory, make_fleet, run_playbook
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
    hosts = {"r9700-desktop", "rx9070xt-desktop", "strix-halo-128g", "zbook-ultra-g1a", "halo-arch", "aspm-locked-ws",
             "intel-box"}
    assert set(first.recap) - {"localhost"} == hosts


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
    assert os.path.isfile(os.path.join(fleet_dir, "strix-halo-128g", "run/tuned/tuned.pid"))


def report(fleet_dir):
    with open(os.path.join(fleet_dir + ".report", "report.json")) as handle:
        return json.load(handle)


def test_firmware_locked_host_is_reported_not_rebooted(provisioned):
    fleet_dir = provisioned.fleet_dir
    assert boot_count(fleet_dir, "aspm-locked-ws") == 0
    assert read(fleet_dir, "aspm-locked-ws", "/etc/default/grub") == \
        read(FIXTURES, "aspm_locked", "root/etc/default/grub")
    locked = report(fleet_dir)["hosts"]["aspm-locked-ws"]
    assert locked["status"] == "ok"
    assert locked["reboot"]["needed"] is False and locked["reboot"]["reasons"] == []
    assert locked["skipped"][0].startswith("ASPM: the firmware or kernel forbids")


def test_host_without_amd_gpu_is_left_alone(provisioned):
    fleet_dir, first = provisioned.fleet_dir, provisioned.first
    assert first.recap["intel-box"]["changed"] == 0
    assert tree_differences("no_amd_gpu", os.path.join(fleet_dir, "intel-box")) == []


def test_report_names_every_host_with_its_changes_and_reboot(provisioned):
    hosts = report(provisioned.fleet_dir)["hosts"]
    assert set(hosts) == set(provisioned.first.recap) - {"localhost"}
    r9700 = hosts["r9700-desktop"]
    assert r9700["status"] == "changed" and r9700["class"] == "rdna4_discrete"
    assert {"knob": "ASPM policy", "before": "default", "after": "performance", "changed": True,
            "reason": "+10.8% dense decode on an R9700 with PCIe links kept in L0 (llama.cpp discussion #21043)"} in r9700["knobs"]
    assert r9700["reboot"] == {"needed": True, "reasons": ["kernel command line needs pcie_aspm.policy=performance"],
                               "allowed": True, "done": True, "held": None, "verified": True, "check_mode": False}
    assert hosts["intel-box"]["status"] == "ok" and hosts["intel-box"]["knobs"] == []
    zbook = hosts["zbook-ultra-g1a"]
    assert "RyzenAdj: slow_limit: the firmware keeps 70 W (requested 85)" in zbook["warnings"]
    assert "tuned is not installed: profile accelerator-performance not selected" in hosts["halo-arch"]["warnings"]
    # the recording has a profile file and no daemon: a preset, switched (and the daemon started)
    assert {"knob": "tuned profile", "before": "balanced (preset, tuned not running)", "after": "accelerator-performance",
            "changed": True, "reason": "+5-8% prompt processing (strix-halo-optimizations log 1.1)"} in hosts["strix-halo-128g"]["knobs"]
    ollama = [item for item in hosts["rx9070xt-desktop"]["knobs"] if item["knob"] == "Ollama backend"]
    assert ollama[0]["after"] == "vulkan" and ollama[0]["note"].startswith("verified: Radeon RX 9070 / 9070 XT / 9070 GRE (Navi 48) (Vulkan)")
    table = provisioned.first.output.split("TASK [Show the report]")[1].split("TASK [")[0]
    assert "r9700-desktop      rdna4_discrete changed     rebooted+verified" in table
    assert len([line for line in table.splitlines() if line.strip()]) <= 2 * 10 + 4
    with open(os.path.join(provisioned.fleet_dir + ".report", "report.md")) as handle:
        assert "- ASPM policy: default -> performance (+10.8% dense decode" in handle.read()


def test_second_run_changes_nothing_and_reboots_nothing(provisioned):
    fleet_dir, env = provisioned.fleet_dir, provisioned.env
    fleet_command("stop", env)  # what `make demo` does at its end: power the fleet off
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
    assert "REBOOT NEEDED on 5 host(s), not allowed: set inferops_reboot_allowed=true" in run.output
    r9700 = report(fleet_dir)["hosts"]["r9700-desktop"]["reboot"]
    assert r9700["needed"] is True and r9700["allowed"] is False and r9700["done"] is False
    assert r9700["reasons"] == ["kernel command line needs pcie_aspm.policy=performance"]
    assert boot_count(fleet_dir, "r9700-desktop") == 0
    assert "pcie_aspm.policy=performance" not in read(fleet_dir, "r9700-desktop", "/proc/cmdline")


@pytest.mark.parametrize("bad, named", [
    ("rdna4_aspm_policy=turbo", "turbo"),
    ("inferops_reboot_allowed=maybe", "inferops_reboot_allowed must be true or false (got maybe)"),
    ("strix_halo_gtt_reserve_mib=lots", "lots"),
    ("strix_halo_gtt_reserve_mib=-4096", "strix_halo_gtt_reserve_mib must be a whole number of MiB, 0 or more (got -4096)"),
    ('{"strix_halo_ryzenadj_limits": {"stapm_limt": 80}}', "stapm_limt"),
    ("inferops_host_class=gpu", "inferops_host_class must be one of rdna4_discrete, strix_halo, none (got gpu)")])
def test_bad_inventory_values_fail_before_anything_changes(fresh_fleet, bad, named):
    fleet_dir, env = fresh_fleet()
    run = run_playbook(SITE, INVENTORY, extra=["-e", bad], env=env)
    assert run.returncode != 0
    assert named in run.flat_output
    # Only the bad value is named, not every check there is.
    record = report(fleet_dir)["hosts"]["r9700-desktop"]["failure"]
    failure = record["message"]
    assert failure.count(" must be ") <= 1, failure
    # the facts play's one stopping task, not the unreachable branch of it
    assert record["task"] == "Stop a host with a bad inventory value, or one that did not answer"
    assert failure.startswith("bad inventory value on r9700-desktop: "), failure
    for host, profile in (("r9700-desktop", "r9700_desktop"), ("strix-halo-128g", "strix_halo_128g")):
        assert tree_differences(profile, os.path.join(fleet_dir, host)) == []


def test_audit_finds_exactly_the_drift_left_by_the_check_run(provisioned):
    # runs after test_check_diff_on_a_drifted_fleet_reports_exactly_the_drift, which drifted two hosts
    fleet_dir, env = provisioned.fleet_dir, provisioned.env
    audit = run_playbook("playbooks/audit.yml", INVENTORY, env=dict(env, INFEROPS_REPORT_DIR=fleet_dir + ".audit"))
    assert audit.returncode != 0
    with open(os.path.join(fleet_dir + ".audit", "report.json")) as handle:
        hosts = json.load(handle)["hosts"]
    assert sorted(name for name, record in hosts.items() if record["status"] != "clean") == \
        ["r9700-desktop", "strix-halo-128g"]
    assert "ASPM policy: default -> performance" in hosts["r9700-desktop"]["drift"]


def test_values_set_for_the_play_steer_the_fleet_wide_tasks(scratch_host, tmp_path):
    # site.yml imported with `vars:` (the VM scenario does this): the class, the serving stacks and
    # whether a reboot is allowed are play values there, not in hostvars; the grouping, the reboot
    # decision and the report must still see them (the GPU-less host is tuned as RDNA4, no reboot).
    root = scratch_host("no_amd_gpu")
    inventory = local_inventory(tmp_path / "hosts.yml", "intel-box", root, inferops_reboot_allowed="true",
                                inferops_report_dir=str(tmp_path / "report"))
    run = run_playbook("tests/integration/playbooks/site_with_play_vars.yml", inventory)
    assert run.returncode == 0, run.output[-4000:]
    with open(str(tmp_path / "report" / "report.json")) as handle:
        intel = json.load(handle)["hosts"]["intel-box"]
    assert intel["class"] == "rdna4_discrete"
    assert {"knob": "ASPM policy", "before": "default", "after": "performance", "changed": True,
            "reason": "+10.8% dense decode on an R9700 with PCIe links kept in L0 (llama.cpp discussion #21043)"} in intel["knobs"]
    # the play's inferops_reboot_allowed: false wins over the inventory's true
    assert intel["reboot"]["needed"] is True and intel["reboot"]["allowed"] is False and not intel["reboot"]["done"]
    assert "Ollama" not in json.dumps(intel)
