# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edit arguments spread over several lines in place (loader entry ``options`` lines, /etc/kernel/cmdline).

systemd-boot joins every ``options`` line of an entry with a space (its type #1
entry parser in src/boot/boot.c), and
kernel-install's 90-loaderentry.install joins the lines of /etc/kernel/cmdline
with ``tr -s "$IFS" ' '``, comment lines included.  So an argument may sit on
any line; it is removed or replaced on the line that holds it, and a new one
goes to the end of the last line that is not a ``#`` comment (the last line when
all are), which leaves every other line as it was: to kernel-install the place
makes no difference, to a reader (and to tools that drop ``#`` lines, such as
mkinitcpio for its UKI command line) an argument after a ``#`` would look, or be,
commented out.

:func:`render_line` writes a line's new arguments back into its old text: an argument
kept keeps the white space before it, a removed one goes with the white space before
it, a replaced one takes its place, a new one is appended after one space, and the
line's leading and trailing white space stay.  So an edit changes only the bytes of the
managed arguments (config_text keeps the rest of the file byte for byte).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import (
    argument_key,
    matches_absent,
    same_argument,
    split_cmdline,
)


def edit_argument_lines(lines, present, absent):
    """New ``[[arguments]]`` after making ``present`` present and ``absent`` absent."""
    lines = [[arg for arg in line if not any(matches_absent(arg, gone) for gone in absent)] for line in lines]
    if not lines:
        lines = [[]]
    for arg in present:
        places = [(n, i) for n, line in enumerate(lines) for i, old in enumerate(line)
                  if argument_key(old) == argument_key(arg)]
        if len(places) == 1 and same_argument(lines[places[0][0]][places[0][1]], arg):
            continue
        if places:
            for n, i in reversed(places[1:]):
                del lines[n][i]
            lines[places[0][0]][places[0][1]] = arg
        else:
            lines[_last_argument_line(lines)].append(arg)
    return lines


def _last_argument_line(lines):
    for index in range(len(lines) - 1, -1, -1):
        if not lines[index] or not lines[index][0].startswith("#"):
            return index
    return len(lines) - 1


def flatten(lines):
    return [arg for line in lines for arg in line]


def _spans(body):
    """``(lead, [(space before, argument)], trail)`` of a line, split as :func:`split_cmdline` splits it."""
    spans, space, word, quoted = [], [], [], False
    for char in body:
        if char == '"':
            quoted = not quoted
        if char.isspace() and not quoted:
            if word:
                spans.append(("".join(space), "".join(word)))
                space, word = [], []
            space.append(char)
            continue
        word.append(char)
    if word:
        spans.append(("".join(space), "".join(word)))
        space = []
    if not spans:
        return body, [], ""
    lead, first = spans[0]
    return lead, [("", first)] + spans[1:], "".join(space)


def render_line(body, new_args):
    """``body`` (one line without its ending) holding ``new_args``, every untouched byte kept."""
    lead, spans, trail = _spans(body)
    old_args = [arg for _space, arg in spans]
    if old_args != split_cmdline(body):
        return " ".join(new_args)
    if old_args == list(new_args):
        return body
    out = []
    matcher = difflib.SequenceMatcher(None, old_args, list(new_args), autojunk=False)
    for tag, old_from, old_to, new_from, new_to in matcher.get_opcodes():
        if tag == "equal":
            out += spans[old_from:old_to]
        elif tag in ("replace", "insert"):
            olds = spans[old_from:old_to]
            for index, arg in enumerate(new_args[new_from:new_to]):
                out.append((olds[index][0] if index < len(olds) else " ", arg))
    if not out:
        return lead + trail
    out[0] = ("", out[0][1])
    return lead + "".join(space + arg for space, arg in out) + trail
