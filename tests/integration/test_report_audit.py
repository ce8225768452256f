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
    assert failed["failure"]["task"] == "Put the ASPM policy on the kernel command line"
    assert "simulated failure" in failed["failure"]["message"]
    assert failed["reboot"]["done"] is False
    assert hosts["lost-node"]["status"] == "unreachable" and hosts["lost-node"]["class"] == "unknown"
    assert hosts["rx9070xt-desktop"]["status"] == "changed" and hosts["rx9070xt-desktop"]["reboot"]["verified"] is True
    assert report["summary"]["failed"] == 1 and report["summary"]["unreachable"] == 1
    table = report_table(run)
    assert "r9700-desktop      rdna4_discrete failed" in table and "Put the ASPM policy on the kernel command line: " in table
    assert "lost-node          unknown        unreachable" in table
    assert "failed or unreachable on 2 host(s): lost-node, r9700-desktop" in run.flat_output
