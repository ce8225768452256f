# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The contract every bootloader backend keeps.

* ``detect(root)`` (class method): is this the host's bootloader?  Only looks at files
  and tools, runs nothing.
* ``configured()``: the arguments the next boot will get, as this bootloader holds them.
* ``plan(present, absent)``: a :class:`CmdlineChange` (files to write, tool calls,
  the resulting argument list, added/removed); refuses with CmdlineError, touching
  nothing, whatever it cannot prove right.
* ``apply(change, backup_suffix)``: write and run; returns the backups made.
* ``read_back(change, present, absent)``: read what will really boot (generated
  grub.cfg, loader entries, the tool's own query) and raise CmdlineError naming the
  file or tool when a managed argument is wrong or an unmanaged one vanished.
* ``rollback(change)``: undo ``apply`` as far as this bootloader allows; returns
  what was put back.

:meth:`Bootloader.commit` runs apply, read_back and, on any failure, rollback, so
no backend can forget one of them.  ``tool_driven`` backends (grubby, kernelstub,
rpm-ostree) cannot be rolled back byte for byte; a failure there reports changed.
``boots_here`` is False for a backend that writes an image's configuration (bootc_kargs).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.files import FileTransaction, RestoreError
from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandError
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import CmdlineError
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRootError


class Bootloader:
    name = None
    looked_for = None
    tool_driven = False
    # False where the configuration is an image's, not this machine's next boot (bootc_kargs):
    # /proc/cmdline is not compared and no reboot is asked for.
    boots_here = True

    def __init__(self, root, runner):
        self.root = root
        self.runner = runner
        self.transaction = FileTransaction(root)

    @classmethod
    def detect(cls, root):
        raise NotImplementedError

    def configured(self):
        raise NotImplementedError

    def plan(self, present, absent):
        raise NotImplementedError

    def apply(self, change, backup_suffix):
        raise NotImplementedError

    def read_back(self, change, present, absent):
        raise NotImplementedError

    def write_and_run(self, change, backup_suffix):
        """The plain apply: write the change's files (backed up), then run its commands; returns the backups."""
        for path, (_old, new) in sorted(change.files.items()):
            self.transaction.write(path, new, backup_suffix)
        for argv in change.commands:
            self.runner.run(argv)
        return list(self.transaction.backups)

    def rollback(self, change):
        """Restore every file recorded by the transaction; tool-driven backends override."""
        return self.transaction.restore()

    def commit(self, change, backup_suffix, present, absent):
        """apply + read_back; on failure rollback and raise.  Returns ``(backups, configured)``.

        A change that needs a tool of a tree that may not run code is refused before
        anything is written (a tree is data: ``SysRoot.refuse_tree_code``).
        """
        if change.commands:
            try:
                self.root.refuse_tree_code(" ".join(change.commands[0]))
            except SysRootError as exc:
                raise CmdlineError("%s; nothing was changed" % exc)
        try:
            backups = self.apply(change, backup_suffix)
            actual = self.read_back(change, present, absent)
        except (CmdlineError, CommandError, IOError, OSError) as exc:
            try:
                restored = self.rollback(change)
            except RestoreError as again:
                raise CmdlineError("%s; %s" % (exc, again), changed=True)
            except (CmdlineError, CommandError, IOError, OSError) as again:
                raise CmdlineError("%s; putting things back failed too: %s" % (exc, again), changed=True)
            if self.tool_driven:
                raise CmdlineError("%s; %s may have applied part of the change (%s)"
                                   % (exc, self.name, ", ".join(restored) or "nothing could be undone"),
                                   changed=True)
            if not restored:
                raise CmdlineError("%s; no file had been changed yet" % exc)
            raise CmdlineError("%s; restored %s byte for byte as it was before (read back)" % (exc, ", ".join(restored)))
        return backups, actual
