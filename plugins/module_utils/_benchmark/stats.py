# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Summaries of benchmark runs and the verdict of one result against the previous one."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

VERDICT_FIRST = "first_run"
VERDICT_IMPROVED = "improved"
VERDICT_REGRESSED = "regressed"
VERDICT_NOISE = "within_noise"


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def summarize(values):
    """{median, min, max} of the values that are known, rounded to 0.01; None when none are."""
    known = [float(v) for v in values if v is not None]
    if not known:
        return None
    return {"median": round(median(known), 2), "min": round(min(known), 2), "max": round(max(known), 2)}


def delta_percent(before, after):
    """Change from before to after in percent of before, rounded to 0.1; None if unknown."""
    if before is None or after is None or before <= 0:
        return None
    return round(100.0 * (after - before) / before, 1)


def verdict(delta, noise_threshold_percent):
    """improved / regressed when the change is beyond the noise threshold, within_noise else.

    The threshold is how much two runs of the same setup differ: the strix-halo-optimizations log
    calls 55.9 vs 55.5 tg (0.7%) and 826 vs 843 pp (2%) "within noise".
    """
    if delta is None:
        return VERDICT_FIRST
    if delta > noise_threshold_percent:
        return VERDICT_IMPROVED
    if delta < -noise_threshold_percent:
        return VERDICT_REGRESSED
    return VERDICT_NOISE


def report_line(before, after, delta):
    """`decode 29.3 -> 32.5 tok/s (+10.8%)`, the run report's form."""
    if before is None:
        return "decode %.1f tok/s (no earlier result)" % after
    if delta is None:
        return "decode %.1f -> %.1f tok/s" % (before, after)
    return "decode %.1f -> %.1f tok/s (%+.1f%%)" % (before, after, delta)
