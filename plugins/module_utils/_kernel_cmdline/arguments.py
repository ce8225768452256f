# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kernel command line as a list of arguments: split, join, plan a change.

The kernel splits its command line at white space outside double quotes and
strips the quotes when it parses ``param="value with spaces"`` or
``"param=value with spaces"`` (``next_arg()`` in lib/cmdline.c and
Documentation/admin-guide/kernel-parameters.rst).  Arguments are kept here in
their raw form (quotes included), as /proc/cmdline and the bootloaders show
them, so that whatever a user wrote round-trips byte for byte; comparisons
use the parsed ``(name, value)`` so that both quoting styles mean the same,
and names compare with ``-`` and ``_`` alike, as the kernel's ``parameq()``
(kernel/params.c, via ``dash2underscore()``) matches them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections


class KernelArgumentError(ValueError):
    """An argument the kernel could not take as written."""


CmdlinePlan = collections.namedtuple("CmdlinePlan", ["args", "added", "removed"])


def split_cmdline(text):
    """Raw arguments of a command line, split the way the kernel does."""
    args = []
    current = []
    quoted = False
    for char in (text or "").strip():
        if char == '"':
            quoted = not quoted
        if char.isspace() and not quoted:
            if current:
                args.append("".join(current))
                current = []
            continue
        current.append(char)
    if current:
        args.append("".join(current))
    return args


def join_cmdline(args):
    return " ".join(args)


def parse_argument(raw):
    """``(name, value)`` of one raw argument as the kernel parses it; value None without ``=``."""
    text = raw
    if text.startswith('"'):
        text = text[1:]
        if text.endswith('"'):
            text = text[:-1]
    name, sep, value = text.partition("=")
    if not sep:
        return name.replace('"', ""), None
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        value = value[1:-1]
    return name, value


def argument_name(raw):
    return parse_argument(raw)[0]


def name_key(name):
    """The form two parameter names are compared in: ``-`` and ``_`` are the same to the kernel."""
    return name.replace("-", "_")


def argument_key(raw):
    return name_key(argument_name(raw))


def same_argument(left, right):
    left_name, left_value = parse_argument(left)
    right_name, right_value = parse_argument(right)
    return name_key(left_name) == name_key(right_name) and left_value == right_value


# Characters a POSIX shell (GRUB defaults are shell) or GRUB's own script language
# would interpret inside a double-quoted value, plus the separators that would let a
# value end one command and start another.  Refused outright: escaping them would be
# a second quoting layer every later read has to undo.
SHELL_METACHARACTERS = "$`\\';&|<>(){}*?[]#"

# Arguments without which a host may not find or unlock its root file system, or
# resume; ``absent`` and ``present`` refuse them unless allow_boot_critical is set
# (a ``present`` one replaces the value the host boots with, as silently as a removal).
BOOT_CRITICAL = ("root", "rootflags", "rootfstype", "ro", "rw", "init", "cryptdevice", "cryptkey", "resume",
                 "resume_offset", "rd.luks.uuid", "rd.luks.name", "rd.luks.options", "rd.lvm.lv", "rd.lvm.vg",
                 "rd.md.uuid", "luks.uuid", "luks.name", "ostree", "systemd.machine_id", "boot", "rd.auto")


def refuse_metacharacters(text):
    bad = sorted(set(char for char in text if char in SHELL_METACHARACTERS))
    if bad:
        raise KernelArgumentError("kernel argument %r contains %s; shell and GRUB script characters (%s) are "
                                  "refused because every bootloader backend would have to escape them differently"
                                  % (text, " ".join(bad), " ".join(SHELL_METACHARACTERS)))


def normalize_argument(text):
    """Validate one argument a user asked for; return its raw command line form.

    A value with white space and no quotes gets ``name="value"`` (the
    quoting kernel-parameters.rst documents); anything already quoted stays
    exactly as written.
    """
    if not isinstance(text, str):
        raise KernelArgumentError("kernel argument %r is not a string" % (text,))
    if "\n" in text or "\r" in text or "\0" in text:
        raise KernelArgumentError("kernel argument %r contains a line break or NUL; the command line is one line" % text)
    control = sorted(set(char for char in text if ord(char) < 0x20 or ord(char) == 0x7f))
    if control:
        # A tab would be a separator to the kernel's next_arg() (isspace, lib/cmdline.c) but not to every
        # bootloader file format; other control characters reach the kernel as bytes no tool shows.
        raise KernelArgumentError("kernel argument %r contains the control character%s %s; only printable "
                                  "characters (no byte below 0x20, no 0x7f) are allowed"
                                  % (text, "s" if len(control) > 1 else "",
                                     ", ".join("U+%04X" % ord(char) for char in control)))
    if not text.strip():
        raise KernelArgumentError("empty kernel argument; give name or name=value")
    refuse_metacharacters(text)
    if text != text.strip():
        raise KernelArgumentError("kernel argument %r has leading or trailing white space" % text)
    name, value = parse_argument(text)
    if not name:
        raise KernelArgumentError("kernel argument %r has an empty name; give name or name=value" % text)
    if any(char.isspace() for char in name) or '"' in name:
        raise KernelArgumentError("kernel argument name %r contains white space or a quote" % name)
    if text.count('"') % 2:
        raise KernelArgumentError("kernel argument %r has an unbalanced double quote" % text)
    if value is not None and '"' in value:
        raise KernelArgumentError("kernel argument %r: a value cannot contain a double quote" % text)
    if len(split_cmdline(text)) == 1:
        return text
    if '"' in text:
        raise KernelArgumentError("kernel argument %r: quote the whole value, as name=\"value\"" % text)
    return '%s="%s"' % (name, value)


def require_list(option, value):
    """``present``/``absent`` must be YAML lists: a string would be split (or not) by guesswork."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise KernelArgumentError("%s must be a list of arguments (one per item), got the %s %r; write %s: [%s]"
                                  % (option, type(value).__name__, value, option,
                                     ", ".join(str(value).split()) if isinstance(value, str) else "..."))
    return value


def validate_request(present, absent, allow_boot_critical=False):
    """Normalized ``(present, absent)``; KernelArgumentError on anything unusable.

    ``present`` names may appear once; an ``absent`` entry may be a bare name
    (every value goes) or an exact ``name=value``.  Nothing may be asked to
    be both present and absent, and boot-critical names are neither removed
    nor set (replacing the host's own value) unless ``allow_boot_critical``.
    """
    wanted = [normalize_argument(arg) for arg in require_list("present", present)]
    unwanted = [normalize_argument(arg) for arg in require_list("absent", absent)]
    seen = {}
    for arg in wanted:
        name = argument_key(arg)
        if name in seen and not same_argument(seen[name], arg):
            raise KernelArgumentError("'%s' and '%s' both asked for; give one value per name" % (seen[name], arg))
        seen[name] = arg
    critical_keys = [name_key(name) for name in BOOT_CRITICAL]
    critical = [arg for arg in unwanted if argument_key(arg) in critical_keys]
    if critical and not allow_boot_critical:
        raise KernelArgumentError("absent: %s would remove what the host needs to find, unlock or resume its root "
                                  "file system (boot-critical: %s); set allow_boot_critical: true if that is meant"
                                  % (", ".join(critical), ", ".join(BOOT_CRITICAL)))
    critical = [arg for arg in wanted if argument_key(arg) in critical_keys]
    if critical and not allow_boot_critical:
        raise KernelArgumentError("present: %s would set (and replace any other value of) what the host needs to "
                                  "find, unlock or resume its root file system (boot-critical: %s); set "
                                  "allow_boot_critical: true if that is meant"
                                  % (", ".join(critical), ", ".join(BOOT_CRITICAL)))
    for arg in unwanted:
        for keep in wanted:
            if matches_absent(keep, arg):
                raise KernelArgumentError("'%s' is asked to be both present ('%s') and absent" % (arg, keep))
    return _unique(wanted), _unique(unwanted)


def _unique(args):
    out = []
    for arg in args:
        if not any(same_argument(arg, other) for other in out):
            out.append(arg)
    return out


def matches_absent(arg, absent):
    """Does ``absent`` (bare name, or exact name=value) remove ``arg``?"""
    name, value = parse_argument(absent)
    if value is None and "=" not in absent:
        return argument_key(arg) == name_key(name)
    return same_argument(arg, absent)


def plan_cmdline_change(current, present, absent):
    """The argument list after the change, with what was added and removed.

    A ``present`` argument already there (in any quoting) is left alone; one
    whose name is there with another value replaces the first such argument
    in place, and further arguments of that name are dropped, so the name
    ends up once with the wanted value.  New names go at the end.
    """
    args = list(current)
    added, removed = [], []
    for arg in absent:
        kept = []
        for old in args:
            if matches_absent(old, arg):
                removed.append(old)
            else:
                kept.append(old)
        args = kept
    for arg in present:
        name = argument_key(arg)
        places = [i for i, old in enumerate(args) if argument_key(old) == name]
        if len(places) == 1 and same_argument(args[places[0]], arg):
            continue
        if places:
            removed += [args[i] for i in places]
            args[places[0]] = arg
            args = [old for i, old in enumerate(args) if i not in places[1:]]
        else:
            args.append(arg)
        added.append(arg)
    return CmdlinePlan(args, added, removed)


def managed_arguments(args, present, absent):
    """The arguments of ``args`` this request manages (named in present or absent)."""
    names = set(argument_key(arg) for arg in present)
    out = []
    for arg in args:
        if argument_key(arg) in names or any(matches_absent(arg, gone) for gone in absent):
            name, value = parse_argument(arg)
            out.append((name_key(name), value))
    return sorted(out, key=lambda pair: (pair[0], pair[1] or ""))


def reboot_required(configured, running, present, absent):
    """True exactly when the managed arguments differ between boot config and the running kernel."""
    return managed_arguments(configured, present, absent) != managed_arguments(running, present, absent)


def running_arguments(proc_cmdline_text):
    """/proc/cmdline without what the bootloader adds for itself (BOOT_IMAGE=, initrd=)."""
    return [arg for arg in split_cmdline(proc_cmdline_text)
            if argument_name(arg) not in ("BOOT_IMAGE", "initrd")]


class CmdlineError(Exception):
    """A bootloader could not be read or changed; the message says what and where.

    ``changed`` is True when something on the host may already differ (a
    tool-driven backend failed part way, or a rollback failed).
    """

    def __init__(self, message, changed=False):
        super(CmdlineError, self).__init__(message)
        self.changed = changed


def missing_or_lost(actual, wanted, present, absent):
    """Why ``actual`` (read back) is not ``wanted``: managed arguments wrong, unmanaged ones gone; '' when fine."""
    problems = []
    if managed_arguments(actual, present, absent) != managed_arguments(wanted, present, absent):
        problems.append("managed arguments are %s instead of %s" % (
            join_cmdline(managed_raw(actual, present, absent)) or "(none)",
            join_cmdline(managed_raw(wanted, present, absent)) or "(none)"))
    lost = [arg for arg in wanted
            if not any(same_argument(arg, have) for have in actual) and not managed_raw([arg], present, absent)]
    if lost:
        problems.append("lost %s" % join_cmdline(lost))
    return "; ".join(problems)


def managed_raw(args, present, absent):
    names = set(argument_key(arg) for arg in present)
    return [arg for arg in args if argument_key(arg) in names or any(matches_absent(arg, gone) for gone in absent)]


class CmdlineChange:
    """What a backend will do: files to replace and tool calls to make, and the result.

    ``files`` maps a machine path to ``(old text or None, new text)``;
    ``commands`` are argv lists whose first item is the tool found inside
    the sysroot; ``configured`` is the argument list the bootloader will
    use once the change is applied.  An empty change is falsy.
    """

    def __init__(self, configured, files=None, commands=None, added=None, removed=None):
        self.configured = configured
        self.files = files or {}
        self.commands = commands or []
        self.added = list(added or [])
        self.removed = list(removed or [])

    def __bool__(self):
        return bool(self.files or self.commands)

    __nonzero__ = __bool__


def refuse_spaces(tool, args):
    """Fail on a value with whitespace for a tool (grubby, kernelstub) that splits its arguments at spaces."""
    for arg in args:
        value = parse_argument(arg)[1]
        if value is not None and any(char.isspace() for char in value):
            raise CmdlineError("%s splits arguments at spaces; '%s' cannot be passed through it" % (tool, arg))
