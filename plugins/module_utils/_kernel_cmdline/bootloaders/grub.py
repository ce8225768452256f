# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GRUB: edit the defaults, prove the edit with a real shell, regenerate, read grub.cfg back.

1. grub_defaults parses /etc/default/grub and grub.d/*.cfg and plans the edit;
2. grub_shell sources the files with /bin/sh before (the parser must read exactly
   what the shell reads, else refuse with file and line) and, on scratch copies,
   after the edit (the shell must then read exactly the planned arguments);
3. apply writes the files, runs update-grub (or grub-mkconfig -o), sources the
   written files again and reads every normal entry's ``linux`` line of grub.cfg;
4. any mismatch or failure puts the defaults files and grub.cfg back byte for byte.

``GRUB_ENABLE_BLSCFG=true`` (Fedora's grub2) means grub.cfg has no ``linux`` lines:
the BLS entries boot, and grubby is the tool that edits them, so this backend refuses.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.base import Bootloader
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grub_cfg import check_grub_cfg
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grub_defaults import DEFAULT_FILE, GrubDefaults
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grub_shell import (
    check_parser_matches_shell,
    shell_arguments,
    shell_values,
)
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import (
    CmdlineChange,
    CmdlineError,
    join_cmdline,
    parse_argument,
    plan_cmdline_change,
)

# (tool, arguments): update-grub on Debian/Ubuntu knows its own output file;
# elsewhere grub-mkconfig needs -o with the grub.cfg of that distribution.
REGENERATORS = (("update-grub", ()), ("grub-mkconfig", ("-o", "{cfg}")), ("grub2-mkconfig", ("-o", "{cfg}")))
GRUB_CFG_CANDIDATES = ("/boot/grub/grub.cfg", "/boot/grub2/grub.cfg")


def grub_cfg_path(root):
    for path in GRUB_CFG_CANDIDATES:
        if root.exists(path):
            return path
    return GRUB_CFG_CANDIDATES[1] if root.is_dir("/boot/grub2") else GRUB_CFG_CANDIDATES[0]


def regenerator(root):
    """argv of the tool that rebuilds grub.cfg, or None."""
    for name, args in REGENERATORS:
        tool = root.find_tool(name)
        if tool:
            return [tool] + [arg.format(cfg=grub_cfg_path(root)) for arg in args]
    return None


def _as_multiset(args):
    return sorted(parse_argument(arg)[0].replace("-", "_") + "=" + str(parse_argument(arg)[1]) for arg in args)


class BootloaderGrub(Bootloader):
    """Kernel arguments in the GRUB defaults files, applied with update-grub or grub-mkconfig."""

    name = "grub"
    looked_for = "GRUB: /etc/default/grub and one of update-grub, grub-mkconfig, grub2-mkconfig"

    def __init__(self, root, runner):
        super(BootloaderGrub, self).__init__(root, runner)
        self.defaults = GrubDefaults.read(root)
        self._shell = None

    @classmethod
    def detect(cls, root):
        return root.exists(DEFAULT_FILE) and regenerator(root) is not None

    def _checked(self):
        if self._shell is None:
            self._shell = check_parser_matches_shell(self.runner, self.defaults.files, in_place=self.root)
            if self._shell["GRUB_ENABLE_BLSCFG"].strip().lower() == "true":
                raise CmdlineError("GRUB_ENABLE_BLSCFG=true in the GRUB defaults: GRUB boots the BLS entries in "
                                   "/boot/loader/entries, not grub.cfg's linux lines; use bootloader: grubby")
        return self._shell

    def configured(self):
        self._checked()
        return self.defaults.configured()

    def plan(self, present, absent):
        before = self.configured()
        intended = plan_cmdline_change(before, present, absent)
        files = self.defaults.plan(present, absent)
        if not files:
            return CmdlineChange(before)
        after = GrubDefaults(self.defaults.texts_after(files))
        values = shell_arguments(shell_values(self.runner, after.files))
        shell_after = values["GRUB_CMDLINE_LINUX"] + values["GRUB_CMDLINE_LINUX_DEFAULT"]
        if shell_after != after.configured() or _as_multiset(shell_after) != _as_multiset(intended.args):
            raise CmdlineError("after the planned edit of %s the shell would read '%s', not the intended '%s'; "
                               "nothing was changed" % (", ".join(sorted(files)), join_cmdline(shell_after),
                                                        join_cmdline(intended.args)))
        tool = regenerator(self.root)
        if tool is None:
            raise CmdlineError("none of update-grub, grub-mkconfig, grub2-mkconfig is installed")
        return CmdlineChange(after.configured(), files=files, commands=[tool], added=intended.added,
                             removed=intended.removed)

    def apply(self, change, backup_suffix):
        self.transaction.keep(grub_cfg_path(self.root))
        return self.write_and_run(change, backup_suffix)

    def read_back(self, change, present, absent):
        written = GrubDefaults.read(self.root)
        values = shell_arguments(shell_values(self.runner, written.files, in_place=self.root))
        shell_now = values["GRUB_CMDLINE_LINUX"] + values["GRUB_CMDLINE_LINUX_DEFAULT"]
        if shell_now != change.configured:
            raise CmdlineError("after writing, %s reads '%s' from the GRUB defaults instead of '%s'"
                               % ("/bin/sh", join_cmdline(shell_now), join_cmdline(change.configured)))
        path = grub_cfg_path(self.root)
        check_grub_cfg(path, self.root.read_text(path, ""), change.configured, present, absent)
        return change.configured
