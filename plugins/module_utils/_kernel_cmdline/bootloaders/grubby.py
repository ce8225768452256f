# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""grubby (Fedora, RHEL): the ``options`` of every BLS entry, edited by grubby itself.

``grubby --info=ALL`` prints one block per entry (``index=``, ``kernel="..."``,
``args="..."``, ``root="..."``, ``initrd=``, ``title=``, ``id=``); ``root=`` is
split out of the entry's options, so it is put back in front here.  Changes
go to every kernel (``--update-kernel=ALL``), so the next kernel update keeps
them too (grubby copies the default entry's options); so the plan and the
read-back cover every entry, not only the default one.  grubby-bls splits
``--args`` and ``--remove-args`` at spaces without honouring quotes, so values
with spaces are refused for this backend.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.base import Bootloader
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import (
    CmdlineChange,
    CmdlineError,
    argument_key,
    join_cmdline,
    missing_or_lost,
    plan_cmdline_change,
    refuse_spaces,
    same_argument,
    split_cmdline,
)

_FIELD = re.compile(r'^(?P<key>[a-z_]+)=(?P<value>"[^\n]*"|[^\n]*)$')


def parse_grubby_info(text):
    """Entries of ``grubby --info`` output as dicts (quotes removed).

    Each entry starts with ``index=`` (grubby.c printEntry(), grubby-bls print_info()); the C grubby
    prints ``lba`` and ``boot=`` of a legacy GRUB config before the first one (displayInfo()), which
    belong to no entry.
    """
    entries = []
    for line in (text or "").splitlines():
        match = _FIELD.match(line.strip())
        if not match:
            continue
        key, value = match.group("key"), match.group("value")
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1]
        if key == "index":
            entries.append({})
        if entries:
            entries[-1][key] = value
    return entries


def entry_arguments(entry):
    root = ["root=%s" % entry["root"]] if entry.get("root") else []
    return root + split_cmdline(entry.get("args", ""))


def tool_arguments(added, removed):
    """``--args``/``--remove-args`` values: a replaced name needs no removal (grubby replaces it)."""
    added_names = set(argument_key(arg) for arg in added)
    removals = [arg for arg in removed if argument_key(arg) not in added_names]
    return added, removals


def _merge(into, args):
    for arg in args:
        if not any(same_argument(arg, have) and arg == have for have in into):
            into.append(arg)


class BootloaderGrubby(Bootloader):
    """BLS entries edited with grubby --update-kernel=ALL, every entry read back."""

    name = "grubby"
    looked_for = "grubby: the grubby tool"
    tool_driven = True

    def __init__(self, root, runner):
        super(BootloaderGrubby, self).__init__(root, runner)
        self.tool = runner.require("grubby")
        self._entries = None

    @classmethod
    def detect(cls, root):
        return root.find_tool("grubby") is not None

    def _info(self):
        argv = [self.tool, "--info=ALL"]
        _rc, out, _err = self.runner.run(argv)
        entries = parse_grubby_info(out)
        if not entries or any("args" not in entry for entry in entries):
            raise CmdlineError("%s printed no args= for its entries: %s" % (" ".join(argv), out.strip()))
        return entries

    def entries(self):
        if self._entries is None:
            self._entries = self._info()
        return self._entries

    def configured(self):
        return entry_arguments(self.entries()[0])

    def plan(self, present, absent):
        added, removed, after = [], [], []
        for entry in self.entries():
            plan = plan_cmdline_change(entry_arguments(entry), present, absent)
            _merge(added, plan.added)
            _merge(removed, plan.removed)
            after.append((entry.get("kernel", entry.get("index")), plan.args))
        if not added and not removed:
            return CmdlineChange(self.configured())
        add, remove = tool_arguments(added, removed)
        refuse_spaces("grubby", add + remove)
        argv = [self.tool, "--update-kernel=ALL"]
        if add:
            argv.append("--args=%s" % join_cmdline(add))
        if remove:
            argv.append("--remove-args=%s" % join_cmdline(remove))
        change = CmdlineChange(after[0][1], commands=[argv], added=added, removed=removed)
        change.entries = after
        return change

    def apply(self, change, backup_suffix):
        for argv in change.commands:
            self.runner.run(argv)
        return []

    def read_back(self, change, present, absent):
        now = dict((entry.get("kernel", entry.get("index")), entry_arguments(entry)) for entry in self._info())
        for kernel, wanted in getattr(change, "entries", [(None, change.configured)]):
            actual = now.get(kernel) if kernel is not None else list(now.values())[0]
            if actual is None:
                raise CmdlineError("grubby --info=ALL no longer lists the entry of %s" % kernel)
            problem = missing_or_lost(actual, wanted, present, absent)
            if problem:
                raise CmdlineError("grubby reported success but the entry of %s holds '%s': %s"
                                   % (kernel, join_cmdline(actual), problem))
        return list(now.values())[0]

    def rollback(self, change):
        return []
