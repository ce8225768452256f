# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read amdgpu's ``pp_power_profile_mode`` attribute.

The file lists the workload profiles the SMU firmware knows and marks the
active one with ``*``.  This parser follows the kernel's own print functions
(drivers/gpu/drm/amd/pm/), which print a mode in one of two ways:

* one mode per line, the index, the name and the mark, then a ``:`` and
  coefficients on discrete cards:

  - ``"%2d %14s%s:\n"`` with ``"*"``/``" "`` (SMU11 navi10_ppt.c and
    sienna_cichlid_ppt.c, SMU13 smu_v13_0_0_ppt.c, SMU14 smu_v14_0_2_ppt.c
    ``*_get_power_profile_mode``), under a ``PROFILE_INDEX(NAME) ...`` header
    and followed by ``0(       GFXCLK) ...`` coefficient rows;
  - ``"%2d %14s%s\n"`` on APUs (renoir_ppt.c, vangogh_ppt.c), with gaps where
    the APU's workload map lacks a mode (Van Gogh prints no BOOTUP_DEFAULT);
  - ``"%3d %14s%s: ..."`` (vega10_hwmgr.c, smu10_hwmgr.c) and
    ``"%3d %14s %s: ..."`` with ``"*"`` (smu7_hwmgr.c: the mark after a space)
    under a ``NUM MODE_NAME ...`` header;

* every mode on the first line (smu_v13_0_7_ppt.c, Navi 33: RX 7600/7600S/
  7700S): 30 spaces, then ``"%d %-14s%s"`` with ``"* "``/``"  "`` per mode
  (``"%-14s%s"`` without the index before "drm/amdgpu/smu13.0.7: print index
  for profiles", 2024), then one ``"%-30s"`` row per coefficient.  ``%-14s``
  pads the name on the right, so the mark stands after the padding:
  ``4 VR            * 5 COMPUTE``.

In every one of them the mark follows the mode's name with nothing but
padding in between, and nothing else follows a name before the next mode, so
that is the rule here: a ``*`` belongs to the mode whose name precedes it.

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

# amdgpu_pp_profile_name[] (amdgpu_pm.c): capitals, digits and underscores, with a letter.
_NAME = r"[A-Z0-9_]*[A-Z][A-Z0-9_]*"
# One mode on its own line: index, name, the mark after any padding, then a colon
# with anything after it (coefficients) or nothing.
_MODE_LINE = re.compile(r"^\s*(\d+)\s+(%s)\s*(\*)?\s*(?::.*)?$" % _NAME)
# One mode of smu_v13_0_7's first line: optional index (6.12+), name, the mark after the padding.
_ROW_MODE = re.compile(r"\s*(?:(\d+)\s+)?(%s)(?:\s*(\*))?" % _NAME)
# smu_v13_0_7 prints its coefficient rows as "%-30s" names starting in column 0.
_COEFFICIENT_ROW = re.compile(r"^[A-Za-z][A-Za-z0-9_]*\s+-?\d")


# A tuple (index, name, active) that also reads as mode.index / .name / .active.
ProfileMode = namedtuple("ProfileMode", ["index", "name", "active"])


class PowerProfileModeError(ValueError):
    """The text is not any known ``pp_power_profile_mode`` layout."""


def _content_lines(text):
    return [line for line in text.splitlines() if line.strip()]


def _parse_mode_row(first_line):
    """Modes from smu_v13_0_7's first line (every mode on it), or None when it is not that line."""
    entries, position = [], 0
    while position < len(first_line.rstrip()):
        match = _ROW_MODE.match(first_line, position)
        if not match or match.end() == position:
            return None
        entries.append(match.groups())
        position = match.end()
    if len(entries) < 2:
        return None
    indexed = [index is not None for index, _name, _star in entries]
    if all(indexed):
        return [ProfileMode(int(index), name, bool(star)) for index, name, star in entries]
    if any(indexed):
        return None
    # Before the index was printed, the position is the index (the loop runs 0..WINDOW3D).
    return [ProfileMode(position, name, bool(star)) for position, (_i, name, star) in enumerate(entries)]


def _is_mode_row_layout(lines):
    """smu_v13_0_7: a first line of several modes, or one indented line followed by coefficient rows."""
    return len(lines) == 1 or bool(_COEFFICIENT_ROW.match(lines[1]))


def _parse_per_line(lines):
    modes = []
    for line in lines:
        match = _MODE_LINE.match(line)
        if match:
            modes.append(ProfileMode(int(match.group(1)), match.group(2), bool(match.group(3))))
    return modes


def parse_power_profile_mode(text):
    """``[ProfileMode(index, name, active), ...]`` in file order, from any layout the kernel prints.

    Raises :class:`PowerProfileModeError` for empty text, text with no mode,
    the same index twice, or more than one active mode.
    """
    if text is None or not text.strip():
        raise PowerProfileModeError("pp_power_profile_mode is empty")
    lines = _content_lines(text)
    modes = (_parse_mode_row(lines[0]) if _is_mode_row_layout(lines) else None) or _parse_per_line(lines)
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
    the card does not offer ``name``, and saying why when it is CUSTOM.
    """
    wanted = name.strip().upper()
    allowed = selectable_profiles(modes)
    for index, mode_name, _active in modes:
        if mode_name != wanted:
            continue
        if mode_name == CUSTOM_PROFILE:
            # amdgpu_set_pp_power_profile_mode() hands CUSTOM's coefficients to the SMU; the
            # *_set_power_profile_mode() functions refuse CUSTOM without them (EINVAL).
            raise PowerProfileModeError(
                "power profile '%s' is listed by this card (index %d) but cannot be selected by its index alone: "
                "the kernel takes CUSTOM only with its coefficients; allowed: %s" % (name, index, ", ".join(allowed)))
        return index
    raise PowerProfileModeError(
        "power profile '%s' is not offered by this card; allowed: %s" % (name, ", ".join(allowed)))
