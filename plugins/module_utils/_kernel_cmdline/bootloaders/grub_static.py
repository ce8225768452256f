# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The GRUB defaults of a tree, read as data: what a shell would set, without running one.

On a sysroot other than ``/`` the files are data (``SysRoot.may_run_tree_code``), so
they cannot be sourced to learn ``GRUB_CMDLINE_LINUX``, ``GRUB_CMDLINE_LINUX_DEFAULT``
and ``GRUB_ENABLE_BLSCFG``.  This reading accepts a file only when every line is one
whose effect on those three variables is certain without running it, and refuses the
first other line with its file and number:

* a blank line or a comment;
* an assignment of one of the three, which grub_defaults' parser reads (it refuses
  expressions itself);
* an assignment of any other variable whose value is one shell word and that does not
  mention the three: its value may hold a command substitution (Debian's
  ``GRUB_DISTRIBUTOR=`( . /etc/os-release ...)```), which runs in a subshell and cannot
  set a variable of the shell that sources the file (POSIX, Shell Command Language,
  2.6.3 Command Substitution and 2.12 Shell Execution Environment).

Anything else (a command, ``.``/``source``, a block, a function, two commands on one
line) could set them, so it is refused: the answer would be a guess.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.inferops.amd.plugins.module_utils._host import config_text
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grub_defaults import LINUX, LINUX_DEFAULT, GrubDefaults
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import CmdlineError, join_cmdline

BLSCFG = "GRUB_ENABLE_BLSCFG"
WATCHED = (LINUX, LINUX_DEFAULT, BLSCFG)
_NAME_ASSIGNMENT = re.compile(r"^[ \t]*(?:export[ \t]+)?(?P<var>[A-Za-z_][A-Za-z0-9_]*)=")
_BLSCFG_VALUE = re.compile(r"^(?:\"(?P<dq>[^\"\\$`]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s#\"'\\$`;&|<>()]*))"
                           r"[ \t]*(?:#.*)?$")
_WATCHED_NAME = re.compile(r"\b(?:%s)\b" % "|".join(WATCHED))


def _skip_quoted(text, start, quote):
    """Index after the closing ``quote`` of the quoted part opening at ``start``; None when unterminated.

    Inside double quotes a command substitution is refused (None): where it ends
    depends on a nesting this reading does not follow.
    """
    i = start + 1
    while i < len(text):
        char = text[i]
        if quote == '"' and char == "\\":
            i += 2
            continue
        if quote == '"' and (char == "`" or text.startswith("$(", i)):
            return None
        if char == quote:
            return i + 1
        i += 1
    return None


def word_end(text, start):
    """Index where the shell word starting at ``start`` ends; None when it cannot be told here.

    Follows quotes, backslashes, backquoted and ``$( )`` command substitutions (with
    balanced parentheses) the way the shell's tokenizer does for these common forms.
    """
    i, depth = start, 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char in "'\"`":
            end = _skip_quoted(text, i, char)
            if end is None:
                return None
            i = end
            continue
        if text.startswith("$(", i):
            depth += 1
            i += 2
            continue
        if depth and char == "(":
            depth += 1
        elif depth and char == ")":
            depth -= 1
        elif not depth and (char in " \t;&|<>()"):
            return i
        i += 1
    return i if depth == 0 else None


def inert_assignment(body, watched=_WATCHED_NAME):
    """True when ``body`` assigns one word to a variable other than the ``watched`` ones, and nothing else."""
    match = _NAME_ASSIGNMENT.match(body)
    if not match or watched.search(body):
        return False
    end = word_end(body, match.end())
    if end is None:
        return False
    rest = body[end:].lstrip(" \t")
    return rest == "" or rest.startswith("#")


def code_lines(files):
    """``(path, line number, body, stripped body)`` of every line of ``[(path, text)]`` that is neither blank nor a comment."""
    for path, text in files:
        for number, line in enumerate(config_text.split_lines(text), 1):
            body = config_text.line_body(line)[0]
            stripped = body.strip()
            if stripped and not stripped.startswith("#"):
                yield path, number, body, stripped


def static_values(files, where):
    """``{variable: text}`` for the three variables GRUB reads, from ``[(machine path, text)]`` as data.

    ``where`` (the sysroot) goes into the refusal, which names the file and line.
    """
    blscfg = ""
    for path, number, body, stripped in code_lines(files):
        match = _NAME_ASSIGNMENT.match(body)
        if match and match.group("var") in (LINUX, LINUX_DEFAULT):
            continue  # GrubDefaults below reads these, and refuses what it cannot
        if match and match.group("var") == BLSCFG:
            value = _BLSCFG_VALUE.match(body[match.end():])
            if value:
                blscfg = next(group for group in value.groups() if group is not None)
                continue
        elif inert_assignment(body):
            continue
        raise CmdlineError(
            "%s line %d (%s): sysroot %s is a tree, so its GRUB defaults are read as data, without running them, "
            "and this line is not one whose effect can be known that way (only comments and plain assignments "
            "are); nothing was changed. Edit the line, or run against the host itself"
            % (path, number, config_text.printable(stripped), where))
    values = GrubDefaults(files).values()
    return {LINUX: join_cmdline(values[LINUX]), LINUX_DEFAULT: join_cmdline(values[LINUX_DEFAULT]), BLSCFG: blscfg}
