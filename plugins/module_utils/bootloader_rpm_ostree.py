# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rpm-ostree (Fedora Atomic, Bazzite, bootc hosts): kernel arguments of the next deployment.

``rpm-ostree kargs`` prints the arguments of the default deployment on one
line (a staged deployment when there is one, so a second run sees the
pending change and does nothing).  A change stages a new deployment that
takes effect at the next boot.  Each argument is passed as its own option,
``--delete=<exact old argument>`` then ``--append=<new argument>``: the
current arguments were read first, so both are exact and nothing is called
when nothing changes.  The host is recognised by ``/run/ostree-booted``,
which ostree-prepare-root creates on every ostree boot.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.inferops.amd.plugins.module_utils.bootloader_grubby import run_commands
from ansible_collections.inferops.amd.plugins.module_utils.kernel_cmdline import (
    CmdlineChange,
    CmdlineError,
    plan_cmdline_change,
    split_cmdline,
)

OSTREE_BOOTED = "/run/ostree-booted"


class BootloaderRpmOstree:
    """rpm-ostree kargs --delete= / --append=."""

    name = "rpm_ostree"
    looked_for = "rpm-ostree: /run/ostree-booted and the rpm-ostree tool"
    edits_files = False

    def __init__(self, root, run):
        self.root = root
        self.run = run
        self.tool = root.find_tool("rpm-ostree")
        self._configured = None
        if self.tool is None:
            raise CmdlineError("rpm-ostree is not installed in %s" % root.root)

    @classmethod
    def detect(cls, root):
        return root.exists(OSTREE_BOOTED) and root.find_tool("rpm-ostree") is not None

    def configured(self):
        if self._configured is not None:
            return list(self._configured)
        argv = [self.tool, "kargs"]
        rc, out, err = self.run(argv)
        if rc != 0:
            raise CmdlineError("%s failed (exit %d): %s" % (" ".join(argv), rc, (err or out).strip()))
        self._configured = split_cmdline(out)
        return list(self._configured)

    def plan(self, present, absent):
        plan = plan_cmdline_change(self.configured(), present, absent)
        if not plan.added and not plan.removed:
            return CmdlineChange(plan.args)
        argv = [self.tool, "kargs"] + ["--delete=%s" % arg for arg in plan.removed] + \
            ["--append=%s" % arg for arg in plan.added]
        return CmdlineChange(plan.args, commands=[argv])

    def apply(self, change, backup_suffix):
        return run_commands(self.run, change)
