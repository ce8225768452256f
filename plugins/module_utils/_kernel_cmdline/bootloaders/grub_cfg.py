# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``linux`` lines of a generated grub.cfg: what GRUB will really hand the kernel.

10_linux (util/grub.d/10_linux.in, ``linux_entry``) writes, per menu entry,
``linux <image> root=<device> ro <args>`` where ``<args>`` is
``${GRUB_CMDLINE_LINUX} ${GRUB_CMDLINE_LINUX_DEFAULT}`` for the normal entries and
``single ${GRUB_CMDLINE_LINUX}`` for the recovery ones.  Read-back checks every
normal entry of this system (the default one is among them, whatever GRUB_DEFAULT
says): those with the ``root=`` of the first entry, which 10_linux writes before any
other script.  Other systems found by 30_os-prober have their own ``root=`` and
arguments, and memtest entries (20_memtest86+) take none, so both are left out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import (
    CmdlineError,
    missing_or_lost,
    split_cmdline,
)

_MENUENTRY = re.compile(r"^\s*menuentry\s+(?P<title>'[^']*'|\"[^\"]*\"|\S+)")
_LINUX = re.compile(r"^\s*linux(?:16|efi)?\s+(?P<image>\S+)(?P<args>.*)$")


def normal_entries(text):
    """``[(title, [arguments after the image])]`` of every non-recovery entry of this system."""
    found = []
    title = ""
    for line in (text or "").splitlines():
        menu = _MENUENTRY.match(line)
        if menu:
            title = menu.group("title").strip("'\"")
            continue
        linux = _LINUX.match(line)
        if linux:
            args = split_cmdline(linux.group("args"))
            if "recovery mode" in title or "single" in args or "memtest" in linux.group("image").lower():
                continue
            found.append((title, args))
    if not found:
        return found
    root = [arg for arg in found[0][1] if arg.startswith("root=")]
    return [entry for entry in found if [arg for arg in entry[1] if arg.startswith("root=")] == root]


def check_grub_cfg(path, text, wanted, present, absent):
    """Raise CmdlineError naming ``path`` and the entry when any normal entry does not boot ``wanted``."""
    entries = normal_entries(text)
    if not entries:
        raise CmdlineError("%s has no menu entry with a linux line after regeneration" % path)
    for title, args in entries:
        problem = missing_or_lost(args, wanted, present, absent)
        if problem:
            raise CmdlineError("%s, entry '%s', does not boot what the defaults say: %s" % (path, title, problem))
    return entries[0][1]
