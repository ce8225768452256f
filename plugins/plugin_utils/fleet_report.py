# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet run report: one record per host of the play, reachable or not, and its renderings.

Input per host (:func:`host_record`) is what the playbook knows about it after
the run: the class, the roles' published reports (``rdna4_report``,
``strix_halo_report``, ``ollama_report``), the failure recorded when a task
failed, whether the host was reached and got to the end, the root its facts were
read from, the reboot decision of the run and the optional
``inferops_benchmark_result``.  The schema of the result is documented in
docs/report.md; :data:`SCHEMA_VERSION` changes when a field changes meaning.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SCHEMA_VERSION = 2
ROLE_REPORTS = ("rdna4_report", "strix_halo_report")
NOT_ALLOWED = "not allowed: set inferops_reboot_allowed=true"
NOT_INSTALLED = "not installed"
NOT_A_MACHINE = "not a running machine"
TABLE_WIDTH = 150
SHORTENED = "(notes shortened; full text in report.md)"


def describe_device(device):
    """``name (library)`` for the ollama role's device dicts; older reports carried plain strings."""
    if isinstance(device, dict):
        return "%s (%s)" % (device.get("name", "?"), device.get("library", "?"))
    return str(device)


def on_a_tree(sysroot):
    """Whether the host was tuned through a machine tree (a root other than ``/``), not as a running machine."""
    return sysroot not in (None, "", "/")


def benchmark_text(result, tree=False):
    """``decode 29.3 -> 32.5 tok/s (+10.8%)`` from an ``inferops_benchmark_result``; None without one.

    On a host tuned through a tree (``tree``) the figures come from whatever served them for the tree,
    not from the machine's GPU, and the text says so: ``(+10.8%, not a running machine)``."""
    if not isinstance(result, dict):
        return None
    try:
        before = float(result["before"]["decode_tokens_per_second"]["median"])
        after = float(result["after"]["decode_tokens_per_second"]["median"])
    except (KeyError, TypeError, ValueError):
        return None
    delta = result.get("decode_delta_percent")
    if delta is None and before:
        delta = (after - before) / before * 100.0
    text = "decode %.1f -> %.1f tok/s" % (before, after)
    marks = [] if delta is None else ["%+.1f%%" % float(delta)]
    if tree:
        marks.append(NOT_A_MACHINE)
    return text + (" (%s)" % ", ".join(marks) if marks else "")


def ollama_items(report):
    """The Ollama role's ``ollama_report`` as knob items and warnings."""
    if not isinstance(report, dict) or not report:
        return [], []
    # The role reports null for both when the host has no Ollama and nothing to install it from.
    after = report.get("backend_after") or NOT_INSTALLED
    before = report.get("backend_before") or (NOT_INSTALLED if after == NOT_INSTALLED else "unknown")
    verified = report.get("verified")
    note = None
    if verified is False:
        note = "not verified"
    elif verified and report.get("devices"):
        note = "verified: %s" % ", ".join(describe_device(d) for d in report["devices"])
    item = {"knob": "Ollama backend", "before": before, "after": after,
            "changed": before != after, "reason": report.get("reason") or ""}
    if report.get("backend_requested") and report.get("backend_requested") != report.get("backend_after"):
        item["note"] = "requested %s" % report["backend_requested"]
    elif note:
        item["note"] = note
    return [item], list(report.get("warnings") or [])


def _reboot(roles, facts, check_mode):
    reasons = []
    for report in roles:
        reasons += (report.get("reboot") or {}).get("reasons", [])
    verified = None
    done = bool(facts.get("rebooted"))
    if done:
        verified = all(report.get("verified") is not False for report in roles)
    # None: the run made no reboot decision for the host (it failed before the decision).
    allowed = facts.get("reboot_allowed")
    return {"needed": bool(reasons), "reasons": reasons, "allowed": None if allowed is None else bool(allowed),
            "done": done, "held": None if done else (facts.get("held") or None), "verified": verified,
            "check_mode": bool(check_mode)}


def _status(failure, reached, completed, knobs, reboot, mode):
    if failure:
        return "unreachable" if str(failure.get("unreachable")).lower() in ("true", "1") else "failed"
    if not reached or not completed:
        return "unreachable"
    touched = any(item["changed"] for item in knobs) or reboot["done"]
    if mode == "audit":
        return "drifted" if touched or reboot["needed"] else "clean"
    return "changed" if touched else "ok"


def drift_items(knobs, reboot):
    """What differs from the wanted state: each knob that would change, and a pending reboot."""
    drift = ["%s: %s -> %s" % (item["knob"], item["before"], item["after"]) for item in knobs if item["changed"]]
    if reboot["needed"]:
        drift += ["reboot pending: %s" % reason for reason in reboot["reasons"]]
    return drift


def host_record(facts, mode="site", check_mode=False):
    """The report of one host from what the play knows about it (see the module docstring)."""
    roles = [facts[name] for name in ROLE_REPORTS if isinstance(facts.get(name), dict)]
    knobs, warnings, skipped = [], [], []
    for report in roles:
        knobs += report.get("knobs", [])
        warnings += report.get("warnings", [])
        skipped += report.get("skipped", [])
        warnings += ["verification: %s" % failure for failure in report.get("verify_failures", [])]
    ollama_knobs, ollama_warnings = ollama_items(facts.get("ollama_report"))
    knobs += ollama_knobs
    warnings += ollama_warnings
    reboot = _reboot(roles, facts, check_mode)
    failure = facts.get("failure") or None
    record = {
        "class": facts.get("class") or "unknown",
        "status": _status(failure, facts.get("reached"), facts.get("completed"), knobs, reboot, mode),
        "failure": failure,
        "knobs": knobs,
        "reboot": reboot,
        "warnings": warnings,
        "skipped": skipped,
        "sysroot": facts.get("sysroot"),
        "not_ready": list(facts.get("not_ready") or []),
    }
    if mode == "audit":
        record["drift"] = drift_items(knobs, reboot)
    bench = benchmark_text(facts.get("benchmark"), on_a_tree(record["sysroot"]))
    if bench:
        record["benchmark"] = dict(facts["benchmark"], summary=bench)
    return record


def fleet_report(hosts, mode="site", check_mode=False):
    """``{"schema", "mode", "check_mode", "summary", "hosts"}`` from ``{host: facts}``."""
    check_mode = check_mode or mode == "audit"  # the audit runs the roles in check mode
    records = dict((name, host_record(facts, mode, check_mode)) for name, facts in hosts.items())
    counts = {}
    for record in records.values():
        counts[record["status"]] = counts.get(record["status"], 0) + 1
    return {"schema": SCHEMA_VERSION, "mode": mode, "check_mode": bool(check_mode),
            "summary": counts, "hosts": records}


def problem_hosts(report):
    """Hosts an audit must fail for: drifted, failed or not checked."""
    return sorted(name for name, record in report["hosts"].items()
                  if record["status"] in ("drifted", "failed", "unreachable"))


def reboot_text(reboot):
    if reboot.get("done"):
        return "rebooted+verified" if reboot.get("verified") else "rebooted, NOT VERIFIED"
    if not reboot.get("needed"):
        return "-"
    if reboot.get("allowed") is None:
        return "needed, not done"
    if not reboot.get("allowed"):
        return "NEEDED, not allowed"
    if reboot.get("check_mode"):
        return "would reboot (check)"
    if reboot.get("held"):
        return "held, rollout stopped"
    return "needed, not done"


def knob_change(item):
    """``ASPM policy default->performance``; kernel arguments as ``+arg`` / ``-arg``."""
    if item["knob"] == "kernel argument":
        return "+%s" % item["after"] if item["before"] == "-" else "-%s" % item["before"]
    return "%s %s->%s" % (item["knob"], item["before"], item["after"])


def change_text(record):
    if record["failure"]:
        failure = record["failure"]
        return "%s: %s" % (failure.get("task") or "?", failure.get("message") or "")
    if record["status"] == "unreachable":
        return (record.get("failure") or {}).get("message") or "host not reached or lost during the run"
    items = [knob_change(item) for item in record["knobs"] if item["changed"]]
    if record.get("drift") is not None and record["reboot"]["needed"]:
        items.append("reboot pending")
    return "; ".join(items) or ("no drift" if "drift" in record else "no changes")


def shorten(text, width):
    """``text`` on one line of at most ``width`` characters, cut after a whole word and marked ``...``.

    A single word longer than ``width`` (a host name) is cut inside, as nothing else fits."""
    text = " ".join(str(text).split())
    width = max(4, width)
    if len(text) <= width:
        return text
    head = text[:width - 3]
    if text[width - 3] != " " and " " in head:
        head = head[:head.rindex(" ")]
    return head.rstrip(" ,;:(|") + "..."


def essential(note):
    """The part of a note that says what happened: up to its first parenthesis or semicolon.

    ``ASPM: the firmware or kernel forbids ASPM changes on this host (writing ... EPERM ...); boot with ...``
    keeps ``ASPM: the firmware or kernel forbids ASPM changes on this host``; report.md has the rest."""
    note = " ".join(str(note).split())
    cuts = [at for at in (note.find(" ("), note.find("; ")) if at > 0]
    return note[:min(cuts)] if cuts else note


def notes_text(record, width):
    """The line under a host: its benchmark, then its warnings and skipped knobs after ``!``.

    Returns (text, shortened). Notes that do not fit whole are cut to their essential part first, and
    only then after a whole word."""
    parts = []
    if record.get("benchmark"):
        parts.append("benchmark: %s" % record["benchmark"]["summary"])
    notes = record["warnings"] + record.get("skipped", []) + ["not ready: %s" % item for item in record.get("not_ready", [])]
    if not notes:
        return "   ".join(parts), False
    room = max(20, width - len("   ".join(parts + [""])))
    whole = "! " + " | ".join(" ".join(str(note).split()) for note in notes)
    if len(whole) <= room:
        return "   ".join(parts + [whole]), False
    return "   ".join(parts + [shorten("! " + " | ".join(essential(note) for note in notes), room)]), True


def table(report, width=TABLE_WIDTH):
    """A compact text table: one line per host, one more per host with a benchmark, warnings or skipped knobs."""
    rows = []
    shortened = False
    for name in sorted(report["hosts"]):
        record = report["hosts"][name]
        status = record["status"]
        reboot = reboot_text(record["reboot"])
        head = "%-18s %-14s %-11s %-22s " % (shorten(name, 18), shorten(record["class"], 14), status, shorten(reboot, 22))
        change = change_text(record)
        rows.append(head + shorten(change, max(20, width - len(head))))
        notes, cut = notes_text(record, width - 19)
        shortened = shortened or cut or len(" ".join(change.split())) > max(20, width - len(head))
        if notes:
            rows.append("%-18s %s" % ("", notes))
    last = "DRIFT" if report["mode"] == "audit" else "CHANGES"
    header = "%-18s %-14s %-11s %-22s %s" % ("HOST", "CLASS", "STATUS", "REBOOT", last)
    counts = ", ".join("%d %s" % (n, status) for status, n in sorted(report["summary"].items()))
    held = [name for name, record in report["hosts"].items()
            if record["reboot"]["needed"] and record["reboot"]["allowed"] is False]
    footer = ["(%s)%s" % (counts, " " + SHORTENED if shortened else "")]
    if held:
        footer.append("REBOOT NEEDED on %d host(s), %s" % (len(held), NOT_ALLOWED))
    return "\n".join([header] + rows + footer)


def _md(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(report):
    """report.md: the table, then every knob of every host."""
    title = "drift audit" if report["mode"] == "audit" else "run report"
    lines = ["# inferops.amd %s%s" % (title, " (check mode)" if report["check_mode"] and report["mode"] != "audit" else ""),
             "", "| host | class | status | reboot | %s |" % ("drift" if report["mode"] == "audit" else "changes"),
             "| --- | --- | --- | --- | --- |"]
    for name in sorted(report["hosts"]):
        record = report["hosts"][name]
        lines.append("| %s | %s | %s | %s | %s |" % (name, record["class"], record["status"],
                                                     _md(reboot_text(record["reboot"])), _md(change_text(record))))
    for name in sorted(report["hosts"]):
        record = report["hosts"][name]
        lines += ["", "## %s" % name, ""]
        if record["failure"]:
            lines.append("- failed in task `%s`: %s" % (record["failure"].get("task"), _md(record["failure"].get("message"))))
        for item in record["knobs"]:
            state = ("%s -> %s" % (_md(item["before"]), _md(item["after"])) if item["changed"]
                     else "%s, unchanged" % _md(item["after"]))
            lines.append("- %s: %s (%s)%s" % (item["knob"], state, _md(item["reason"]),
                                              " - " + _md(item["note"]) if item.get("note") else ""))
        reboot = record["reboot"]
        lines.append("- reboot: %s%s" % (reboot_text(reboot).replace("not allowed", NOT_ALLOWED), " for: " + "; ".join(reboot["reasons"])
                                         if reboot["reasons"] else ""))
        if reboot.get("held"):
            lines.append("- reboot held back: %s" % _md(reboot["held"]))
        if record.get("benchmark"):
            lines.append("- benchmark: %s" % record["benchmark"]["summary"])
        for warning in record["warnings"] + record.get("skipped", []):
            lines.append("- warning: %s" % _md(warning))
        for item in record.get("not_ready", []):
            lines.append("- not ready: %s" % _md(item))
    return "\n".join(lines) + "\n"
