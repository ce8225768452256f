# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CachyOS's sdboot-manage: systemd-boot entries generated from /etc/sdboot-manage.conf.

Written from the script CachyOS ships, CachyOS/CachyOS-PKGBUILDS ``systemd-boot-manager/sdboot-manage``
(last changed in ec68f19; package 20-1) with its ``sdboot-manage.conf`` and pacman hooks (the
CachyOS/systemd-boot-manager repository is an older Manjaro-derived fork that CachyOS no longer
builds).  ``sdboot-manage gen`` (and ``autogen``, which the pacman hook runs after every kernel
install or upgrade unless ``NO_AUTOGEN=yes``) exports its defaults, sources the configuration
with bash, then ``/usr/lib/sdboot-manage.conf.d/*.conf`` and ``/etc/sdboot-manage.conf.d/*.conf``
in that order, and writes for every kernel ``$ESP/vmlinuz-*`` an entry named after the kernel
(``/vmlinuz-linux-cachyos`` -> ``linux-cachyos.conf``) with ``options ${sdoptions} ${LINUX_OPTIONS}``,
and a ``-fallback`` one with ``${LINUX_FALLBACK_OPTIONS}`` where a fallback initramfs exists.
``sdoptions`` is its own: ``root=``, ``rw``, ``rootflags=subvol=`` from findmnt, ``zfs=``,
``rd.luks.name=``/``cryptdevice=`` from lsblk and cryptsetup.

So an entry edited in place loses the edit at the next kernel update: the arguments belong in
``LINUX_OPTIONS``.  This backend edits that assignment in place (the effective-assignment rule
of shell_assignments.py over the same files in the same order; a missing one gets a
``LINUX_OPTIONS="..."`` line in /etc/sdboot-manage.conf), proves with bash that it reads as
planned, runs ``sdboot-manage gen`` and reads every generated entry back.  Fallback entries keep
``LINUX_FALLBACK_OPTIONS`` (left alone, as for hand-written systemd-boot entries: they boot when a
tuning argument breaks the normal boot).  Entries gen does not write (another tool's, the user's)
are not this backend's and are left alone.

Refused, nothing changed: an argument in a generated entry that is neither sdboot-manage's
own nor in the configuration's options (edited into the entry by hand; the next generation
drops it); a managed argument that sdboot-manage puts in itself (``rootflags=``...); an edit that
would have to go into a packaged drop-in under /usr/lib.  Everything ``gen`` may rewrite (every
``*.conf`` entry, loader.conf) is recorded first and put back byte for byte when it fails or reads
back wrong.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import (
    CmdlineChange,
    CmdlineError,
    argument_key,
    join_cmdline,
    managed_raw,
    missing_or_lost,
    name_key,
    plan_cmdline_change,
    same_argument,
)
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.base import Bootloader
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.loader_entries import (
    boot_roots,
    default_pattern,
    is_default,
    read_entries,
)
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.shell_assignments import ShellAssignments
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.shell_source import check_reading

CONFIG = "/etc/sdboot-manage.conf"
DROPIN_DIRS = ("/usr/lib/sdboot-manage.conf.d", "/etc/sdboot-manage.conf.d")
OPTIONS = "LINUX_OPTIONS"
FALLBACK_OPTIONS = "LINUX_FALLBACK_OPTIONS"
SHELL = "/bin/bash"
# sdboot-manage's own defaults, exported before the configuration is sourced (its "config variables").
PRELUDE = ('export LINUX_OPTIONS LINUX_FALLBACK_OPTIONS DEFAULT_ENTRY="manual" DISABLE_FALLBACK="no" '
           'KERNEL_PATTERN="vmlinuz-*" REMOVE_EXISTING="yes" OVERWRITE_EXISTING REMOVE_OBSOLETE="yes" '
           'PRESERVE_FOREIGN NO_AUTOGEN NO_AUTOUPDATE INITRD_PREFIX=initramfs INITRD_ENTRIES')
# Names generate_entries writes into sdoptions itself, before ${LINUX_OPTIONS}.
GENERATED = tuple(name_key(name) for name in ("root", "rw", "rootflags", "zfs", "cryptdevice", "rd.luks.name"))


def _generated(args):
    return [arg for arg in args if argument_key(arg) in GENERATED]


def config_files(root):
    """``[(machine path, text)]`` in the order sdboot-manage sources them."""
    text = root.read_config(CONFIG)
    if text is None:
        raise CmdlineError("%s does not exist" % CONFIG)
    files = [(CONFIG, text)]
    for folder in DROPIN_DIRS:
        for name in root.list_dir(folder):
            if name.endswith(".conf"):
                dropin = root.read_config("%s/%s" % (folder, name))
                if dropin is not None:
                    files.append(("%s/%s" % (folder, name), dropin))
    return files


def generated_by_sdboot_manage(entry):
    """The name gen gives the entry of kernel ``/vmlinuz-NAME``: ``NAME.conf`` (``NAME-fallback.conf``)."""
    kernel = entry.fields.get("linux", "")
    if not kernel.startswith("/vmlinuz-") or "/" in kernel[1:]:
        return False
    name = kernel[len("/vmlinuz-"):]
    return entry.name in (name + ".conf", name + "-fallback.conf")


class BootloaderSdbootManage(Bootloader):
    """LINUX_OPTIONS in /etc/sdboot-manage.conf, applied with ``sdboot-manage gen``."""

    name = "sdboot_manage"
    looked_for = "CachyOS sdboot-manage: /etc/sdboot-manage.conf and the sdboot-manage tool"

    def __init__(self, root, runner):
        super(BootloaderSdbootManage, self).__init__(root, runner)
        files = config_files(root)
        # Only LINUX_OPTIONS is edited; LINUX_FALLBACK_OPTIONS is read, to tell a hand edit of a fallback entry.
        self.config = ShellAssignments(files, (OPTIONS,), OPTIONS, CONFIG, append=True)
        self.fallback = ShellAssignments(files, (FALLBACK_OPTIONS,), FALLBACK_OPTIONS, CONFIG, append=True)
        self._read = None

    @classmethod
    def detect(cls, root):
        return root.exists(CONFIG) and root.find_tool("sdboot-manage") is not None and bool(boot_roots(root))

    def _values(self):
        """``{LINUX_OPTIONS: [...], LINUX_FALLBACK_OPTIONS: [...]}`` as bash reads them (and the parser agrees)."""
        if self._read is None:
            self._read = check_reading(self.runner, SHELL, self.config, PRELUDE, in_place=self.root)
            self._read.update(check_reading(self.runner, SHELL, self.fallback, PRELUDE, in_place=self.root))
        return self._read

    def _entries(self):
        """``(generated normal entries, generated fallback entries, the default entry)``, read now."""
        entries = [entry for entry in read_entries(self.root) if generated_by_sdboot_manage(entry)]
        pattern = default_pattern(self.root)
        normal = [entry for entry in entries if not entry.is_fallback]
        fallback = [entry for entry in entries if entry.is_fallback]
        default = next((entry for entry in normal if is_default(entry, pattern)), None)
        return normal, fallback, default

    def configured(self):
        normal, _fallback, default = self._entries()
        entry = default or (normal or [None])[0]
        if entry is None:
            raise CmdlineError("no boot loader entry in %s/loader/entries; run sdboot-manage gen first"
                               % " or ".join(boot_roots(self.root)))
        return entry.options()

    def _refuse_hand_edits(self, normal, fallback):
        values = self._values()
        for entries, name in ((normal, OPTIONS), (fallback, FALLBACK_OPTIONS)):
            for entry in entries:
                lost = [arg for arg in entry.options()
                        if argument_key(arg) not in GENERATED and not any(same_argument(arg, have) for have in values[name])]
                if lost:
                    raise CmdlineError("%s has %s, which %s in %s does not: sdboot-manage gen (and the pacman hook "
                                       "at the next kernel update) would drop it; put it into %s first"
                                       % (entry.path, join_cmdline(lost), name, CONFIG, name))

    def plan(self, present, absent):
        values = self._values()
        normal, fallback, default = self._entries()
        if not normal:
            raise CmdlineError("no boot loader entry in %s/loader/entries to read; run sdboot-manage gen first"
                               % " or ".join(boot_roots(self.root)))
        self._refuse_hand_edits(normal, fallback)
        before = (default or normal[0]).options()  # what configured() reads, from the entries read above
        own = managed_raw(_generated(before), present, absent)
        if own:
            raise CmdlineError("%s is written by sdboot-manage itself (from the root file system and its crypt "
                               "devices), not from %s; nothing was changed"
                               % (join_cmdline(own), OPTIONS))
        files = self.config.plan(present, absent)
        packaged = sorted(path for path in files if path.startswith("/usr/"))
        if packaged:
            raise CmdlineError("%s would have to be edited, a file of the package that its next update replaces; set %s "
                               "in %s or a file of /etc/sdboot-manage.conf.d instead, nothing was changed"
                               % (", ".join(packaged), OPTIONS, CONFIG))
        new_options = ShellAssignments(self.config.texts_after(files), self.config.variables, OPTIONS, CONFIG,
                                       append=True).values()[OPTIONS] if files else values[OPTIONS]
        intended = plan_cmdline_change(before, present, absent)
        stale = [entry.path for entry in normal
                 if missing_or_lost(entry.options(), _generated(entry.options()) + new_options, present, absent)]
        if not files and not stale:
            return CmdlineChange(before)
        if files:
            after = ShellAssignments(self.config.texts_after(files), self.config.variables, OPTIONS, CONFIG,
                                     append=True)
            read = check_reading(self.runner, SHELL, after, PRELUDE)
            if read[OPTIONS] != new_options:
                raise CmdlineError("after the planned edit bash would read %s='%s', not '%s'; nothing was changed"
                                   % (OPTIONS, join_cmdline(read[OPTIONS]), join_cmdline(new_options)))
        configured = _generated(before) + new_options
        tool = self.runner.require("sdboot-manage")
        return CmdlineChange(configured, files=files, commands=[[tool, "gen"]], added=intended.added,
                             removed=intended.removed)

    def apply(self, change, backup_suffix):
        for boot in boot_roots(self.root):
            self.transaction.keep_folder(boot + "/loader/entries")
            if self.root.exists(boot + "/loader/loader.conf"):
                self.transaction.keep(boot + "/loader/loader.conf")
        return self.write_and_run(change, backup_suffix)

    def read_back(self, change, present, absent):
        after = ShellAssignments(config_files(self.root), self.config.variables, OPTIONS, CONFIG, append=True)
        read = check_reading(self.runner, SHELL, after, PRELUDE, in_place=self.root)
        wanted = [arg for arg in change.configured if argument_key(arg) not in GENERATED]
        if read[OPTIONS] != wanted:
            raise CmdlineError("after writing, bash reads %s='%s' from %s instead of '%s'"
                               % (OPTIONS, join_cmdline(read[OPTIONS]), CONFIG, join_cmdline(wanted)))
        normal, _fallback, default = self._entries()
        if not normal:
            raise CmdlineError("sdboot-manage gen left no boot loader entry")
        for entry in normal:
            problem = missing_or_lost(entry.options(), _generated(entry.options()) + wanted, present, absent)
            if problem:
                raise CmdlineError("%s does not boot what was written: %s" % (entry.path, problem))
        return (default or normal[0]).options()
