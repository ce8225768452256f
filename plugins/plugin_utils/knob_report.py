# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one task did to one knob, in the words of the run report.

Each role turns the registered result of its modules into knob items
``{"knob", "before", "after", "changed", "reason"}`` (plus ``"note"`` when the
host kept the knob, for example firmware-locked ASPM or a clamped RyzenAdj
limit).  In check mode ``after`` and ``changed`` are the module's prediction,
which is what the drift audit reports.

The same results give the report's reboot reasons (``reboot_reasons``, from a
kernel_cmdline result) and, run in check mode by a role's ``verify`` entry
point, its failures (``verify_failures``: every knob that would change, and a
running kernel that lacks the arguments).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class KnobReportError(ValueError):
    """A kind of result this file does not know."""


def _item(knob, before, after, changed, reason, note=None):
    item = {"knob": knob, "before": before, "after": after, "changed": bool(changed), "reason": reason}
    if note:
        item["note"] = note
    return item


def _ran(result):
    """Whether the task did something to report: not skipped, and not a failure that changed nothing.

    The roles build their report after a failure too; a failed task that still wrote state says
    changed (the modules do), and that part belongs in the report."""
    if not result or result.get("skipped", False):
        return False
    return not (result.get("failed", False) and not result.get("changed", False))


def aspm_items(result, reason):
    """pcie_aspm, either scope.

    The module's own ``changed`` also covers the kernel command line when it keeps that in step
    (its ``kernel_cmdline`` option, reported with cmdline_items), so this knob's change is read
    from the policy, links and rules file alone."""
    if result.get("scope") == "gpu_links" and result.get("policy") == "default":
        # Handing the links back changes no link, only removes the udev rule: that is the item, when there was one.
        if not result.get("rule_file_changed", False):
            return []
        return [_item("udev rule of the gpu_links mode", "present", "removed", True, reason)]
    if result.get("scope") == "gpu_links":
        links = result.get("links", [])

        def awake(key):
            return sum(1 for link in links if not any(int(v) for v in link.get(key, {}).values()))
        total = len(links)
        changed = any(link.get("changed_files") for link in links) or result.get("rule_file_changed", False)
        return [_item("ASPM on GPU links", "%d/%d links awake" % (awake("before"), total),
                      "%d/%d links awake" % (awake("after"), total), changed, reason,
                      result.get("skipped_reason"))]
    return [_item("ASPM policy", result.get("previous"), result.get("policy"),
                  result.get("previous") != result.get("policy"), reason, result.get("skipped_reason"))]


def cmdline_items(result, reason):
    """kernel_cmdline: the arguments added and removed on the configured command line."""
    added, removed = result.get("added", []), result.get("removed", [])
    items = [_item("kernel argument", "-", arg, True, reason) for arg in added if arg not in removed]
    items += [_item("kernel argument", arg, "-", True, reason) for arg in removed if arg not in added]
    return items


def _card_text(values):
    parts = []
    for key in ("performance_level", "power_profile"):
        if values.get(key) is not None:
            parts.append(str(values[key]))
    if values.get("power_cap_watts") is not None:
        parts.append("%s W" % values["power_cap_watts"])
    return ", ".join(parts) or "-"


def amdgpu_power_items(result, reason):
    """amdgpu_power: one item per card."""
    return [_item("amdgpu %s" % (card.get("card") or card.get("pci_address")), _card_text(card.get("before", {})),
                  _card_text(card.get("after", {})), card.get("changed"), reason)
            for card in result.get("cards", [])]


def _watts(value):
    if value is None:
        return "?"
    return ("%g" % value)


def ryzenadj_items(result, reason):
    """ryzenadj: requested against what the firmware kept (read back)."""
    items = []
    for option, limit in sorted(result.get("limits", {}).items()):
        unit = limit.get("unit") or ""
        after = _watts(limit.get("effective", limit.get("requested")))
        note = None
        if limit.get("clamped"):
            note = "%s: the firmware keeps %s %s (requested %s)" % (option, after, unit, _watts(limit.get("requested")))
        items.append(_item("RyzenAdj %s" % option, "%s %s" % (_watts(limit.get("before")), unit),
                           "%s %s" % (after, unit), limit.get("changed"), reason, note))
    return items


def value_items(result, reason, name):
    """A setting the role compares itself (the tuned profile): ``before`` and ``after`` as the role read them."""
    before, after = result.get("before"), result.get("after")
    return [_item(name, before, after, before != after, reason)]


def file_items(result, reason, name):
    """A file the role writes (config_file, template, copy): as configured already, or (re)written to be.

    Before and after are states of the same kind, so the report reads ``not as configured -> as configured``."""
    changed = result.get("changed")
    return [_item(name, "not as configured" if changed else "as configured", "as configured", changed, reason)]


KINDS = {"aspm": aspm_items, "cmdline": cmdline_items, "amdgpu_power": amdgpu_power_items,
         "ryzenadj": ryzenadj_items}
# kinds whose knob is named by the caller
NAMED_KINDS = {"file": file_items, "value": value_items}


def knob_items(result, kind, reason="", name=None):
    """Knob items for the registered ``result`` of a task of ``kind``; [] when the task did not run."""
    if not _ran(result):
        return []
    if kind in NAMED_KINDS:
        return NAMED_KINDS[kind](result, reason, name or kind)
    if kind not in KINDS:
        raise KnobReportError("unknown knob kind '%s'; known: %s" % (kind, ", ".join(sorted(list(KINDS) + list(NAMED_KINDS)))))
    return KINDS[kind](result, reason)


def _kernel_word(arg):
    """An argument as the kernel reads it: quotes around (part of) it are not part of the value."""
    return arg.replace('"', "")


def missing_from_running(result, kernel_args):
    """The arguments of ``kernel_args`` that the running kernel (the result's ``running``) does not have."""
    running = set(_kernel_word(arg) for arg in result.get("running") or [])
    return [arg for arg in kernel_args or [] if _kernel_word(arg) not in running]


def reboot_reasons(result, kernel_args=None):
    """Why the registered kernel_cmdline ``result`` needs a reboot, in the report's words ([] when it does not).

    ``kernel_args`` are the arguments the role asks for: those the running kernel lacks are "needed"; the
    arguments this run took off are "dropped". A reboot still owed for arguments an earlier run took off
    (kernel_cmdline counts those too) is said as such."""
    if not _ran(result) or not result.get("reboot_required", False):
        return []
    reasons = []
    needed = missing_from_running(result, kernel_args)
    if needed:
        reasons.append("kernel command line needs %s" % " ".join(needed))
    if result.get("removed"):
        reasons.append("kernel command line drops %s" % " ".join(result["removed"]))
    return reasons or ["the running kernel still has arguments an earlier run took off"]


def verify_failures(results, kernel_args=None):
    """One message per setting that does not hold, from a verification's check-mode results.

    ``results`` maps a knob kind (as knob_items takes it) to the registered check-mode result of that
    kind's module; a task that was skipped gives nothing. Every knob the module would change reads
    ``KNOB is BEFORE, expected AFTER``; a kernel_cmdline result (kind ``cmdline``) whose running kernel
    differs from the configured command line adds which of ``kernel_args`` the running kernel lacks."""
    failures = []
    for kind, result in results.items():
        for item in knob_items(result, kind):
            if item["changed"]:
                failures.append("%s is %s, expected %s" % (item["knob"], item["before"], item["after"]))
        if kind == "cmdline" and _ran(result) and result.get("reboot_required", False):
            running = " ".join(result.get("running") or [])
            lacking = missing_from_running(result, kernel_args)
            if lacking:
                failures.append("the running kernel lacks %s (/proc/cmdline: %s)" % (" ".join(lacking), running))
            else:
                failures.append("the running kernel still has arguments the configured command line no longer "
                                "has (/proc/cmdline: %s)" % running)
    return failures
