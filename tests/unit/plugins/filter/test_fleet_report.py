"""The fleet_report filter: what it takes from hostvars."""

from ansible_collections.inferops.amd.plugins.filter.fleet_report import fleet_report, host_facts

RESULT = {"before": {"decode_tokens_per_second": {"median": 29.3}},
          "after": {"decode_tokens_per_second": {"median": 32.46}}, "decode_delta_percent": 10.78}


def hostvars(simulated):
    return {"ansible_facts": {"inferops_amd": {"host_class": "rdna4_discrete", "simulated": simulated}},
            "inferops_run_completed": True, "inferops_benchmark_result": RESULT}


def test_the_simulated_flag_of_the_hardware_facts_reaches_the_report():
    assert host_facts(hostvars(True))["simulated"] is True
    assert host_facts(hostvars(False))["simulated"] is False
    assert host_facts({})["simulated"] is False
    report = fleet_report({"sim": hostvars(True), "real": hostvars(False)}, ["sim", "real"])
    assert report["hosts"]["sim"]["benchmark"]["summary"].endswith("(+10.8%, simulated host)")
    assert report["hosts"]["real"]["benchmark"]["summary"].endswith("(+10.8%)")
