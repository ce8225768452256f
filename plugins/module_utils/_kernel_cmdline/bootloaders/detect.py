# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which bootloader holds a host's kernel command line.

Most specific first, because hosts carry traces of several: an ostree host
also has GRUB files (with rpm-ostree it is rpm_ostree's; a bootc image or a booted bootc host
without rpm-ostree is bootc_kargs', which refuses the latter), Pop!_OS has kernelstub and systemd-boot, Fedora has
grubby and /etc/default/grub (and often /etc/kernel/cmdline), CachyOS's
sdboot-manage writes plain systemd-boot entries (its configuration and tool decide).  GRUB comes
before systemd-boot because a Debian host may have kernel-install without
booting through systemd-boot; systemd-boot needs a loader.conf or
loader/entries.  Backends know nothing of each other; only this file lists them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.bootc_kargs import BootloaderBootcKargs
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grub import BootloaderGrub
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grubby import BootloaderGrubby
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.kernelstub import BootloaderKernelstub
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.rpm_ostree import BootloaderRpmOstree
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.sdboot_manage import BootloaderSdbootManage
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.systemd_boot import BootloaderSystemdBoot
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import CmdlineError

BACKENDS = (BootloaderRpmOstree, BootloaderBootcKargs, BootloaderKernelstub, BootloaderSdbootManage, BootloaderGrubby,
            BootloaderGrub, BootloaderSystemdBoot)
NAMES = tuple(backend.name for backend in BACKENDS)


def detect_bootloader(root):
    """The backend class of the host's bootloader; CmdlineError naming what was looked for."""
    for backend in BACKENDS:
        if backend.detect(root):
            return backend
    raise CmdlineError("no supported bootloader found in %s; looked for, in this order: %s. Set bootloader= to "
                       "one of %s if the host has one of them"
                       % (root.root, "; ".join(backend.looked_for for backend in BACKENDS), ", ".join(NAMES)))


def bootloader_class(root, name):
    if name == "auto":
        return detect_bootloader(root)
    for backend in BACKENDS:
        if backend.name == name:
            return backend
    raise CmdlineError("unknown bootloader '%s'; use auto or one of %s" % (name, ", ".join(NAMES)))
