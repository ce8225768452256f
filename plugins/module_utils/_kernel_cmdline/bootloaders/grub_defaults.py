# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GRUB defaults: /etc/default/grub and /etc/default/grub.d/*.cfg, parsed and edited.

``grub-mkconfig`` (which Debian's ``update-grub`` runs) sources
``/etc/default/grub`` and then every ``/etc/default/grub.d/*.cfg`` in name
order, so a drop-in may replace ``GRUB_CMDLINE_LINUX_DEFAULT`` (``VAR="..."``)
or extend it (``VAR="$VAR ..."``).  10_linux writes
``root=... ro ${GRUB_CMDLINE_LINUX} ${GRUB_CMDLINE_LINUX_DEFAULT}`` into each
normal menu entry, so the configured arguments are the fold of both chains.

Where edits go (the "effective assignment" rule):

* an argument that is already configured is replaced or removed where it
  is, in whichever file and variable holds it;
* a new argument goes to the assignment that the final value of
  ``GRUB_CMDLINE_LINUX_DEFAULT`` starts from: the last one that sets the
  variable outright (usually in /etc/default/grub; on Ubuntu cloud images a
  grub.d file).  Later drop-ins only extend that value, so none can undo it,
  and a user's own drop-ins are left alone.

How the files are read and edited byte for byte, and what is refused: shell_assignments.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.shell_assignments import ShellAssignments
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import CmdlineError

DEFAULT_FILE = "/etc/default/grub"
DROPIN_DIR = "/etc/default/grub.d"
LINUX = "GRUB_CMDLINE_LINUX"
LINUX_DEFAULT = "GRUB_CMDLINE_LINUX_DEFAULT"


class GrubDefaults(ShellAssignments):
    """The text of /etc/default/grub and its drop-ins, and the edits planned on them (POSIX sh: no ``+=``)."""

    def __init__(self, files):
        super(GrubDefaults, self).__init__(files, (LINUX, LINUX_DEFAULT), LINUX_DEFAULT, DEFAULT_FILE)

    @classmethod
    def read(cls, root):
        text = root.read_config(DEFAULT_FILE)
        if text is None:
            raise CmdlineError("%s does not exist" % DEFAULT_FILE)
        files = [(DEFAULT_FILE, text)]
        for name in root.list_dir(DROPIN_DIR):
            if name.endswith(".cfg"):
                path = "%s/%s" % (DROPIN_DIR, name)
                dropin = root.read_config(path)
                if dropin is not None:
                    files.append((path, dropin))
        return cls(files)
