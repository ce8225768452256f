# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of a kernel command line change: plan, commit, owners' record, reboot verdict.

Shared by the kernel_cmdline module and by pcie_aspm, which puts its own policy argument on the
command line in the same module run (one process per host instead of two, docs/benchmarks.md).
The caller turns KernelCmdlineRunError into fail_json with the partial result it carries.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.inferops.amd.plugins.module_utils import kernel_cmdline
from ansible_collections.inferops.amd.plugins.module_utils import kernel_cmdline_owners as owners_state
from ansible_collections.inferops.amd.plugins.module_utils.bootloader.detect import NAMES, bootloader_class
from ansible_collections.inferops.amd.plugins.module_utils.command_runner import CommandError, CommandRunner

ERRORS = (kernel_cmdline.CmdlineError, CommandError)
# The `bootloader` option's choices: detect.py is the one place that lists the backends.
BOOTLOADERS = ("auto",) + NAMES


class KernelCmdlineRunError(Exception):
    """The run stopped; ``result`` holds what is known, with ``changed`` true where something was written."""

    def __init__(self, message, result):
        super(KernelCmdlineRunError, self).__init__(message)
        self.result = result


def change_diff(before, change):
    """One diff per edited file; the argument list for the tool-driven backends."""
    if change.files:
        return [{"before_header": path, "after_header": path, "before": old or "", "after": new}
                for path, (old, new) in sorted(change.files.items())]
    return [{"before_header": "kernel command line (configured)", "after_header": "kernel command line (configured)",
             "before": "\n".join(before) + "\n", "after": "\n".join(change.configured) + "\n"}]


def backup_suffix():
    return ".%d.%s~" % (os.getpid(), time.strftime("%Y-%m-%d@%H-%M-%S"))


def run_change(root, run_command, present, absent, owner=None, bootloader="auto", backup=True,
               check_mode=False, diff=False):
    """Bring the configured command line to `present`/`absent` (already validated); the module result.

    `owner` releases what it recorded earlier and no longer lists. Raises KernelCmdlineRunError.
    """
    runner = CommandRunner(root, run_command)
    try:
        owners, released_map = owners_state.read_state(root) if owner else ({}, {})
        released = owners_state.released(owners, owner, present) if owner else []
        # Released on an earlier run: the running kernel may still have them until the reboot.
        still_running = owners_state.pending(released_map, owner, present) if owner else []
        absent = list(absent) + released
        backend = bootloader_class(root, bootloader)(root, runner)
        before = backend.configured()
        change = backend.plan(present, absent)
    except ERRORS as exc:
        raise KernelCmdlineRunError(str(exc), dict(changed=False))
    running = kernel_cmdline.split_cmdline(root.read_text("/proc/cmdline", ""))
    new_owners = owners_state.updated_owners(owners, owner, present, change.added, before) if owner else owners
    new_released = owners_state.updated_released(released_map, owner, present, released) if owner else {}
    state_changed = (new_owners, new_released) != (owners, released_map)
    result = dict(changed=bool(change) or state_changed, bootloader=backend.name,
                  configured=change.configured, running=running, added=change.added, removed=change.removed,
                  released=[arg for arg in released if any(arg == gone for gone in change.removed)],
                  commands=[list(argv) for argv in change.commands])
    if change and diff:
        result["diff"] = change_diff(before, change)
    if change and not check_mode:
        try:
            backups, result["configured"] = backend.commit(change, backup_suffix() if backup else None, present, absent)
        except ERRORS as exc:
            changed = getattr(exc, "changed", False)
            result.update(changed=changed, configured=change.configured if changed else before)
            result.pop("diff", None)
            raise KernelCmdlineRunError("%s bootloader change failed: %s" % (backend.name, exc), result)
        if backups:
            result.update(backup_file=backups[0], backup_files=backups)
    if owner and state_changed and not check_mode:
        owners_state.write_state(root, new_owners, new_released)
    result["reboot_required"] = kernel_cmdline.reboot_required(result["configured"], running, present,
                                                               absent + still_running)
    return result
