# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd-boot with kernel-install: /etc/kernel/cmdline, copied into each kernel's boot entry.

``kernel-install add VERSION IMAGE`` writes the boot loader entry (or the
unified kernel image) of one kernel with the options from
``/etc/kernel/cmdline``; when that file is missing it falls back to
``/usr/lib/kernel/cmdline`` and then to the running ``/proc/cmdline``
(kernel-install(8)).  So the module writes ``/etc/kernel/cmdline`` and runs
``kernel-install add`` for every installed kernel (``/usr/lib/modules/<v>/``
with its ``vmlinuz``, or ``/boot/vmlinuz-<v>``), the step every distribution
that uses kernel-install with systemd-boot runs on a kernel update.  Entries
written by hand (Arch's ``/boot/loader/entries/arch.conf``) are not
kernel-install's and are not managed by this backend.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.inferops.amd.plugins.module_utils.bootloader_grub import apply_files_then_commands
from ansible_collections.inferops.amd.plugins.module_utils.kernel_cmdline import (
    CmdlineChange,
    CmdlineError,
    join_cmdline,
    plan_cmdline_change,
    running_arguments,
    split_cmdline,
)

CMDLINE_FILE = "/etc/kernel/cmdline"
FALLBACK_FILE = "/usr/lib/kernel/cmdline"
LOADER_CONFIGS = ("/boot/loader/loader.conf", "/efi/loader/loader.conf", "/boot/efi/loader/loader.conf")
MODULES_DIRS = ("/usr/lib/modules", "/lib/modules")


def installed_kernels(root):
    """``[(version, machine path of the image)]`` of every installed kernel."""
    found = []
    for folder in MODULES_DIRS:
        for version in root.list_dir(folder):
            for image in ("%s/%s/vmlinuz" % (folder, version), "/boot/vmlinuz-%s" % version):
                if root.exists(image) and version not in [known for known, _image in found]:
                    found.append((version, image))
                    break
    return found


class BootloaderSystemdBoot:
    """/etc/kernel/cmdline and kernel-install add for each installed kernel."""

    name = "systemd_boot"
    looked_for = ("systemd-boot: kernel-install and a loader.conf in /boot/loader, /efi/loader or "
                  "/boot/efi/loader")
    edits_files = True

    def __init__(self, root, run):
        self.root = root
        self.run = run

    @classmethod
    def detect(cls, root):
        return root.find_tool("kernel-install") is not None and any(root.exists(path) for path in LOADER_CONFIGS)

    def _current_text(self):
        for path in (CMDLINE_FILE, FALLBACK_FILE):
            text = self.root.read_text(path)
            if text is not None:
                return path, text
        return None, None

    def configured(self):
        path, text = self._current_text()
        if path is None:
            return running_arguments(self.root.read_text("/proc/cmdline", ""))
        return split_cmdline(" ".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))

    def plan(self, present, absent):
        current = self.configured()
        plan = plan_cmdline_change(current, present, absent)
        path = self._current_text()[0]
        if plan.args == current and path == CMDLINE_FILE:
            return CmdlineChange(plan.args)
        tool = self.root.find_tool("kernel-install")
        kernels = installed_kernels(self.root)
        if tool is None or not kernels:
            raise CmdlineError("systemd-boot needs kernel-install and an installed kernel under /usr/lib/modules; "
                               "found %s" % ("no kernel-install" if tool is None else "no kernel"))
        old = self.root.read_text(CMDLINE_FILE)
        commands = [[tool, "add", version, image] for version, image in kernels]
        return CmdlineChange(plan.args, files={CMDLINE_FILE: (old, join_cmdline(plan.args) + "\n")},
                             commands=commands)

    def apply(self, change, backup_suffix):
        return apply_files_then_commands(self.root, self.run, change, backup_suffix)
