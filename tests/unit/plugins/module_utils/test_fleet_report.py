"""The fleet run report: statuses, reboot wording, drift, the benchmark line, the table's size."""

from ansible_collections.inferops.amd.plugins.module_utils import fleet_report

ASPM = {"knob": "ASPM policy", "before": "default", "after": "performance", "changed": True, "reason": "+10.8%"}
ARG = {"knob": "kernel argument", "before": "-", "after": "pcie_aspm.policy=performance", "changed": True, "reason": "x"}
NEEDS_REBOOT = {"knobs": [ASPM, ARG], "reboot": {"needed": True, "reasons": ["kernel command line needs pcie_aspm.policy=performance"]},
                "warnings": [], "skipped": [], "verified": None, "verify_failures": []}
BENCHMARK = {"api": "ollama", "model": "qwen3:8b",
             "before": {"decode_tokens_per_second": {"median": 29.3, "min": 29.1, "max": 29.5},
                        "prompt_tokens_per_second": {"median": 900.0, "min": 880.0, "max": 910.0}},
             "after": {"decode_tokens_per_second": {"median": 32.46, "min": 32.2, "max": 32.6},
                       "prompt_tokens_per_second": {"median": 905.0, "min": 890.0, "max": 915.0}},
             "decode_delta_percent": 10.78, "verdict": "KEEP"}


def facts(**extra):
    base = {"class": "rdna4_discrete", "reached": True, "completed": True, "reboot_allowed": True}
    base.update(extra)
    return base


def test_benchmark_line_has_the_shape_the_report_shows():
    assert fleet_report.benchmark_text(BENCHMARK) == "decode 29.3 -> 32.5 tok/s (+10.8%)"


def test_benchmark_line_computes_the_delta_when_missing_and_shows_a_loss():
    result = dict(BENCHMARK, decode_delta_percent=None)
    result["after"] = {"decode_tokens_per_second": {"median": 27.0}}
    assert fleet_report.benchmark_text(result) == "decode 29.3 -> 27.0 tok/s (-7.8%)"


def test_benchmark_is_left_out_when_absent_or_incomplete():
    assert fleet_report.benchmark_text(None) is None
    assert fleet_report.benchmark_text({"before": {}}) is None
    record = fleet_report.host_record(facts())
    assert "benchmark" not in record


def test_benchmark_field_in_the_record():
    record = fleet_report.host_record(facts(benchmark=BENCHMARK))
    assert record["benchmark"]["summary"] == "decode 29.3 -> 32.5 tok/s (+10.8%)"
    assert record["benchmark"]["verdict"] == "KEEP"


def test_statuses():
    assert fleet_report.host_record(facts(rdna4_report=NEEDS_REBOOT))["status"] == "changed"
    assert fleet_report.host_record(facts())["status"] == "ok"
    failure = {"task": "Set PCIe ASPM, now and for the next boot", "message": "update-grub failed"}
    assert fleet_report.host_record(facts(failure=failure))["status"] == "failed"
    assert fleet_report.host_record(facts(failure=dict(failure, unreachable=True)))["status"] == "unreachable"
    assert fleet_report.host_record(facts(reached=False, completed=False))["status"] == "unreachable"
    assert fleet_report.host_record(facts(completed=False))["status"] == "unreachable"


def test_reboot_wording_follows_allowed_and_check_mode():
    allowed_check = fleet_report.host_record(facts(rdna4_report=NEEDS_REBOOT), check_mode=True)
    assert fleet_report.reboot_text(allowed_check["reboot"]) == "would reboot (check)"
    refused = fleet_report.host_record(facts(rdna4_report=NEEDS_REBOOT, reboot_allowed=False), check_mode=True)
    assert fleet_report.reboot_text(refused["reboot"]) == "NEEDED, not allowed"
    done = fleet_report.host_record(facts(rdna4_report=dict(NEEDS_REBOOT, verified=True), rebooted=True))
    assert fleet_report.reboot_text(done["reboot"]) == "rebooted+verified"
    lost = fleet_report.host_record(facts(rdna4_report=dict(NEEDS_REBOOT, verified=False), rebooted=True))
    assert fleet_report.reboot_text(lost["reboot"]) == "rebooted, NOT VERIFIED"
    held = fleet_report.host_record(facts(rdna4_report=NEEDS_REBOOT, held="the rollout stopped after a failed"))
    assert held["reboot"]["held"] == "the rollout stopped after a failed"
    assert fleet_report.reboot_text(held["reboot"]) == "held, rollout stopped"
    assert fleet_report.host_record(facts(rdna4_report=NEEDS_REBOOT))["reboot"]["held"] is None


def test_audit_lists_drift_and_fails_for_drift_failures_and_silence():
    report = fleet_report.fleet_report({"a": facts(rdna4_report=NEEDS_REBOOT), "b": facts(), "c": facts(reached=False)},
                                       mode="audit")
    assert report["check_mode"] is True
    assert report["hosts"]["a"]["status"] == "drifted"
    assert report["hosts"]["a"]["drift"] == ["ASPM policy: default -> performance",
                                             "kernel argument: - -> pcie_aspm.policy=performance",
                                             "reboot pending: kernel command line needs pcie_aspm.policy=performance"]
    assert report["hosts"]["b"]["status"] == "clean" and report["hosts"]["b"]["drift"] == []
    assert fleet_report.problem_hosts(report) == ["a", "c"]


def test_ollama_report_becomes_a_knob_with_its_verification():
    ollama = {"backend_requested": "vulkan", "backend_before": "auto", "backend_after": "vulkan", "verified": True,
              "devices": ["AMD Radeon RX 9070 XT (RADV GFX1201)"], "warnings": ["w"], "reason": "seeds/003"}
    record = fleet_report.host_record(facts(ollama_report=ollama))
    assert record["knobs"] == [{"knob": "Ollama backend", "before": "auto", "after": "vulkan", "changed": True,
                                "reason": "seeds/003", "note": "verified: AMD Radeon RX 9070 XT (RADV GFX1201)"}]
    assert record["warnings"] == ["w"]


def test_ten_hosts_fit_one_screen():
    hosts = dict(("node-%02d" % n, facts(rdna4_report=dict(NEEDS_REBOOT, warnings=["a long warning " * 20]),
                                         reboot_allowed=False)) for n in range(10))
    text = fleet_report.table(fleet_report.fleet_report(hosts))
    lines = text.splitlines()
    assert len(lines) <= 24
    assert max(len(line) for line in lines) <= fleet_report.TABLE_WIDTH
    assert lines[-1] == "REBOOT NEEDED on 10 host(s), not allowed: set inferops_reboot_allowed=true"
    assert "+pcie_aspm.policy=performance" in lines[1]


def test_markdown_carries_every_knob_with_its_reason_and_the_failure():
    report = fleet_report.fleet_report({"a": facts(rdna4_report=NEEDS_REBOOT),
                                        "b": facts(failure={"task": "T", "message": "broke | badly"})})
    text = fleet_report.markdown(report)
    assert "- ASPM policy: default -> performance (+10.8%)" in text
    assert "- failed in task `T`: broke \\| badly" in text
    assert "| b | rdna4_discrete | failed | - | T: broke \\| badly |" in text
