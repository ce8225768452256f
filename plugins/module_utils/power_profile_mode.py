# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read amdgpu's ``pp_power_profile_mode`` attribute.

The file lists the workload profiles the SMU firmware knows and marks the
active one with ``*``.  Every SMU generation prints it differently
(drivers/gpu/drm/amd/pm/, see docs/amdgpu-power.md for the captures); the
layouts accepted here are:

* per-mode blocks (SMU11, SMU13 and SMU14 discrete, RDNA4 included): a
  ``PROFILE_INDEX(NAME) ...`` header, then ``"%2d %14s%s:"`` per mode
  (`` 0 BOOTUP_DEFAULT*:``, `` 2   POWER_SAVING :``) followed by coefficient
  rows such as ``0(       GFXCLK) ...`` that this parser skips; older
  cards use a ``NUM        MODE_NAME ...`` header and may put the ``*`` after
  a space (``1 3D_FULL_SCREEN *:``) or values after the colon;
* one mode per line (APUs such as Strix Halo): `` 0 BOOTUP_DEFAULT*``,
  `` 5        COMPUTE ``, with or without a header;
* transposed (SMU13 variants): every mode on the first line,
  ``0 BOOTUP_DEFAULT* 1 3D_FULL_SCREEN  2 POWER_SAVING ...``, then one row
  per tunable.

Writing the index selects a mode, so the public contract of this file is
``parse_power_profile_mode(text) -> [(index, name, active), ...]`` and
``profile_index(modes, name)``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections import namedtuple

# The name the kernel prints for the mode that needs extra coefficients on
# write (a bare index fails with EINVAL), so it is never selectable here.
CUSTOM_PROFILE = "CUSTOM"

_NAME = r"[A-Z0-9_]*[A-Z][A-Z0-9_]*"
# One mode on its own line: index, name, optional star (possibly after one
# space), optional colon with anything after it (coefficients on old cards).
_MODE_LINE = re.compile(r"^\s*(\d+)\s+(%s)(\s?\*)?\s*(?::.*)?$" % _NAME)
# One mode inside the transposed first line.
_MODE_PAIR = re.compile(r"(\d+)\s+(%s)(\s?\*)?(?=\s|$)" % _NAME)


# A tuple (index, name, active) that also reads as mode.index / .name / .active.
ProfileMode = namedtuple("ProfileMode", ["index", "name", "active"])


class PowerProfileModeError(ValueError):
    """The text is not any known ``pp_power_profile_mode`` layout."""


def _content_lines(text):
    return [line for line in text.splitlines() if line.strip()]


def _parse_transposed(first_line):
    """Modes from a first line holding every ``N NAME`` pair, or None."""
    pairs = _MODE_PAIR.findall(first_line)
    if len(pairs) < 2:
        return None
    # Everything on the line must be a pair; anything else is not this layout.
    if _MODE_PAIR.sub("", first_line).strip():
        return None
    return [ProfileMode(int(index), name, bool(star)) for index, name, star in pairs]


def _parse_per_line(lines):
    modes = []
    for line in lines:
        match = _MODE_LINE.match(line)
        if match:
            modes.append(ProfileMode(int(match.group(1)), match.group(2), bool(match.group(3))))
    return modes


def parse_power_profile_mode(text):
    """``[ProfileMode(index, name, active), ...]`` in file order, from any known layout.

    Raises :class:`PowerProfileModeError` for empty text, text with no mode,
    the same index twice, or more than one active mode.
    """
    if text is None or not text.strip():
        raise PowerProfileModeError("pp_power_profile_mode is empty")
    lines = _content_lines(text)
    modes = _parse_transposed(lines[0]) or _parse_per_line(lines)
    if not modes:
        raise PowerProfileModeError(
            "pp_power_profile_mode has no line of the form 'INDEX NAME[*]'; first line: %r" % lines[0][:120])
    indexes = [index for index, _name, _active in modes]
    if len(set(indexes)) != len(indexes):
        raise PowerProfileModeError("pp_power_profile_mode lists an index twice: %s" % indexes)
    active = [name for _index, name, is_active in modes if is_active]
    if len(active) > 1:
        raise PowerProfileModeError("pp_power_profile_mode marks several modes active: %s" % ", ".join(active))
    return modes


def active_profile(modes):
    """Name of the mode marked ``*``, or None when the kernel marks none."""
    for _index, name, active in modes:
        if active:
            return name
    return None


def selectable_profiles(modes):
    """Names that a bare index write can select (every mode but CUSTOM)."""
    return [name for _index, name, _active in modes if name != CUSTOM_PROFILE]


def profile_index(modes, name):
    """Index to write for profile ``name`` (case-insensitive).

    Raises :class:`PowerProfileModeError` naming the allowed profiles when
    the card does not offer ``name`` or when it is CUSTOM.
    """
    wanted = name.strip().upper()
    allowed = selectable_profiles(modes)
    for index, mode_name, _active in modes:
        if mode_name == wanted and mode_name in allowed:
            return index
    raise PowerProfileModeError(
        "power profile '%s' is not offered by this card; allowed: %s" % (name, ", ".join(allowed)))
