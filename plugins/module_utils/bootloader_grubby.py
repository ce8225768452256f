# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""grubby (Fedora, RHEL): the ``options`` of every BLS entry, edited by grubby itself.

``grubby --info=ALL`` prints one block per entry (``index=``, ``kernel="..."``,
``args="..."``, ``root="..."``, ``initrd=``, ``title=``, ``id=``); ``root=`` is
split out of the entry's options, so it is put back in front here.  Changes
go to every kernel (``--update-kernel=ALL``), so the next kernel update keeps
them too (grubby copies the default entry's options).  grubby-bls splits
``--args`` and ``--remove-args`` at spaces without honouring quotes, so values
with spaces are refused for this backend.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.inferops.amd.plugins.module_utils.kernel_cmdline import (
    CmdlineChange,
    CmdlineError,
    argument_name,
    join_cmdline,
    parse_argument,
    plan_cmdline_change,
    split_cmdline,
)

_FIELD = re.compile(r'^(?P<key>[a-z_]+)=(?P<value>"[^\n]*"|[^\n]*)$')


def parse_grubby_info(text):
    """Entries of ``grubby --info`` output as dicts (quotes removed)."""
    entries = []
    for line in (text or "").splitlines():
        match = _FIELD.match(line.strip())
        if not match:
            continue
        key, value = match.group("key"), match.group("value")
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1]
        if key == "index" or not entries:
            entries.append({})
        entries[-1][key] = value
    return entries


def entry_arguments(entry):
    root = ["root=%s" % entry["root"]] if entry.get("root") else []
    return root + split_cmdline(entry.get("args", ""))


def refuse_spaces(tool, args):
    for arg in args:
        value = parse_argument(arg)[1]
        if value is not None and any(char.isspace() for char in value):
            raise CmdlineError("%s splits arguments at spaces; '%s' cannot be passed through it" % (tool, arg))


def tool_arguments(added, removed):
    """``--args``/``--remove-args`` values: a replaced name needs no removal (grubby replaces it)."""
    added_names = set(argument_name(arg) for arg in added)
    removals = [arg for arg in removed if argument_name(arg) not in added_names]
    return added, removals


class BootloaderGrubby:
    """BLS entries edited with grubby --update-kernel=ALL."""

    name = "grubby"
    looked_for = "grubby: the grubby tool"
    edits_files = False

    def __init__(self, root, run):
        self.root = root
        self.run = run
        self.tool = root.find_tool("grubby")
        self._cache = {}
        if self.tool is None:
            raise CmdlineError("grubby is not installed in %s" % root.root)

    @classmethod
    def detect(cls, root):
        return root.find_tool("grubby") is not None

    def _info(self, which):
        if which in self._cache:
            return self._cache[which]
        argv = [self.tool, "--info=%s" % which]
        rc, out, err = self.run(argv)
        entries = parse_grubby_info(out) if rc == 0 else []
        if not entries or "args" not in entries[0]:
            raise CmdlineError("%s failed (exit %d) or printed no args=: %s" % (" ".join(argv), rc, (err or out).strip()))
        self._cache[which] = entries
        return entries

    def configured(self):
        return entry_arguments(self._info("DEFAULT")[0])

    def plan(self, present, absent):
        added, removed = [], []
        for entry in self._info("ALL"):
            plan = plan_cmdline_change(entry_arguments(entry), present, absent)
            added += [arg for arg in plan.added if arg not in added]
            removed += [arg for arg in plan.removed if arg not in removed]
        configured = plan_cmdline_change(self.configured(), present, absent).args
        if not added and not removed:
            return CmdlineChange(configured)
        add, remove = tool_arguments(added, removed)
        refuse_spaces("grubby", add + remove)
        argv = [self.tool, "--update-kernel=ALL"]
        if add:
            argv.append("--args=%s" % join_cmdline(add))
        if remove:
            argv.append("--remove-args=%s" % join_cmdline(remove))
        return CmdlineChange(configured, commands=[argv])

    def apply(self, change, backup_suffix):
        return run_commands(self.run, change)


def run_commands(run, change):
    """Run a tool-driven change; raise CmdlineError with the tool's output when it fails."""
    for argv in change.commands:
        rc, out, err = run(argv)
        if rc != 0:
            raise CmdlineError("%s failed (exit %d): %s" % (" ".join(argv), rc, (err or out or "").strip()))
    return []
