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

from ansible_collections.inferops.amd.plugins.module_utils._host import config_text
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline import arguments as kernel_cmdline
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline import owners as owners_state
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.detect import NAMES, bootloader_class
from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandError, CommandRunner

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
        # module results are UTF-8: a byte that is not (a Latin-1 comment) shows as U+FFFD
        return [{"before_header": path, "after_header": path, "before": config_text.printable(old or ""),
                 "after": config_text.printable(new)} for path, (old, new) in sorted(change.files.items())]
    return [{"before_header": "kernel command line (configured)", "after_header": "kernel command line (configured)",
             "before": "\n".join(before) + "\n", "after": "\n".join(change.configured) + "\n"}]


def backup_suffix():
    return ".%d.%s~" % (os.getpid(), time.strftime("%Y-%m-%d@%H-%M-%S"))


class PlannedChange:
    """A planned command line change: everything decided, nothing written yet (see :func:`plan_change`)."""

    def __init__(self, root, backend, owner, present, absent, before, change, state, restored, still_running):
        self.root = root
        self.backend = backend
        self.owner = owner
        self.present = present
        self.absent = absent
        self.before = before
        self.change = change
        self.state = state              # (old, new) of (owners, released, replaced)
        self.restored = restored
        self.still_running = still_running

    @property
    def state_changed(self):
        return self.state[0] != self.state[1]


def plan_change(root, run_command, present, absent, owner=None, bootloader="auto"):
    """Read the boot configuration and plan the change; nothing is written. Raises KernelCmdlineRunError.

    `owner` releases what it recorded earlier and no longer lists; the user's own values it replaced come back.
    """
    runner = CommandRunner(root, run_command)
    try:
        old_state = owners_state.read_state(root) if owner else ({}, {}, {})
        owners, released_map, replaced_map = old_state
        released = owners_state.released(owners, owner, present) if owner else []
        # The user's own values the owner replaced come back in place of what it releases.
        restored = owners_state.restorations(replaced_map, owner, released) if owner else []
        # Released on an earlier run: the running kernel may still have them until the reboot.
        still_running = owners_state.pending(released_map, owner, present) if owner else []
        restored_names = set(kernel_cmdline.argument_key(arg) for arg in restored)
        absent = list(absent) + [arg for arg in released if kernel_cmdline.argument_key(arg) not in restored_names]
        backend = bootloader_class(root, bootloader)(root, runner)
        before = backend.configured()
        change = backend.plan(list(present) + restored, absent)
    except ERRORS as exc:
        raise KernelCmdlineRunError(str(exc), dict(changed=False))
    new_state = old_state
    if owner:
        new_state = (owners_state.updated_owners(owners, owner, present, change.added, before),
                     owners_state.updated_released(released_map, owner, present, released),
                     owners_state.updated_replaced(replaced_map, owner, present, change.added, before, restored))
    planned = PlannedChange(root, backend, owner, list(present) + restored, absent, before, change,
                            (old_state, new_state), restored, still_running)
    planned.released = [arg for arg in released if any(arg == gone for gone in change.removed)]
    return planned


def commit_change(planned, backup=True, check_mode=False, diff=False):
    """Carry out a :class:`PlannedChange` (only report it in check mode); the module result.

    Raises KernelCmdlineRunError, whose result says whether anything stayed changed.
    """
    root, backend, change = planned.root, planned.backend, planned.change
    running = kernel_cmdline.split_cmdline(root.read_text("/proc/cmdline", "")) if backend.boots_here else []
    result = dict(changed=bool(change) or planned.state_changed, bootloader=backend.name,
                  configured=change.configured, running=running, added=change.added, removed=change.removed,
                  released=planned.released, restored=[arg for arg in planned.restored if arg in change.added],
                  commands=[list(argv) for argv in change.commands])
    if change and diff:
        result["diff"] = change_diff(planned.before, change)
    if change and not check_mode:
        try:
            backups, result["configured"] = backend.commit(change, backup_suffix() if backup else None,
                                                           planned.present, planned.absent)
        except ERRORS as exc:
            changed = getattr(exc, "changed", False)
            result.update(changed=changed, configured=change.configured if changed else planned.before)
            result.pop("diff", None)
            raise KernelCmdlineRunError("%s bootloader change failed: %s" % (backend.name, exc), result)
        if backups:
            result.update(backup_file=backups[0], backup_files=backups)
    if planned.owner and planned.state_changed and not check_mode:
        owners_state.write_state(root, *planned.state[1])
    result["reboot_required"] = backend.boots_here and kernel_cmdline.reboot_required(
        result["configured"], running, planned.present, planned.absent + planned.still_running)
    return result


def run_change(root, run_command, present, absent, owner=None, bootloader="auto", backup=True,
               check_mode=False, diff=False):
    """Plan and commit in one go (:func:`plan_change`, :func:`commit_change`); the module result."""
    planned = plan_change(root, run_command, present, absent, owner=owner, bootloader=bootloader)
    return commit_change(planned, backup=backup, check_mode=check_mode, diff=diff)
