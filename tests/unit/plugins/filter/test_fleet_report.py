"""The fleet_report filter: what it takes from hostvars (what the run did, never an input value)."""

from ansible_collections.inferops.amd.plugins.filter.fleet_report import fleet_report, host_facts

RESULT = {"before": {"decode_tokens_per_second": {"median": 29.3}},
          "after": {"decode_tokens_per_second": {"median": 32.46}}, "decode_delta_percent": 10.78}


def hostvars(sysroot="/", **extra):
    variables = {"ansible_facts": {"inferops_amd": {"host_class": "strix_halo", "sysroot": sysroot}},
                 "group_names": ["inference_nodes", "inferops_rdna4_discrete", "inferops_serves_ollama"],
                 "inferops_run_completed": True, "inferops_benchmark_result": RESULT,
                 "inferops_reboot_decision": {"reasons": [], "allowed": True, "reboot": False}}
    variables.update(extra)
    return variables


def test_the_class_is_the_group_the_facts_play_put_the_host_in():
    # inferops_host_class (say, a play variable) put this Strix Halo in the RDNA4 group: the run tuned it so
    assert host_facts(hostvars())["class"] == "rdna4_discrete"
    assert host_facts(hostvars(group_names=["inferops_none"]))["class"] == "none"
    # a host the facts play never grouped (not reached, a bad value) has no class
    assert host_facts(hostvars(group_names=["inference_nodes"]))["class"] is None
    assert host_facts({})["class"] is None


def test_reboot_allowed_comes_from_the_reboot_decision_of_the_run_not_from_the_input_value():
    assert host_facts(hostvars())["reboot_allowed"] is True
    decided_no = hostvars(inferops_reboot_decision={"reasons": ["x"], "allowed": False, "reboot": False},
                          inferops_reboot_allowed=True)
    assert host_facts(decided_no)["reboot_allowed"] is False
    # no decision (the host failed before it): none, whatever the inventory says
    undecided = hostvars(inferops_reboot_allowed=True)
    del undecided["inferops_reboot_decision"]
    assert host_facts(undecided)["reboot_allowed"] is None
    assert host_facts(hostvars(inferops_reboot_decision={"allowed": "true"}))["reboot_allowed"] is True


def test_the_root_of_the_facts_marks_a_benchmark_measured_on_no_running_machine():
    assert host_facts(hostvars("/srv/fleet/a"))["sysroot"] == "/srv/fleet/a"
    report = fleet_report({"tree": hostvars("/srv/fleet/a"), "real": hostvars("/")}, ["tree", "real"])
    assert report["hosts"]["tree"]["benchmark"]["summary"].endswith("(+10.8%, not a running machine)")
    assert report["hosts"]["real"]["benchmark"]["summary"].endswith("(+10.8%)")
