# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Boot Loader Specification type #1 entries (``loader/entries/*.conf``) as systemd-boot reads them.

One ``key value`` per line, ``#`` comments; several ``options`` lines are
joined with a space.  Entries written by kernel-install carry the header
``# File created by .../90-loaderentry.install`` (src/kernel-install/
90-loaderentry.install.in); everything else was written by hand or by another
tool (Arch's ``arch.conf``, ``arch-fallback.conf``).

An entry is the user's file: it is read as bytes (``SysRoot.read_config``, lossless text),
split at ``\\n`` only (``config_text.split_lines``), and an edit rewrites only the
arguments it manages inside the ``options`` lines (``argument_lines.render_line``): CRLF
endings, Latin-1 titles or comments, spacing and a missing final newline stay as they were.

Boot counting (systemd's "Automatic Boot Assessment"): a name may end in ``+LEFT.conf`` or
``+LEFT-DONE.conf``.  systemd's own parsers, ``boot_filename_extract_tries()`` in
src/shared/bootspec.c (userspace: bootctl, kernel-install) and ``config_entry_parse_tries()``
in src/boot/efi/boot.c (the boot loader, which renames ``+3`` to ``+2-1`` at each try), take
the last ``+`` before the suffix, then at least one digit, optionally ``-`` and at least one
digit, and nothing else up to the suffix; the entry's id is the name without that counter.
The counter is no part of what the entry is: :func:`split_boot_counter` gives the id.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import re

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.argument_lines import render_line
from ansible_collections.inferops.amd.plugins.module_utils._host.config_text import line_body, split_lines
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import split_cmdline

BOOT_ROOTS = ("/boot", "/efi", "/boot/efi")
KERNEL_INSTALL_MARK = "90-loaderentry.install"
_OPTIONS = re.compile(r"^(?P<lead>[ \t]*options)(?P<sep>[ \t]+)(?P<value>.*)$", re.S)
# bootspec.c and boot.c allow a counter up to INT_MAX; a larger one is no counter to boot.c.
_COUNTER = re.compile(r"^(?P<id>.*)\+(?P<left>[0-9]+)(?:-(?P<done>[0-9]+))?(?P<suffix>\.[^.]*)$", re.S)
INT_MAX = 2147483647


def split_boot_counter(name):
    """``(id, tries left, tries done)`` of an entry file name; ``(name, None, None)`` without a counter.

    ``foo+3.conf`` -> ``("foo.conf", 3, None)``, ``foo+2-1.conf`` -> ``("foo.conf", 2, 1)``,
    ``some+name+24324-22.efi`` -> ``("some+name.efi", 24324, 22)`` (the cases of
    src/test/test-bootspec.c, tests/fixtures/real_world/systemd/).
    """
    match = _COUNTER.match(name)
    if not match:
        return name, None, None
    left = int(match.group("left"))
    done = None if match.group("done") is None else int(match.group("done"))
    if left > INT_MAX or (done is not None and done > INT_MAX):
        return name, None, None
    return match.group("id") + match.group("suffix"), left, done


def _option_value(line):
    """The ``options`` line's parts ``(lead, sep, value, ending)``, or None for any other line."""
    body, ending = line_body(line)
    match = _OPTIONS.match(body)
    if not match:
        return None
    return match.group("lead"), match.group("sep"), match.group("value"), ending


class LoaderEntry:
    def __init__(self, path, text):
        """``text``: the file as ``SysRoot.read_config`` gives it (bytes as lossless text)."""
        self.path = path
        self.text = text
        self.lines = split_lines(text)
        self.name = path.rsplit("/", 1)[-1]
        self.id = split_boot_counter(self.name)[0]
        self.fields = {}
        for line in self.lines:
            parts = line.split(None, 1)
            if parts and not parts[0].startswith("#"):
                self.fields.setdefault(parts[0], parts[1].strip() if len(parts) > 1 else "")

    @property
    def by_kernel_install(self):
        return any(line.startswith("#") and KERNEL_INSTALL_MARK in line for line in self.lines)

    @property
    def is_fallback(self):
        return "fallback" in self.id.lower() or "fallback" in self.fields.get("title", "").lower()

    def option_lines(self):
        """``[[arguments]]``, one list per ``options`` line."""
        return [split_cmdline(parts[2]) for parts in map(_option_value, self.lines) if parts is not None]

    def options(self):
        return [arg for line in self.option_lines() for arg in line]

    def with_option_lines(self, new_lines):
        """The entry's text with its ``options`` lines' arguments replaced; every other byte kept.

        A new ``options`` line (an entry had none) ends like the entry's first line
        (CRLF or LF); a last line without a newline keeps having none.
        """
        out, index = [], 0
        for line in self.lines:
            parts = _option_value(line)
            if parts is not None:
                lead, sep, value, ending = parts
                out.append(lead + sep + render_line(value, new_lines[index]) + ending)
                index += 1
            else:
                out.append(line)
        if index == 0 and new_lines and new_lines[0]:
            ending = line_body(out[0])[1] if out and line_body(out[0])[1] else "\n"
            if out and not line_body(out[-1])[1]:
                out[-1] += ending
            out.append("options %s%s" % (" ".join(new_lines[0]), ending))
        return "".join(out)


def boot_roots(root):
    """The folders holding loader/ (ESP, XBOOTLDR), in systemd's search order."""
    return [path for path in BOOT_ROOTS
            if root.exists(path + "/loader/loader.conf") or root.is_dir(path + "/loader/entries")]


def read_entries(root):
    entries = []
    for boot in boot_roots(root):
        folder = boot + "/loader/entries"
        for name in root.list_dir(folder):
            if name.endswith(".conf"):
                entries.append(LoaderEntry("%s/%s" % (folder, name), root.read_config("%s/%s" % (folder, name), "")))
    return entries


def default_pattern(root):
    """loader.conf's ``default`` glob (``@saved`` and missing mean: not known from files)."""
    for boot in boot_roots(root):
        for line in split_lines(root.read_config(boot + "/loader/loader.conf") or ""):
            parts = line.split(None, 1)
            value = parts[1].strip() if len(parts) > 1 else ""
            if parts and parts[0] == "default" and value and not value.startswith("@"):
                return value
    return None


def is_default(entry, pattern):
    """Does loader.conf's ``default`` glob name the entry (by its id, the name without a boot counter)?"""
    return pattern is not None and (fnmatch.fnmatch(entry.id, pattern) or fnmatch.fnmatch(entry.name, pattern))
