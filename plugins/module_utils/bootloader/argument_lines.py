# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edit arguments spread over several lines in place (loader entry ``options`` lines, /etc/kernel/cmdline).

systemd-boot joins every ``options`` line of an entry with a space (its type #1
entry parser in src/boot/boot.c), and
kernel-install's 90-loaderentry.install joins the lines of /etc/kernel/cmdline
with ``tr -s "$IFS" ' '``, comment lines included.  So an argument may sit on
any line; it is removed or replaced on the line that holds it, and a new one
goes to the end of the last line, which leaves every other line as it was.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.inferops.amd.plugins.module_utils.kernel_cmdline import (
    argument_key,
    matches_absent,
    same_argument,
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
            lines[-1].append(arg)
    return lines


def flatten(lines):
    return [arg for line in lines for arg in line]
