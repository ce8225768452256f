"""The fleet run report: statuses, reboot wording, drift, the benchmark line, the table's size."""

from ansible_collections.inferops.amd.plugins.plugin_utils import fleet_report

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
              "devices": ["AMD Radeon RX 9070 XT (RADV GFX1201)"], "warnings": ["w"], "reason": "RX 9070 XT Ollama article"}
    record = fleet_report.host_record(facts(ollama_report=ollama))
    assert record["knobs"] == [{"knob": "Ollama backend", "before": "auto", "after": "vulkan", "changed": True,
                                "reason": "RX 9070 XT Ollama article", "note": "verified: AMD Radeon RX 9070 XT (RADV GFX1201)"}]
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


# The skipped_reason pcie_aspm gives on a firmware-locked host (the demo's aspm-locked-ws), as the role reports it.
LOCKED = ("ASPM: the firmware or kernel forbids ASPM changes on this host (writing 'performance' to "
          "/sys/module/pcie_aspm/parameters/policy failed: EPERM, operation not permitted (the kernel or firmware "
          "forbids this change)); boot with OS ASPM control or leave the policy to the firmware")
NO_OLLAMA = "Ollama is not installed and there is nothing to install it from"


def _locked_host_table():
    locked = {"knobs": [], "reboot": {"needed": False, "reasons": []}, "warnings": [], "skipped": [LOCKED]}
    ollama = {"backend_requested": "vulkan", "backend_before": None, "backend_after": None, "verified": None,
              "devices": [], "warnings": [NO_OLLAMA], "reason": "r"}
    hosts = {"aspm-locked-ws": facts(rdna4_report=locked, ollama_report=ollama)}
    return fleet_report.table(fleet_report.fleet_report(hosts))


def test_a_long_note_keeps_its_essential_part_and_no_word_is_cut():
    lines = _locked_host_table().splitlines()
    note = lines[2]
    assert "ASPM: the firmware or kernel forbids ASPM changes on this host" in note
    assert NO_OLLAMA in note
    assert max(len(line) for line in lines) <= fleet_report.TABLE_WIDTH
    words = set(" ".join([LOCKED, NO_OLLAMA]).split())
    shown = note.replace("|", " ").replace("!", " ").split()
    # every word shown is a whole word of the notes (a "..." only after a whole word)
    assert all(word.rstrip(".") in words or word.rstrip(".") + "." in words or word == "..." for word in shown), shown
    assert "full text in report.md" in lines[-1]


def test_notes_that_fit_are_shown_whole_with_no_pointer_to_report_md():
    record = dict(NEEDS_REBOOT, warnings=["tuned is not installed"])
    text = fleet_report.table(fleet_report.fleet_report({"a": facts(rdna4_report=record)}))
    assert "! tuned is not installed" in text and "report.md" not in text


def test_a_text_without_room_is_cut_after_a_whole_word():
    assert fleet_report.shorten("forbids ASPM changes on this host", 28) == "forbids ASPM changes on..."
    assert fleet_report.shorten("short", 28) == "short"
    assert fleet_report.shorten("averyveryverylongname", 10) == "averyve..."


def test_a_host_without_a_reboot_decision_is_not_said_to_lack_the_permission():
    """A host that failed before the run's reboot decision: no `NEEDED, not allowed` and no footer for it."""
    undecided = facts(rdna4_report=NEEDS_REBOOT, reboot_allowed=None,
                      failure={"task": "Set PCIe ASPM, now and for the next boot", "message": "update-grub failed"})
    report = fleet_report.fleet_report({"a": undecided}, check_mode=True)
    assert report["hosts"]["a"]["reboot"]["allowed"] is None
    assert fleet_report.reboot_text(report["hosts"]["a"]["reboot"]) == "needed, not done"
    assert "not allowed" not in fleet_report.table(report) and "not allowed" not in fleet_report.markdown(report)


def test_a_benchmark_gain_is_not_shown_as_a_warning():
    text = fleet_report.table(fleet_report.fleet_report({"a": facts(benchmark=BENCHMARK)}))
    (note,) = [line for line in text.splitlines() if "tok/s" in line]
    assert "!" not in note
    assert note.split() == ["benchmark:", "decode", "29.3", "->", "32.5", "tok/s", "(+10.8%)"]


def test_a_benchmark_on_a_host_tuned_through_a_tree_says_it_measured_no_running_machine():
    report = fleet_report.fleet_report({"tree": facts(benchmark=BENCHMARK, sysroot="/srv/fleet/r9700"),
                                        "real": facts(benchmark=BENCHMARK, sysroot="/"),
                                        "unread": facts(benchmark=BENCHMARK)})
    assert report["hosts"]["tree"]["sysroot"] == "/srv/fleet/r9700" and report["hosts"]["real"]["sysroot"] == "/"
    assert report["hosts"]["tree"]["benchmark"]["summary"] == "decode 29.3 -> 32.5 tok/s (+10.8%, not a running machine)"
    assert report["hosts"]["real"]["benchmark"]["summary"] == "decode 29.3 -> 32.5 tok/s (+10.8%)"
    assert report["hosts"]["unread"]["benchmark"]["summary"] == "decode 29.3 -> 32.5 tok/s (+10.8%)"
    assert "benchmark: decode 29.3 -> 32.5 tok/s (+10.8%, not a running machine)" in fleet_report.table(report)
    assert "- benchmark: decode 29.3 -> 32.5 tok/s (+10.8%, not a running machine)" in fleet_report.markdown(report)
    assert "simulated" not in str(report)


def test_report_md_names_a_missing_ollama_instead_of_none():
    ollama = {"backend_requested": "vulkan", "backend_before": None, "backend_after": None, "verified": None,
              "devices": [], "warnings": [NO_OLLAMA], "reason": "Vulkan: +9.8% through Ollama"}
    text = fleet_report.markdown(fleet_report.fleet_report({"a": facts(ollama_report=ollama)}))
    assert "None" not in text
    assert "- Ollama backend: not installed, unchanged (Vulkan: +9.8% through Ollama) - requested vulkan" in text


def test_report_md_shows_an_unchanged_knob_once_and_a_change_as_before_and_after():
    same = dict(ASPM, before="performance", changed=False)
    text = fleet_report.markdown(fleet_report.fleet_report({"a": facts(rdna4_report=dict(NEEDS_REBOOT, knobs=[ASPM, same]))}))
    assert "- ASPM policy: default -> performance (+10.8%)" in text
    assert "- ASPM policy: performance, unchanged (+10.8%)" in text


def test_a_long_failure_is_cut_after_a_whole_word_and_report_md_has_it_whole():
    message = "update-grub failed (exit 1): /etc/default/grub: line 12: unexpected token near the quoted word " * 2
    report = fleet_report.fleet_report({"a": facts(failure={"task": "Set PCIe ASPM", "message": message})})
    row, footer = fleet_report.table(report).splitlines()[1:]
    last = row[:-3].split()[-1]
    assert row.endswith("...") and any(word.rstrip(",;:(") == last for word in message.split()), row
    assert footer.endswith("(notes shortened; full text in report.md)")
    assert " ".join(message.split()) in fleet_report.markdown(report)


def test_what_a_host_is_not_ready_for_shows_in_the_table_and_report_md():
    missing = ("the kernel lacks the gfx1151 CWSR fix, and ROCm work can hang (6.17.7: KFD node 1 has no cwsr_size and "
               "ctl_stack_size; 6.12.64, 6.18.4, 6.19 and later have them)")
    hosts = {"halo": {"reached": True, "completed": True, "class": "strix_halo", "not_ready": [missing]},
             "card": {"reached": True, "completed": True, "class": "rdna4_discrete"}}
    report = fleet_report.fleet_report(hosts)
    assert report["hosts"]["halo"]["not_ready"] == [missing] and report["hosts"]["card"]["not_ready"] == []
    lines = fleet_report.table(report).splitlines()
    # the table keeps the part before the parenthesis, report.md the whole sentence
    assert lines[lines.index([line for line in lines if line.startswith("halo")][0]) + 1].strip() == (
        "! not ready: the kernel lacks the gfx1151 CWSR fix, and ROCm work can hang")
    assert "- not ready: " + missing in fleet_report.markdown(report)
