# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kernelstub (Pop!_OS): kernel options kept in /etc/kernelstub/configuration.

The configuration is JSON with a ``default`` and a ``user`` section; the
``user`` section's ``kernel_options`` list is what kernelstub writes into the
``options`` line of ``<esp>/loader/entries/Pop_OS-current.conf`` (after
``root=UUID=... ro``).  It is read directly (kernelstub has no read-only
query), and changed only through ``kernelstub --delete-options`` and
``--add-options``, which split their value at spaces: values with spaces are
refused for this backend.  Read-back checks the configuration and the boot entry
kernelstub rewrote, ``<esp_path>/loader/entries/Pop_OS-current.conf``.

The module never writes the configuration: kernelstub does (``Config.save_config`` in
kernelstub/config.py dumps the whole JSON with ``indent=2``), so its bytes are kernelstub's
business.  What the module owes is the way back: before kernelstub runs, the configuration's
bytes and every ``*.conf`` of ``<esp_path>/loader/entries`` are recorded, and when kernelstub
fails or its result reads back wrong they are put back byte for byte (entries it created are
removed).  kernelstub may also have copied a kernel or touched NVRAM, which cannot be undone,
so such a failure still reports ``changed``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.base import Bootloader
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.loader_entries import LoaderEntry
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import (
    CmdlineChange,
    CmdlineError,
    join_cmdline,
    missing_or_lost,
    plan_cmdline_change,
    refuse_spaces,
)

CONFIG_FILE = "/etc/kernelstub/configuration"
ENTRY = "loader/entries/Pop_OS-current.conf"


def parse_kernelstub_config(text):
    """The user's kernel options from kernelstub's configuration JSON."""
    try:
        options = json.loads(text)["user"]["kernel_options"]
    except (ValueError, KeyError, TypeError):
        raise CmdlineError("%s has no user.kernel_options list" % CONFIG_FILE)
    if not isinstance(options, list) or not all(isinstance(item, str) for item in options):
        raise CmdlineError("%s: user.kernel_options is not a list of strings" % CONFIG_FILE)
    return list(options)


class BootloaderKernelstub(Bootloader):
    """Pop!_OS: kernelstub --add-options / --delete-options."""

    name = "kernelstub"
    looked_for = "kernelstub: the kernelstub tool and /etc/kernelstub/configuration"
    tool_driven = True

    def __init__(self, root, runner):
        super(BootloaderKernelstub, self).__init__(root, runner)
        self.tool = runner.require("kernelstub")

    @classmethod
    def detect(cls, root):
        return root.find_tool("kernelstub") is not None and root.exists(CONFIG_FILE)

    def configured(self):
        text = self.root.read_config(CONFIG_FILE)
        if text is None:
            raise CmdlineError("%s does not exist" % CONFIG_FILE)
        return parse_kernelstub_config(text)

    def plan(self, present, absent):
        plan = plan_cmdline_change(self.configured(), present, absent)
        refuse_spaces("kernelstub", plan.added + plan.removed)
        argv = [self.tool]
        if plan.removed:
            argv += ["--delete-options", join_cmdline(plan.removed)]
        if plan.added:
            argv += ["--add-options", join_cmdline(plan.added)]
        return CmdlineChange(plan.args, commands=[argv] if len(argv) > 1 else [], added=plan.added,
                             removed=plan.removed)

    def _esp(self):
        try:
            esp = json.loads(self.root.read_config(CONFIG_FILE))["user"].get("esp_path", "/boot/efi")
        except (ValueError, KeyError, TypeError, AttributeError):
            esp = "/boot/efi"
        return esp.rstrip("/") if isinstance(esp, str) else "/boot/efi"

    def apply(self, change, backup_suffix):
        self.transaction.keep(CONFIG_FILE)
        self.transaction.keep_folder(self._esp() + "/loader/entries")
        for argv in change.commands:
            self.runner.run(argv)
        return []

    def read_back(self, change, present, absent):
        """The configuration, then the entry kernelstub writes (``options root=... ro <kernel_options>``)."""
        actual = self.configured()
        problem = missing_or_lost(actual, change.configured, present, absent)
        if problem:
            raise CmdlineError("kernelstub reported success but %s holds '%s': %s"
                               % (CONFIG_FILE, join_cmdline(actual), problem))
        path = "%s/%s" % (self._esp(), ENTRY)
        text = self.root.read_config(path)
        if text is not None:
            problem = missing_or_lost(LoaderEntry(path, text).options(), change.configured, present, absent)
            if problem:
                raise CmdlineError("kernelstub reported success but %s does not boot it: %s" % (path, problem))
        return actual
