"""site.yml against the built-in simulated fleet: provisioning, reboot, verification, idempotence."""

import collections
import json
import os

import pytest

from tests.integration.conftest import REPO, fleet_command, local_inventory, make_fleet, read_under, run_playbook
from tests.simulation.scratch_host import scratch_additions
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

    Left out: what the scratch copy adds on purpose (scratch_additions: the simulation marker, the
    simulated tools' launchers, the attribute writer) and the simulation's own logs and state.
    """
    skip = {"var/log/inferops-sim", "var/lib/inferops-sim", "var/log/udevadm.log"} | scratch_additions(profile)
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


def warning_lines(output):
    """ansible-core's warnings and deprecations as printed (`[WARNING]: ...`, `[DEPRECATION WARNING]: ...`)."""
    return [line for line in output.splitlines() if line.lstrip().startswith(("[WARNING]", "[DEPRECATION WARNING]"))]


def test_a_clean_run_warns_only_of_the_firmware_that_ignored_a_limit(provisioned):
    # The one warning is a finding about a host: zbook-ultra-g1a's firmware keeps lower power limits than the
    # ones asked for (the ryzenadj module's warning; the report lists it too). Nothing of the collection's own
    # making (an unmatched host pattern, a deprecated option, a library's deprecation) may print.
    warnings = warning_lines(provisioned.first.output)
    assert len(warnings) == 1 and warnings[0].startswith("[WARNING]: the firmware clamped "), warnings


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
    assert all(line.startswith("[WARNING]: the firmware clamped ") for line in warning_lines(second.output)), \
        warning_lines(second.output)


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
    ("inferops_reboot_allowed=maybe", "maybe"),
    ("inferops_host_class=gpu", "gpu"),
    ('{"inferops_serving": ["vllm"]}', "vllm"),
    ('{"inferops_benchmark": {"api": "ollama", "runs": "many"}}', "many")])
def test_a_bad_collection_wide_value_stops_every_host_before_anything_changes(fresh_fleet, bad, named):
    fleet_dir, env = fresh_fleet()
    run = run_playbook(SITE, INVENTORY, extra=["-e", bad], env=env)
    assert run.returncode != 0
    hosts = report(fleet_dir)["hosts"]
    assert sorted(name for name, record in hosts.items() if record["status"] == "failed") == sorted(hosts)
    record = hosts["r9700-desktop"]["failure"]
    assert record["task"] == "Check the collection-wide values"
    assert named in record["message"], record
    for host, profile in (("r9700-desktop", "r9700_desktop"), ("rx9070xt-desktop", "rx9070xt_chipset"),
                          ("strix-halo-128g", "strix_halo_128g")):
        assert tree_differences(profile, os.path.join(fleet_dir, host)) == [], host


ROLE_VALIDATION = "Validating arguments against arg spec 'main'"


@pytest.mark.parametrize("bad, named, host, profile, by_the_spec", [
    ("rdna4_aspm_policy=turbo", "turbo", "r9700-desktop", "r9700_desktop", True),
    ("strix_halo_gtt_reserve_mib=lots", "lots", "strix-halo-128g", "strix_halo_128g", True),
    ('{"strix_halo_ryzenadj_limits": {"stapm_limt": 80}}', "stapm_limt", "strix-halo-128g", "strix_halo_128g", True),
    # a range an argument spec cannot express: the role's own check, still before its first write
    ("strix_halo_gtt_reserve_mib=-4096", "-4096", "strix-halo-128g", "strix_halo_128g", False)])
def test_a_bad_role_value_stops_the_hosts_of_that_role_before_the_role_changes_anything(
        fresh_fleet, bad, named, host, profile, by_the_spec):
    fleet_dir, env = fresh_fleet()
    # Only the host under test: the other hosts' full runs would add a minute and prove nothing here.
    run = run_playbook(SITE, INVENTORY, extra=["-e", bad, "--limit", host], env=env)
    assert run.returncode != 0
    record = report(fleet_dir)["hosts"][host]["failure"]
    # the role's own argument spec refuses it when the role starts (role validation)
    assert record["task"].startswith(ROLE_VALIDATION) is by_the_spec, record
    assert named in record["message"], record
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


# The collection-wide values the fleet-wide steps read (the report folder, the reboot decision, the serving
# stacks, the class), given in each of the three forms a user gives them: site.yml imported with `vars:`
# (tests/integration/playbooks/site_with_play_vars.yml, as extensions/molecule/default/converge.yml does), the inventory,
# and -e. Each form must steer the run alike. The GPU-less host is tuned as RDNA4 and needs a reboot.
PLAY_VALUES = {"inferops_host_class": "rdna4_discrete", "inferops_reboot_allowed": False, "inferops_serving": []}


@pytest.mark.parametrize("form", ["play vars", "inventory", "extra vars"])
def test_collection_wide_values_steer_the_run_alike_from_play_vars_inventory_and_extra_vars(scratch_host, tmp_path, form):
    root = scratch_host("no_amd_gpu")
    report_dir = str(tmp_path / "report")
    values = dict(PLAY_VALUES, inferops_report_dir=report_dir)
    # The inventory allows a reboot unless it is the form under test: the play's or -e's false must win.
    inventory_values = {"inferops_reboot_allowed": "true"}
    playbook, extra = SITE, ["-e", "inferops_target=all"]
    if form == "play vars":
        playbook, extra = "tests/integration/playbooks/site_with_play_vars.yml", ["-e", "report_dir=%s" % report_dir]
    elif form == "inventory":
        inventory_values = dict((name, json.dumps(value)) for name, value in values.items())
    else:
        extra += ["-e", json.dumps(values)]
    inventory = local_inventory(tmp_path / "hosts.yml", "intel-box", root, **inventory_values)
    run = run_playbook(playbook, inventory, extra=extra)
    assert run.returncode == 0, run.output[-4000:]
    with open(os.path.join(report_dir, "report.json")) as handle:
        intel = json.load(handle)["hosts"]["intel-box"]
    assert intel["class"] == "rdna4_discrete"
    assert {"knob": "ASPM policy", "before": "default", "after": "performance", "changed": True,
            "reason": "+10.8% dense decode on an R9700 with PCIe links kept in L0 (llama.cpp discussion #21043)"} in intel["knobs"]
    assert intel["reboot"]["needed"] is True and intel["reboot"]["allowed"] is False and not intel["reboot"]["done"]
    assert "NEEDED, not allowed" in run.output
    assert "pcie_aspm.policy=performance" not in read_under(root, "/proc/cmdline")
    # no serving stack: the ollama role never ran
    assert "Ollama" not in json.dumps(intel) and "inferops.amd.ollama" not in run.output
