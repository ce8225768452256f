"""site.yml on a user's own inventory that sets none of the collection-wide values.

A fleet of the user's own (``-i host1,host2 -e inferops_target=all``) names its
hosts and how to reach them, nothing else: no host class, serving stacks, Ollama
switch, benchmark or reboot permission. site.yml then runs on the defaults of
docs/site.md.
"""

import json

from tests.integration.conftest import run_playbook

# Only what it takes to reach a tree: the connection, the machine root and the Python to run modules with.
HOST = """    {name}:
      ansible_connection: local
      ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
      inferops_sysroot: {root}
"""


def test_site_runs_on_an_inventory_without_collection_wide_values(scratch_host, tmp_path):
    hosts = {"gpu-box": scratch_host("r9700_desktop"), "plain-box": scratch_host("no_amd_gpu")}
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n" + "".join(HOST.format(name=name, root=root) for name, root in hosts.items()))
    run = run_playbook("playbooks/site.yml", str(inventory),
                       extra=["-e", "inferops_target=all", "-e", "inferops_report_dir=%s" % (tmp_path / "report")],
                       env={"INFEROPS_SIMULATION": "1"})
    assert "No key/value pairs provided" not in run.output
    assert run.returncode == 0, run.output[-4000:]
    assert run.failed_hosts() == []
    with open(str(tmp_path / "report" / "report.json")) as handle:
        report = json.load(handle)["hosts"]
    # The classes come from the facts, and without inferops_reboot_allowed the reboot is only asked for.
    gpu, plain = report["gpu-box"], report["plain-box"]
    assert gpu["class"] == "rdna4_discrete" and plain["class"] == "none"
    assert {"knob": "ASPM policy", "before": "default", "after": "performance", "changed": True,
            "reason": "+10.8% dense decode on an R9700 with PCIe links kept in L0 (llama.cpp discussion #21043)"} in gpu["knobs"]
    assert gpu["reboot"]["needed"] is True and gpu["reboot"]["allowed"] is False and gpu["reboot"]["done"] is False
    assert plain["status"] == "ok" and plain["knobs"] == []
