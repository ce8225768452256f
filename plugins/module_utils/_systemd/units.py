# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole systemd unit files the collection owns, and their enablement.

* :func:`quote_exec_argv` writes an ``ExecStart=`` command line with
  systemd's quoting (systemd.service(5) "Command lines"): words holding
  white space or quotes are double-quoted, ``%`` is a specifier so it is
  doubled, ``$`` would expand an environment variable so it is doubled.
* :func:`find_unit_file` finds the file systemd would load for a unit name in
  its unit search path, inside the root, so a drop-in is never written for a
  unit that does not exist (a typo).
* :func:`is_enabled` answers "is the unit enabled" the way ``systemctl
  enable`` records it: one symlink per ``WantedBy=`` target in
  ``/etc/systemd/system/<target>.wants/``.  Reading the links needs no
  running systemd, so it works in check mode and on a tree under sysroot.
* :func:`systemctl` runs the tree's ``systemctl`` for what only systemd
  may do (enable, disable, daemon-reload).
* :func:`start_actions` turns what ``systemctl show`` says of a service into
  what makes it enabled and running (``enable``, ``start``), or why it cannot.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import TOOL_FOLDERS, CommandError, CommandRunner

SYSTEM_DIR = "/etc/systemd/system"
_SPECIAL = set(" \t\"'\\;")


class SystemdUnitError(Exception):
    """systemctl is missing or failed."""


def quote_exec_arg(word):
    word = word.replace("%", "%%").replace("$", "$$")
    if word and not (_SPECIAL & set(word)):
        return word
    return '"%s"' % word.replace("\\", "\\\\").replace('"', '\\"')


def quote_exec_argv(argv):
    return " ".join(quote_exec_arg(word) for word in argv)


def split_exec_argv(text):
    """The words of an ``ExecStart=`` value, as systemd reads them back from what :func:`quote_exec_argv` wrote.

    systemd splits the line with ``extract_first_word()`` (src/basic/extract-word.c: whitespace separates,
    double and single quotes group, a backslash escapes the next character), then undoes the specifiers
    (``%%`` -> ``%``, src/shared/specifier.c) and, for ``$$``, the variable expansion (``$$`` -> ``$``,
    src/core/execute.c replace_env_argv).  Only the escapes that quote_exec_arg produces are taken
    (``\\`` and ``\"``); any other backslash pair keeps the character after it.
    """
    words, word, quote, in_word, chars = [], [], None, False, iter(text)
    for char in chars:
        if char == "\\":
            word.append(next(chars, ""))
            in_word = True
        elif quote:
            if char == quote:
                quote = None
            else:
                word.append(char)
        elif char in "\"'":
            quote = char
            in_word = True
        elif char in " \t":
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
        else:
            word.append(char)
            in_word = True
    if in_word:
        words.append("".join(word))
    return [w.replace("%%", "%").replace("$$", "$") for w in words]


def render_unit(sections, comment=None):
    """Unit file text from ``[(section, [(key, value), ...]), ...]``, in that order."""
    lines = []
    if comment:
        lines.extend("# " + line if line else "#" for line in comment.splitlines())
    for index, (section, pairs) in enumerate(sections):
        if index or lines:
            lines.append("")
        lines.append("[%s]" % section)
        lines.extend("%s=%s" % pair for pair in pairs)
    return "\n".join(lines) + "\n"


def unit_path(unit):
    return "%s/%s" % (SYSTEM_DIR, unit)


# The system manager's unit search path, highest priority first: lookup_paths_init() in
# src/libsystemd/sd-path/path-lookup.c, RUNTIME_SCOPE_SYSTEM (systemd commit
# 0aae1a09a3868420c654c0f1e51927af81a7e3e5; systemd.unit(5) "Unit File Load Path" lists the same).
# SYSTEM_DATA_UNIT_DIR is /usr/lib/systemd/system in a default build; /lib/systemd/system is the
# split-usr directory (LOOKUP_PATHS_SPLIT_USR), still what older Debian and Ubuntu packages use.
UNIT_SEARCH_PATH = (
    "/etc/systemd/system.control",
    "/run/systemd/system.control",
    "/run/systemd/transient",
    "/run/systemd/generator.early",
    "/etc/systemd/system",
    "/etc/systemd/system.attached",
    "/run/systemd/system",
    "/run/systemd/system.attached",
    "/run/systemd/generator",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
    "/run/systemd/generator.late",
)


def unit_file_names(unit):
    """File names systemd tries for ``unit``: its own, then for an instance its template.

    systemd.unit(5): "If systemd looks for a unit configuration file, it will first search for the
    literal unit name in the file system. If that yields no success and the unit name contains an @
    character, systemd will look for a unit template" (getty@tty3.service -> getty@.service).
    """
    names = [unit]
    prefix, at, rest = unit.partition("@")
    if at and rest.partition(".")[0]:
        names.append("%s@.%s" % (prefix, rest.rpartition(".")[2]))
    return names


def find_unit_file(root, unit):
    """Machine path of the unit file systemd would load for ``unit`` inside ``root``, or None.

    An entry counts as found whatever it is: a regular file, an alias or ``systemctl link``
    symlink, or a link to /dev/null (a masked unit, which exists). Folders on the way resolve
    inside the root (SysRoot.path), so /lib -> usr/lib on a merged-usr tree is followed there.
    """
    for name in unit_file_names(unit):
        for folder in UNIT_SEARCH_PATH:
            path = "%s/%s" % (folder, name)
            if os.path.lexists(root.path(path)):
                return path
    return None


def wants_links(unit, targets):
    """Machine paths of the symlinks ``systemctl enable`` creates for ``unit``."""
    return ["%s/%s.wants/%s" % (SYSTEM_DIR, target, unit) for target in targets]


def is_enabled(root, unit, targets):
    """True when every ``WantedBy=`` link exists, False when none does, None when some do."""
    present = [root.exists(link) or _is_link(root, link) for link in wants_links(unit, targets)]
    if all(present):
        return True
    return False if not any(present) else None


def _is_link(root, machine_path):
    return os.path.islink(root.path(machine_path))


def find_systemctl(root):
    """Real path of the root's systemctl, or None (looked up where the command runner looks up every tool)."""
    return root.find_tool("systemctl")


def systemctl(root, run_command, args):
    """Run ``systemctl args``; return the argv.  Raises :class:`SystemdUnitError`."""
    tool = find_systemctl(root)
    if tool is None:
        raise SystemdUnitError("systemctl not found in %s (looked in %s)" % (root.root, ", ".join(TOOL_FOLDERS)))
    argv = [tool] + list(args)
    try:
        CommandRunner(root, run_command).run(argv)
    except CommandError as exc:
        raise SystemdUnitError(str(exc))
    return argv


# `systemctl show UNIT --property=A,B` prints one KEY=VALUE line per property, in the order of the unit's
# D-Bus properties, and an empty value too when asked for by name (bus_print_property_value() in
# src/shared/bus-print-properties.c, systemd). For a unit that does not exist it still exits 0, with
# LoadState=not-found (show_one() in src/systemctl/systemctl-show.c).
SHOW_PROPERTIES = ("LoadState", "UnitFileState", "ActiveState")
# The unit file states (unit_file_state_table, src/shared/install.c) in which `systemctl enable` makes the
# WantedBy=/RequiredBy= links that `systemctl is-enabled` then counts as enabled (verb_is_enabled(),
# src/systemctl/systemctl-is-enabled.c: enabled, enabled-runtime, static, alias, indirect, generated).
# The others need no enable (static, alias, indirect: nothing to link), or refuse it (generated and transient
# units: install_info_may_process() in install.c), so enabling is tried only here.
ENABLE_FILE_STATES = frozenset(("disabled", "linked", "linked-runtime"))
# Active states (unit_active_state_table, src/basic/unit-def.c) in which the service runs or is on its way
# there; `systemctl start` would only finish at once (unit_start() returns -EALREADY, src/core/unit.c).
RUNNING_ACTIVE_STATES = frozenset(("active", "reloading", "activating", "refreshing"))


def parse_show(text):
    """``{property: value}`` from ``systemctl show`` output."""
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return values


def start_actions(unit, properties):
    """(actions, problem): the ``systemctl`` verbs that leave ``unit`` enabled and running, in order.

    ``problem`` is set, and ``actions`` empty, when no verb can: the unit is unknown, masked or unreadable.
    """
    load_state = properties.get("LoadState", "")
    file_state = properties.get("UnitFileState", "")
    if load_state == "not-found":
        return [], "%s is not installed (systemctl show: LoadState=not-found)" % unit
    if load_state == "masked" or file_state.startswith("masked"):
        return [], "%s is masked; unmask it (systemctl unmask %s) to let it run" % (unit, unit)
    if file_state == "bad":
        return [], "systemd cannot read the unit file of %s (systemctl show: UnitFileState=bad)" % unit
    actions = []
    if file_state in ENABLE_FILE_STATES:
        actions.append("enable")
    if properties.get("ActiveState", "") not in RUNNING_ACTIVE_STATES:
        actions.append("start")
    return actions, None
