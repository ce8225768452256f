# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rpm-ostree (Fedora Atomic, Bazzite, bootc hosts): kernel arguments of the next deployment.

``rpm-ostree kargs`` prints the arguments of the default deployment on one
line (a staged deployment when there is one, so a second run sees the
pending change and does nothing).  A change stages a new deployment that
takes effect at the next boot.  Arguments go as
``--delete-if-present=<old>`` and ``--append-if-missing=<new>``
(src/app/rpmostree-builtin-kargs.cxx): unlike ``--delete``/``--append`` they
neither fail on an argument that another client removed in the meantime nor
add a second copy.  While another client's transaction runs, the daemon
refuses with ``Transaction in progress: ...`` (G_IO_ERROR_BUSY,
``rpmostreed_sysroot_prep_for_txn`` in src/daemon/rpmostreed-sysroot.cxx); the
call is retried for a while (``BUSY_WAIT``) before giving up.  The host is
recognised by ``/run/ostree-booted``, which ostree-prepare-root creates.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.base import Bootloader
from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandError
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import (
    CmdlineChange,
    CmdlineError,
    join_cmdline,
    missing_or_lost,
    plan_cmdline_change,
    split_cmdline,
)

OSTREE_BOOTED = "/run/ostree-booted"
BUSY_MARK = "Transaction in progress"
# (attempts, seconds between them): a package layering transaction takes minutes.
BUSY_WAIT = (30, 10)


class BootloaderRpmOstree(Bootloader):
    """rpm-ostree kargs --delete-if-present= / --append-if-missing=."""

    name = "rpm_ostree"
    looked_for = "rpm-ostree: /run/ostree-booted and the rpm-ostree tool"
    tool_driven = True
    busy_wait = BUSY_WAIT
    sleep = staticmethod(time.sleep)

    def __init__(self, root, runner):
        super(BootloaderRpmOstree, self).__init__(root, runner)
        self.tool = runner.require("rpm-ostree")
        self._configured = None

    @classmethod
    def detect(cls, root):
        return root.exists(OSTREE_BOOTED) and root.find_tool("rpm-ostree") is not None

    def _run_waiting(self, argv):
        attempts, pause = self.busy_wait
        for attempt in range(attempts):
            try:
                return self.runner.run(argv)
            except CommandError as exc:
                if BUSY_MARK not in exc.err + exc.out or attempt == attempts - 1:
                    raise
                self.sleep(pause)
        return None

    def _kargs(self):
        _rc, out, _err = self._run_waiting([self.tool, "kargs"])
        return split_cmdline(out)

    def configured(self):
        if self._configured is None:
            self._configured = self._kargs()
        return list(self._configured)

    def plan(self, present, absent):
        plan = plan_cmdline_change(self.configured(), present, absent)
        if not plan.added and not plan.removed:
            return CmdlineChange(plan.args)
        argv = [self.tool, "kargs"] + ["--delete-if-present=%s" % arg for arg in plan.removed] + \
            ["--append-if-missing=%s" % arg for arg in plan.added]
        return CmdlineChange(plan.args, commands=[argv], added=plan.added, removed=plan.removed)

    def apply(self, change, backup_suffix):
        for argv in change.commands:
            self._run_waiting(argv)
        return []

    def read_back(self, change, present, absent):
        actual = self._kargs()
        problem = missing_or_lost(actual, change.configured, present, absent)
        if problem:
            raise CmdlineError("rpm-ostree reported success but 'rpm-ostree kargs' shows '%s': %s"
                               % (join_cmdline(actual), problem))
        return actual

    def rollback(self, change):
        return []
