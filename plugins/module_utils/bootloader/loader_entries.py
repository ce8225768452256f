# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Boot Loader Specification type #1 entries (``loader/entries/*.conf``) as systemd-boot reads them.

One ``key value`` per line, ``#`` comments; several ``options`` lines are
joined with a space.  Entries written by kernel-install carry the header
``# File created by .../90-loaderentry.install`` (src/kernel-install/
90-loaderentry.install.in); everything else was written by hand or by another
tool (Arch's ``arch.conf``, ``arch-fallback.conf``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import re

from ansible_collections.inferops.amd.plugins.module_utils.kernel_cmdline import split_cmdline

BOOT_ROOTS = ("/boot", "/efi", "/boot/efi")
KERNEL_INSTALL_MARK = "90-loaderentry.install"
_OPTIONS = re.compile(r"^(?P<lead>[ \t]*options)(?P<sep>[ \t]+)(?P<value>.*?)(?P<end>\r?\n?)$")


class LoaderEntry:
    def __init__(self, path, text):
        self.path = path
        self.text = text
        self.lines = text.splitlines(True)
        self.name = path.rsplit("/", 1)[-1]
        self.fields = {}
        for line in self.lines:
            key, _sep, value = line.strip().partition(" ")
            if key and not key.startswith("#"):
                self.fields.setdefault(key, value.strip())

    @property
    def by_kernel_install(self):
        return any(line.startswith("#") and KERNEL_INSTALL_MARK in line for line in self.lines)

    @property
    def is_fallback(self):
        return "fallback" in self.name.lower() or "fallback" in self.fields.get("title", "").lower()

    def option_lines(self):
        """``[[arguments]]``, one list per ``options`` line."""
        return [split_cmdline(_OPTIONS.match(line).group("value")) for line in self.lines if _OPTIONS.match(line)]

    def options(self):
        return [arg for line in self.option_lines() for arg in line]

    def with_option_lines(self, new_lines):
        """The entry's text with its ``options`` lines replaced (other lines byte for byte)."""
        out, index = [], 0
        for line in self.lines:
            match = _OPTIONS.match(line)
            if match:
                out.append("%s%s%s%s" % (match.group("lead"), match.group("sep"), " ".join(new_lines[index]),
                                         match.group("end") or "\n"))
                index += 1
            else:
                out.append(line)
        if index == 0 and new_lines and new_lines[0]:
            if out and not out[-1].endswith("\n"):
                out[-1] += "\n"
            out.append("options %s\n" % " ".join(new_lines[0]))
        return "".join(out)


def boot_roots(root):
    """The folders holding loader/ (ESP, XBOOTLDR), in systemd's search order."""
    return [path for path in BOOT_ROOTS if root.exists(path + "/loader/loader.conf") or
            root.is_dir(path + "/loader/entries")]


def read_entries(root):
    entries = []
    for boot in boot_roots(root):
        folder = boot + "/loader/entries"
        for name in root.list_dir(folder):
            if name.endswith(".conf"):
                entries.append(LoaderEntry("%s/%s" % (folder, name), root.read_text("%s/%s" % (folder, name), "")))
    return entries


def default_pattern(root):
    """loader.conf's ``default`` glob (``@saved`` and missing mean: not known from files)."""
    for boot in boot_roots(root):
        for line in (root.read_text(boot + "/loader/loader.conf") or "").splitlines():
            key, _sep, value = line.strip().partition(" ")
            if key == "default" and value.strip() and not value.strip().startswith("@"):
                return value.strip()
    return None


def is_default(entry, pattern):
    return pattern is not None and fnmatch.fnmatch(entry.name, pattern)
