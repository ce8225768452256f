"""The run report of hosts that failed or could not be reached, and the drift audit of a fresh fleet."""

import json
import os

from tests.simulation import simulated_boot as simulated_kernel
from tests.integration.conftest import REPO, run_playbook
from tests.integration.test_site import tree_differences

SITE = "playbooks/site.yml"
AUDIT = "playbooks/audit.yml"
INVENTORY = "inventory/simulated"
UNREACHABLE = os.path.join(REPO, "tests", "integration", "inventory", "unreachable.yml")
TUNABLE = ["halo-arch", "r9700-desktop", "rx9070xt-desktop", "strix-halo-128g", "zbook-ultra-g1a"]


def load_report(fleet_dir):
    with open(os.path.join(fleet_dir + ".report", "report.json")) as handle:
        return json.load(handle)


def report_table(run):
    return run.output.split("TASK [Show the report]")[1].split("TASK [")[0]


def test_fresh_fleet_drifts_on_every_host_with_something_to_tune(fresh_fleet):
    fleet_dir, env = fresh_fleet()
    audit = run_playbook(AUDIT, INVENTORY, env=env)
    assert audit.returncode != 0
    hosts = load_report(fleet_dir)["hosts"]
    assert sorted(name for name, record in hosts.items() if record["status"] == "drifted") == TUNABLE
    r9700 = hosts["r9700-desktop"]
    assert "ASPM policy: default -> performance" in r9700["drift"]
    assert "reboot pending: kernel command line needs pcie_aspm.policy=performance" in r9700["drift"]
    assert hosts["intel-box"]["status"] == "clean"
    # firmware keeps ASPM: nothing the collection could change, said as a skip, not drift
    assert hosts["aspm-locked-ws"]["status"] == "clean" and hosts["aspm-locked-ws"]["skipped"]
    table = report_table(audit)
    assert "would reboot (check)" in table and "NEEDED, not allowed" not in table
    assert "drift or no answer on 5 host(s): " + ", ".join(TUNABLE) in audit.flat_output
    for host, profile in (("r9700-desktop", "r9700_desktop"), ("zbook-ultra-g1a", "strix_halo_laptop_64g")):
        tree = os.path.join(fleet_dir, host)
        # the simulation keeps its own state in var/lib/inferops-sim; the folder above it is its too
        sim_only = os.listdir(os.path.join(tree, "var/lib")) == ["inferops-sim"] if os.path.isdir(
            os.path.join(tree, "var/lib")) else False
        assert [path for path in tree_differences(profile, tree) if not (sim_only and path == "var/lib")] == []


def test_an_audit_narrowed_with_limit_still_reports_and_fails_on_drift(fresh_fleet):
    # --limit leaves out localhost, where the report play used to run alone: it matched no host, wrote
    # no report, and the audit of a drifted host exited 0.
    fleet_dir, env = fresh_fleet()
    audit = run_playbook(AUDIT, INVENTORY, env=env, extra=["--limit", "r9700-desktop"])
    assert audit.returncode != 0
    hosts = load_report(fleet_dir)["hosts"]
    assert list(hosts) == ["r9700-desktop"] and hosts["r9700-desktop"]["status"] == "drifted"
    assert "drift or no answer on 1 host(s): r9700-desktop" in audit.flat_output
    assert "r9700-desktop" in report_table(audit)


def test_failed_and_unreachable_hosts_are_in_the_report_with_the_reason(fresh_fleet):
    fleet_dir, env = fresh_fleet()
    kernel = simulated_kernel.load(os.path.join(fleet_dir, "r9700-desktop"))
    kernel.config["fail_tools"] = {"update-grub": "/etc/grub.d/10_linux: line 42: simulated failure"}
    kernel.save_config()
    run = run_playbook(SITE, INVENTORY, extra=["-i", UNREACHABLE], env=env)
    assert run.returncode != 0
    report = load_report(fleet_dir)
    hosts = report["hosts"]
    failed = hosts["r9700-desktop"]
    assert failed["status"] == "failed"
    assert failed["failure"]["task"] == "Set PCIe ASPM, now and for the next boot"
    assert "simulated failure" in failed["failure"]["message"]
    assert failed["reboot"]["done"] is False
    assert hosts["lost-node"]["status"] == "unreachable" and hosts["lost-node"]["class"] == "unknown"
    assert hosts["rx9070xt-desktop"]["status"] == "changed" and hosts["rx9070xt-desktop"]["reboot"]["verified"] is True
    assert report["summary"]["failed"] == 1 and report["summary"]["unreachable"] == 1
    table = report_table(run)
    assert "r9700-desktop      rdna4_discrete failed" in table and "Set PCIe ASPM, now and for the next boot: " in table
    assert "lost-node          unknown        unreachable" in table
    assert "failed or unreachable on 2 host(s): lost-node, r9700-desktop" in run.flat_output


REBOOTING = ("rx9070xt-desktop", "strix-halo-128g", "zbook-ultra-g1a", "halo-arch")


def run_with_a_failing_reboot(fresh_fleet, max_fail_percentage):
    """site.yml one host per reboot batch, where r9700-desktop (the first to reboot) fails its reboot.

    Its shutdown command fails as a tool of the tree does with the simulation's `fail_tools` knob: the
    simulated hosts' connection answers ansible.builtin.reboot's shutdown with that message and exit 1."""
    fleet_dir, env = fresh_fleet()
    kernel = simulated_kernel.load(os.path.join(fleet_dir, "r9700-desktop"))
    kernel.config["fail_tools"] = {"shutdown": "Failed to connect to bus: simulated failure"}
    kernel.save_config()
    run = run_playbook(SITE, INVENTORY, env=env, extra=[
        "-e", "inferops_reboot_serial=1", "-e", "inferops_reboot_max_fail_percentage=%d" % max_fail_percentage])
    assert run.returncode != 0
    hosts = load_report(fleet_dir)["hosts"]
    assert hosts["r9700-desktop"]["status"] == "failed"
    assert hosts["r9700-desktop"]["failure"]["task"] == "Reboot the host"
    assert "Failed to connect to bus: simulated failure" in hosts["r9700-desktop"]["failure"]["message"]
    assert simulated_kernel.load(os.path.join(fleet_dir, "r9700-desktop")).config.get("boot_count", 0) == 0
    return fleet_dir, run, hosts


def test_a_failed_reboot_holds_back_the_later_batches(fresh_fleet):
    fleet_dir, run, hosts = run_with_a_failing_reboot(fresh_fleet, 0)
    for name in REBOOTING:
        reboot = hosts[name]["reboot"]
        assert reboot["needed"] and not reboot["done"], (name, reboot)
        assert reboot["held"] == "the rollout stopped after r9700-desktop failed", (name, reboot)
        assert simulated_kernel.load(os.path.join(fleet_dir, name)).config.get("boot_count", 0) == 0
    assert "held, rollout stopped" in report_table(run)


def test_a_failure_share_lets_the_rollout_go_on(fresh_fleet):
    """The share is of every host of the play: 1 failure of 7 hosts is under 15% (of the 5 that reboot it is not)."""
    dummy, dummy_run, hosts = run_with_a_failing_reboot(fresh_fleet, 15)
    for name in REBOOTING:
        assert hosts[name]["reboot"]["done"] and hosts[name]["reboot"]["verified"], (name, hosts[name]["reboot"])
