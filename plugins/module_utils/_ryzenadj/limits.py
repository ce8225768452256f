# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The RyzenAdj limits the collection manages: units, flags, plan, read-back.

Users give power limits in watts; ``ryzenadj`` takes milliwatts
(``--stapm-limit=85000``, FlyGoat/RyzenAdj ``main.c``: ``OPT_U32`` options in
mW) and ``--info`` prints watts.  ``tctl-temp`` is degrees C both ways.

A limit is written only when the table shows a different value (or cannot
show it).  After writing, the table is read again: firmware may keep a
lower value than asked (the HP ZBook Ultra G1a keeps slow PPT at 70 W when
85 W is asked, the strix-halo-optimizations log), which is reported as clamped.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

# Two values closer than this are the same limit: the table prints three
# decimals of a float, and firmware reads back e.g. 31.000002 for 31 W.
TOLERANCE = 0.1


class LimitSpec:
    """One limit: module option, ryzenadj parameter, table row name, unit and sane range."""

    def __init__(self, option, parameter, row_names, unit, low, high, scale):
        self.option = option
        self.parameter = parameter
        self.row_names = row_names
        self.unit = unit
        self.low = low
        self.high = high
        self.scale = scale

    def tool_value(self, value):
        """What ryzenadj takes on its command line (mW for power, degrees C for temperature)."""
        return int(round(value * self.scale))

    def flag(self, value):
        return "--%s=%d" % (self.parameter, self.tool_value(value))


# The tool's own order (main.c applies stapm, fast, slow, ..., tctl, ..., apu-slow).
LIMITS = (
    LimitSpec("stapm_limit", "stapm-limit", ("STAPM LIMIT",), "W", 1, 300, 1000),
    LimitSpec("fast_limit", "fast-limit", ("PPT LIMIT FAST",), "W", 1, 300, 1000),
    LimitSpec("slow_limit", "slow-limit", ("PPT LIMIT SLOW",), "W", 1, 300, 1000),
    LimitSpec("apu_slow_limit", "apu-slow-limit", ("PPT LIMIT APU",), "W", 1, 300, 1000),
    LimitSpec("tctl_temp", "tctl-temp", ("THM LIMIT CORE", "TCTL LIMIT"), "C", 40, 105, 1),
)
LIMIT_OPTIONS = tuple(spec.option for spec in LIMITS)


class LimitError(ValueError):
    """A requested limit outside what makes sense."""


class LimitPlan:
    """One requested limit against the table: what to write and what came back."""

    def __init__(self, spec, requested, before, known_cap=None):
        self.spec = spec
        self.requested = requested
        self.before = before
        self.known_cap = known_cap
        self.after = None

    @property
    def readable(self):
        return self.before is not None

    @property
    def needs_write(self):
        """Differs from the request, and is not the value the firmware kept of this very request before."""
        return not same(self.before, self.requested) and not same(self.before, self.known_cap)

    @property
    def changed(self):
        return not same(self.before, self.after)

    @property
    def clamped(self):
        """The firmware kept another value than requested (None: cannot tell)."""
        if self.after is None:
            return None
        return not same(self.after, self.requested)

    def as_dict(self):
        return {
            "parameter": self.spec.parameter,
            "unit": self.spec.unit,
            "requested": self.requested,
            "requested_tool_value": self.spec.tool_value(self.requested),
            "before": self.before,
            "effective": self.after,
            "written": self.needs_write,
            "changed": self.changed if self.after is not None or self.before is not None else None,
            "clamped": self.clamped,
        }


def same(a, b):
    return a is not None and b is not None and abs(a - b) < TOLERANCE


def requested_limits(params):
    """``[(spec, value)]`` of the limits given in ``params``, validated; raises :class:`LimitError`."""
    found = []
    for spec in LIMITS:
        value = params.get(spec.option)
        if value is None:
            continue
        unit = "degrees C" if spec.unit == "C" else "W"
        if not _is_finite_number(value):
            raise LimitError("%s=%s is not a number of %s; give a value between %g and %g %s" % (
                spec.option, value, unit, spec.low, spec.high, unit))
        if not spec.low <= value <= spec.high:
            hint = ""
            if spec.unit == "W" and value >= 1000:
                hint = " (this looks like milliwatts: give watts, e.g. %s=%g)" % (spec.option, value / 1000.0)
            raise LimitError("%s=%g is outside %g..%g %s%s" % (spec.option, value, spec.low, spec.high, unit, hint))
        found.append((spec, float(value)))
    return found


def _is_finite_number(value):
    """A real number; ``inf`` and ``nan`` (which Ansible's float type accepts) are not limits."""
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def plan_limits(requested, info, caps=None):
    """A :class:`LimitPlan` per requested limit, its ``before`` read from ``info``.

    ``caps`` is ``{parameter: (asked, kept)}`` in tool units, the firmware caps
    recorded earlier; one counts only when it was recorded for the same request.
    """
    plans = []
    for spec, value in requested:
        asked, kept = (caps or {}).get(spec.parameter, (None, None))
        known = kept / float(spec.scale) if asked == spec.tool_value(value) else None
        plans.append(LimitPlan(spec, value, info.value(spec.parameter, spec.row_names), known))
    return plans


def kept_by_firmware(plans):
    """``{parameter: tool value}`` of the limits that read back clamped (for the unit's record)."""
    return dict((p.spec.parameter, p.spec.tool_value(p.after)) for p in plans if p.clamped)


def write_flags(plans):
    """ryzenadj arguments for the limits that differ (or cannot be read)."""
    return [plan.spec.flag(plan.requested) for plan in plans if plan.needs_write]


def all_flags(requested):
    """ryzenadj arguments for every requested limit (what the boot unit runs)."""
    return [spec.flag(value) for spec, value in requested]


def read_back(plans, info):
    """Fill ``after`` of every plan from the ``--info`` output taken after writing."""
    for plan in plans:
        plan.after = info.value(plan.spec.parameter, plan.spec.row_names)
    return plans


def predict(plans):
    """Check mode: every write is assumed to take."""
    for plan in plans:
        plan.after = plan.requested if plan.needs_write else plan.before
    return plans


def clamp_summary(plans):
    """``option: requested X W, firmware kept Y W; ...`` for the clamped limits ('' when none)."""
    return "; ".join("%s: requested %g %s, firmware kept %g %s" % (
        p.spec.option, p.requested, p.spec.unit, p.after, p.spec.unit) for p in plans if p.clamped)


def describe(plans, field):
    """``name = value unit`` lines of ``before`` or ``after`` for the diff."""
    lines = []
    for plan in plans:
        value = getattr(plan, field)
        text = "unreadable" if value is None else "%g %s" % (value, plan.spec.unit)
        lines.append("%s = %s\n" % (plan.spec.option, text))
    return "".join(lines)
