# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``ryzenadj --info`` prints, parsed.

The layout comes from FlyGoat/RyzenAdj ``main.c`` (``show_info_header`` and
``show_info_table``) and from outputs users posted in its issues:

    detected compatible ryzen_smu kernel module          (stderr, v0.14+)
    CPU Family: Strix Halo
    SMU BIOS Interface Version: 25
    Version: v0.17.0
    PM Table Version: 64020c
    |        Name         |   Value   |     Parameter      |
    |---------------------|-----------|--------------------|
    | STAPM LIMIT         |    71.000 | stapm-limit        |
    | STAPM VALUE         |    20.293 |                    |
    ...

Values are ``%9.3lf`` of a float from the SMU's power metric table: watts
for power limits, degrees C for ``tctl-temp`` (row ``THM LIMIT CORE``), and
``nan`` where the table of that CPU does not hold the value.  Older releases
spell the last header ``Paramter``.  When the table cannot be read (an
unknown PM table version, no ``/dev/mem`` access) the header lines are
followed by ``Unable to init power metric table: -5, ...`` and no table,
although setting limits still works; main.c then keeps init_table()'s error
as its exit status, so such a run exits non-zero (v0.17.0, v0.19.0).

Each limit set prints ``Sucessfully set <name> to <value>`` up to v0.17.0 and
``Successfully set ...`` from v0.19.0 (main.c ``_do_adjust``); both are
accepted by :func:`set_confirmations`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re

HEADER_KEYS = {
    "CPU Family": "family",
    "SMU BIOS Interface Version": "smu_bios_interface_version",
    "Version": "version",
    "PM Table Version": "pm_table_version",
}
# Words of the tool's own failures (lib/cpuid.c, lib/api.c, main.c).
UNSUPPORTED_CPU_MARKERS = ("Only Ryzen Mobile Series are supported", "unsupported model", "Unsupported family")
SMU_ACCESS_MARKERS = ("Unable to get os_access Obj", "Unable to get PCI Obj", "Unable to get MP1 SMU Obj",
                      "Unable to get RSMU Obj", "Unable to get NB Obj", "Unable to init ryzenadj")
TABLE_ERROR_MARKERS = ("Unable to init power metric table", "Unable to refresh power metric table",
                       "refresh_table failed", "Unable to get memory access")
_ROW = re.compile(r"^\|(?P<name>[^|]*)\|(?P<value>[^|]*)\|(?P<parameter>[^|]*)\|\s*$")
_RULE = re.compile(r"^\|[\s|:-]+\|\s*$")


class RyzenAdjInfoError(ValueError):
    """Output that is not what ``ryzenadj --info`` prints."""


class RyzenAdjToolError(Exception):
    """ryzenadj failed; ``kind`` says why: ``unsupported_cpu``, ``smu_access`` or ``tool``."""

    def __init__(self, kind, message):
        super(RyzenAdjToolError, self).__init__(message)
        self.kind = kind


class InfoRow:
    """One table row: ``value`` is a float, or None for ``nan``/unreadable."""

    def __init__(self, name, value, parameter):
        self.name = name
        self.value = value
        self.parameter = parameter

    def __repr__(self):
        return "InfoRow(%r, %r, %r)" % (self.name, self.value, self.parameter)


class RyzenAdjInfo:
    """Header fields, table rows and the other lines of one ``--info`` output."""

    def __init__(self):
        self.family = None
        self.smu_bios_interface_version = None
        self.version = None
        self.pm_table_version = None
        self.rows = []
        self.messages = []

    @property
    def has_table(self):
        return bool(self.rows)

    @property
    def table_error(self):
        """The tool's own words when the power metric table could not be read, else None."""
        lines = [line for line in self.messages if any(marker in line for marker in TABLE_ERROR_MARKERS)]
        return " / ".join(lines) or None

    def value(self, parameter, names=()):
        """Value of the row for ``parameter`` (or one of ``names``); None when absent or ``nan``."""
        for row in self.rows:
            if (parameter is not None and row.parameter == parameter) or row.name in names:
                return row.value
        return None

    def header(self):
        return dict((key, getattr(self, key)) for key in HEADER_KEYS.values())


def parse_value(text):
    """``%9.3lf`` text as float; None for ``nan``, ``-nan``, ``inf`` and empty cells."""
    text = text.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise RyzenAdjInfoError("not a number in the value column: %r" % text)
    if math.isnan(number) or math.isinf(number):
        return None
    return number


def _header_line(info, line):
    key, sep, value = line.partition(":")
    field = HEADER_KEYS.get(key.strip()) if sep else None
    if field is None:
        return False
    value = value.strip()
    if field == "smu_bios_interface_version":
        value = int(value) if value.isdigit() else value
    setattr(info, field, value)
    return True


def parse_info(text):
    """Parse ``ryzenadj --info`` output; raises :class:`RyzenAdjInfoError` on anything else.

    Unknown rows are kept (newer releases add per-core rows), so are lines
    that are neither header nor table (the tool's notes and errors, in
    ``messages``).  At least one header field or one table row is required.
    """
    info = RyzenAdjInfo()
    in_table = False
    for number, raw in enumerate((text or "").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("|"):
            if _RULE.match(line):
                continue
            match = _ROW.match(line)
            if not match:
                raise RyzenAdjInfoError("line %d is not a '| Name | Value | Parameter |' row: %r" % (number, raw))
            name, value, parameter = (match.group(g).strip() for g in ("name", "value", "parameter"))
            if not in_table:
                if name.lower() != "name" or parameter.lower() not in ("parameter", "paramter"):
                    raise RyzenAdjInfoError("line %d: table row before the '| Name | Value | Parameter |' header: %r"
                                            % (number, raw))
                in_table = True
                continue
            try:
                info.rows.append(InfoRow(name, parse_value(value), parameter or None))
            except RyzenAdjInfoError as exc:
                raise RyzenAdjInfoError("line %d: %s" % (number, exc))
            continue
        if not _header_line(info, line):
            info.messages.append(line)
    if not info.rows and all(v is None for v in info.header().values()):
        raise RyzenAdjInfoError("no 'CPU Family:' header and no '| Name | Value | Parameter |' table in the output")
    return info


_SET_LINE = re.compile(r"^Succ?essfully set (\w+) to (\d+)$")


def set_confirmations(text):
    """``{c name: value}`` of the limits the tool reports as set, in either release's spelling."""
    found = {}
    for line in (text or "").splitlines():
        match = _SET_LINE.match(line.strip())
        if match:
            found[match.group(1)] = int(match.group(2))
    return found


def info_despite_exit_status(rc, output):
    """The parsed ``--info`` output of a run that failed only because the PM table was unreadable, else None."""
    if rc == 0:
        return None
    try:
        info = parse_info(output)
    except RyzenAdjInfoError:
        return None
    return info if info.table_error and info.family else None


def classify_failure(rc, output):
    """:class:`RyzenAdjToolError` for a failed run, saying what is missing."""
    text = (output or "").strip()
    if any(marker in text for marker in UNSUPPORTED_CPU_MARKERS):
        return RyzenAdjToolError(
            "unsupported_cpu",
            "ryzenadj does not support this CPU (exit code %d): %s. RyzenAdj only drives Ryzen mobile APUs; "
            "Strix Halo needs RyzenAdj 0.17.0 or newer (FAM_STRIXHALO)." % (rc, _one_line(text)))
    if any(marker in text for marker in SMU_ACCESS_MARKERS):
        return RyzenAdjToolError(
            "smu_access",
            "ryzenadj cannot reach the SMU (exit code %d): %s. It needs root and either the ryzen_smu kernel module "
            "(0.1.7 or newer, knowing this CPU's PM table; an outdated loaded module is worse than none) or "
            "/dev/mem access (boot with iomem=relaxed on kernels with STRICT_DEVMEM)." % (rc, _one_line(text)))
    return RyzenAdjToolError("tool", "ryzenadj failed (exit code %d): %s" % (rc, _one_line(text) or "no output"))


def _one_line(text):
    return " / ".join(line.strip() for line in text.splitlines() if line.strip())
