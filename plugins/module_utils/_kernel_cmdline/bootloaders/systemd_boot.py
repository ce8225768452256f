# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd-boot: type #1 entries written by kernel-install, and entries written by hand.

Entries written by kernel-install (header ``# File created by
.../90-loaderentry.install`` in newer systemd; in systemd 252, Debian 12, no header, but
the file is named ``<entry token>-<version>.conf`` with the token from
/etc/kernel/entry-token or /etc/machine-id, docs/vm-testing.md) take their ``options`` from, in this order,
``/etc/kernel/cmdline``, ``/usr/lib/kernel/cmdline``, ``/proc/cmdline`` without
``BOOT_IMAGE=``/``initrd=`` (90-loaderentry.install.in, which joins the file's
lines with ``tr -s "$IFS" ' '``: ``#`` lines are kept, so they are kept here), and
may append ``systemd.machine_id=``.  For those, /etc/kernel/cmdline is edited and
``kernel-install add VERSION IMAGE`` runs once per kernel that already has such an
entry, so no new kernel copy appears on the ESP.  Before that, each
entry must hold exactly what the cmdline file says (else an argument edited into the
entry by hand would be lost, and the module refuses naming the entry).

Boot counting: with /etc/kernel/tries, 90-loaderentry.install names the entry
``<token>-<version>+<tries>.conf`` (systemd 252 and current; src/kernel-install/
90-loaderentry.install.in, ``TRIES_FILE``), and systemd-boot renames it to ``+LEFT-DONE``
at each try, systemd-bless-boot to the name without a counter once a boot was good.  Such
an entry is still kernel-install's: its id, the name without the counter
(loader_entries.split_boot_counter), is ``<token>-<version>.conf``.  ``kernel-install add``
writes the entry under the name it computes now (``+<tries>`` from /etc/kernel/tries, or
none), and does not remove the entry of the same id under another counter (only
``kernel-install remove`` does, ``${LOADER_ENTRY%.conf}*.conf``); so that one kernel keeps one
entry, that older file is removed after kernel-install wrote the new one (backed up and
restored like every file the change touches).

Entries written by hand (Arch's ``arch.conf``) are edited directly: their
``options`` lines, in place.  Which ones: the default entry (loader.conf
``default``) and every entry that is not a fallback (``fallback`` in its file name or
title); fallback entries stay as they are, so they still boot when a tuning
argument breaks the normal boot.

Files are the user's: entries and /etc/kernel/cmdline are read as bytes
(``SysRoot.read_config``) and only the managed arguments' bytes change
(``argument_lines.render_line``): CRLF endings, Latin-1 comments, spacing and a missing
final newline stay.

Unified kernel images that kernel-install builds (``layout=uki``, :func:`install_layout`):
60-ukify.install takes the command line from the same cmdline files (``read_text().split()``)
and ukify embeds it as the ``.cmdline`` section; 90-uki-copy.install installs the UKI as
``<BOOT>/EFI/Linux/<token>-<version>[+tries].efi``.  Where kernel-install's items are all such
UKIs, they stand where its type #1 entries would (:class:`KernelInstallUki`): the same edit of
/etc/kernel/cmdline, the same ``kernel-install add`` per kernel, and each UKI's ``.cmdline`` read
back from its PE sections (uki.py).  A UKI signed for Secure Boot is rebuilt only where ukify
signs (``SecureBootPrivateKey`` in uki.conf), and must read back signed.

Refused with a message, nothing changed: other unified kernel images (a UKI kernel-install did
not name, ``layout=uki`` beside its type #1 entries, a mkinitcpio preset with ``_uki=``, another
``uki_generator``), whose command line this module cannot rebuild; a managed
argument in ``/etc/kernel/cmdline.d/*.conf`` or ``/etc/cmdline.d/*.conf``, which systemd's
kernel-install does not read (dracut and mkinitcpio read /etc/cmdline.d for the
initrd or UKI) and so cannot be proven to reach the entries.

Every file written or rewritten by kernel-install is recorded first and put back,
and entries created in the meantime removed, when anything fails or reads back wrong.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.argument_lines import (
    edit_argument_lines,
    flatten,
    render_line,
)
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.base import Bootloader
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.loader_entries import (
    LoaderEntry,
    boot_roots,
    default_pattern,
    is_default,
    read_entries,
    split_boot_counter,
)
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.uki import read_uki
from ansible_collections.inferops.amd.plugins.module_utils._host.config_text import line_body, split_lines
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import (
    CmdlineChange,
    CmdlineError,
    argument_key,
    join_cmdline,
    managed_raw,
    missing_or_lost,
    plan_cmdline_change,
    running_arguments,
    split_cmdline,
)

CMDLINE_FILE = "/etc/kernel/cmdline"
FALLBACK_FILE = "/usr/lib/kernel/cmdline"
DROPIN_DIRS = ("/etc/kernel/cmdline.d", "/etc/cmdline.d")
MODULES_DIRS = ("/usr/lib/modules", "/lib/modules")
ADDED_BY_KERNEL_INSTALL = ("systemd.machine_id",)
TRIES_FILE = "/etc/kernel/tries"
# kernel-install's configuration folders, highest priority first: CONF_PATHS("kernel") of
# src/basic/path-lookup.h, as src/shared/kernel-config.c (load_kernel_install_conf) reads them.
INSTALL_CONF_DIRS = ("/etc/kernel", "/run/kernel", "/usr/local/lib/kernel", "/usr/lib/kernel")


def kernel_image(root, version):
    for image in ("/usr/lib/modules/%s/vmlinuz" % version, "/lib/modules/%s/vmlinuz" % version,
                  "/boot/vmlinuz-%s" % version):
        if root.exists(image):
            return image
    return None


def _layout_assignment(line, key_name="layout"):
    """The value of a ``layout=`` (or ``key_name=``) line of install.conf, or None.

    Read both ways kernel-install has read the file: as shell (systemd 252's kernel-install
    sources it, so ``layout="uki"`` is uki) and with systemd's conf-parser (current, which strips
    white space around ``=``: ``layout = uki``).
    """
    key, sep, value = line_body(line)[0].strip().partition("=")
    if not sep or key.strip() != key_name:
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return value


def _layout_in(root, path, key_name="layout"):
    """The last ``layout=`` (``key_name=``) of one file (a later assignment wins, in shell as in conf-parser)."""
    found = None
    for line in split_lines(root.read_config(path) or ""):
        value = _layout_assignment(line, key_name)
        if value is not None:
            found = value
    return found


def install_setting(root, key_name="layout", machine_info="KERNEL_INSTALL_LAYOUT"):
    """``(value, file that set it)`` of ``layout`` (or ``uki_generator``) as kernel-install reads its configuration.

    ``(None, None)`` when unset.

    The main file is the first install.conf of /etc/kernel, /run/kernel, /usr/local/lib/kernel,
    /usr/lib/kernel (systemd 252's kernel-install.in: /etc/kernel, then /usr/lib/kernel; 255's
    kernel-install.c ``context_load_install_conf``: the first of CONF_PATHS("kernel")).  Since
    systemd 256 (src/shared/kernel-config.c ``load_kernel_install_conf``,
    ``config_parse_standard_file_with_dropins_full``) the ``install.conf.d/*.conf`` drop-ins of all
    four folders follow, in file-name order, a name in a folder of higher priority hiding the same
    name in a lower one, each later assignment overriding.  Without a ``layout`` there,
    ``KERNEL_INSTALL_LAYOUT`` of /etc/machine-info counts (``context_load_machine_info``).
    """
    layout, source = None, None
    main = next((folder + "/install.conf" for folder in INSTALL_CONF_DIRS
                 if root.exists(folder + "/install.conf")), None)
    if main is not None and _layout_in(root, main, key_name) is not None:
        layout, source = _layout_in(root, main, key_name), main
    dropins = {}
    for folder in reversed(INSTALL_CONF_DIRS):
        for name in root.list_dir(folder + "/install.conf.d"):
            if name.endswith(".conf"):
                dropins[name] = "%s/install.conf.d/%s" % (folder, name)
    for name in sorted(dropins):
        value = _layout_in(root, dropins[name], key_name)
        if value is not None:
            layout, source = value, dropins[name]
    if layout is None and machine_info:
        for line in split_lines(root.read_config("/etc/machine-info") or ""):
            key, sep, value = line_body(line)[0].strip().partition("=")
            if sep and key == machine_info:
                layout, source = value.strip().strip("\"'"), "/etc/machine-info"
    return layout, source


def install_layout(root):
    """``(layout, file that set it)``: :func:`install_setting` of ``layout``."""
    return install_setting(root)


def uki_preset_evidence(root):
    """A mkinitcpio preset that builds a UKI (``..._uki=``), which this module does not rebuild; or None."""
    for name in root.list_dir("/etc/mkinitcpio.d"):
        text = root.read_text("/etc/mkinitcpio.d/" + name) or ""
        if name.endswith(".preset") and re.search(r"^\s*[A-Za-z_]*_uki=", text, re.M):
            return "/etc/mkinitcpio.d/%s (_uki=)" % name
    return None


def uki_evidence(root):
    """The first file showing that a unified kernel image boots, or None."""
    for boot in boot_roots(root):
        for name in root.list_dir(boot + "/EFI/Linux"):
            if name.lower().endswith(".efi"):
                return "%s/EFI/Linux/%s" % (boot, name)
    layout, source = install_layout(root)
    main = next((folder + "/install.conf" for folder in INSTALL_CONF_DIRS
                 if root.exists(folder + "/install.conf")), None)
    if layout == "uki":
        return "%s (layout=uki)" % source
    if main is not None and _layout_in(root, main) == "uki":
        # systemd before 256 reads no drop-ins: the main file alone decides there.
        return "%s (layout=uki)" % main
    return uki_preset_evidence(root)


class KernelInstallUki:
    """A UKI that kernel-install's 90-uki-copy.install put into ``<BOOT>/EFI/Linux``: ``<token>-<version>[+tries].efi``.

    Looks like a loader entry to the code that plans kernel-install runs: ``path``, ``name``, ``id``
    (the name without the boot counter), ``fields["version"]``, ``options()`` (its ``.cmdline``).
    """

    def __init__(self, root, path, token):
        self.path = path
        self.name = path.rsplit("/", 1)[-1]
        self.id = split_boot_counter(self.name)[0]
        self.fields = {"version": self.id[len(token) + 1:-len(".efi")]}
        self.image = read_uki(root, path)

    def options(self):
        return split_cmdline(self.image.cmdline or "")


def uki_files(root):
    """Machine paths of every ``*.efi`` in ``<BOOT>/EFI/Linux``."""
    return ["%s/EFI/Linux/%s" % (boot, name) for boot in boot_roots(root)
            for name in root.list_dir(boot + "/EFI/Linux") if name.lower().endswith(".efi")]


def kernel_install_ukis(root, token):
    """``(UKIs kernel-install wrote, other UKI paths)``: its own are named ``<token>-<version>.efi`` (boot counter aside)."""
    own, other = [], []
    for path in uki_files(root):
        ident = split_boot_counter(path.rsplit("/", 1)[-1])[0]
        if token and ident.startswith(token + "-") and ident.endswith(".efi") and len(ident) > len(token) + 5:
            own.append(KernelInstallUki(root, path, token))
        else:
            other.append(path)
    return own, other


def uki_signing_configured(root):
    """Does ukify sign what it builds: ``SecureBootPrivateKey=`` in the uki.conf 60-ukify.install passes it?

    60-ukify.install.in ``uki_conf_location``: /etc/kernel/uki.conf, else /usr/lib/kernel/uki.conf.
    """
    for path in ("/etc/kernel/uki.conf", "/usr/lib/kernel/uki.conf"):
        text = root.read_config(path)
        if text is not None:
            return any(line_body(line)[0].strip().partition("=")[0].strip() == "SecureBootPrivateKey"
                       for line in split_lines(text))
    return False


def entry_token(root):
    for path in ("/etc/kernel/entry-token", "/etc/machine-id"):
        token = (root.read_text(path) or "").strip()
        if token:
            return token
    return None


def written_by_kernel_install(entry, token):
    """Header, or the name kernel-install gives: ``<token>-<version>.conf`` once the boot counter is taken off."""
    version = entry.fields.get("version")
    return entry.by_kernel_install or (token is not None and version is not None and entry.id == "%s-%s.conf" % (token, version))


def boot_counter(root):
    """``+<tries>`` that kernel-install puts into a new entry's name, or ``""`` without /etc/kernel/tries.

    90-loaderentry.install.in: ``read -r TRIES <"$TRIES_FILE"`` (the first line, white space
    trimmed), refused unless it matches ``^[0-9][0-9]*$``.
    """
    text = root.read_text(TRIES_FILE)
    if text is None:
        return ""
    tries = (text.split("\n", 1)[0]).strip(" \t")
    if not re.match(r"^[0-9]+$", tries):
        raise CmdlineError("%s holds %r, which is not a number of tries; kernel-install's 90-loaderentry.install "
                           "refuses it too, so nothing was changed" % (TRIES_FILE, tries))
    return "+" + tries


def kernel_install_entry_name(token, version, counter):
    """The file name 90-loaderentry.install gives an entry: ``$ENTRY_TOKEN-$KERNEL_VERSION`` (+ counter) ``.conf``."""
    return "%s-%s%s.conf" % (token, version, counter)


def render_cmdline_file(text, new_lines):
    """``text`` (a cmdline file's content, or None) holding ``new_lines``; only managed arguments' bytes change."""
    lines = split_lines(text or "")
    if not lines:
        return " ".join(flatten(new_lines)) + "\n"
    out = []
    for line, args in zip(lines, new_lines):
        body, ending = line_body(line)
        out.append(render_line(body, args) + ending)
    return "".join(out)


def without_generated(args):
    return [arg for arg in args if argument_key(arg) not in ADDED_BY_KERNEL_INSTALL]


class BootloaderSystemdBoot(Bootloader):
    """kernel-install entries via /etc/kernel/cmdline; hand-written entries edited in place."""

    name = "systemd_boot"
    looked_for = ("systemd-boot: a loader.conf or loader/entries in /boot, /efi or /boot/efi (entries written by "
                  "kernel-install or by hand)")

    def __init__(self, root, runner):
        super(BootloaderSystemdBoot, self).__init__(root, runner)
        self.entries = read_entries(root)
        token = entry_token(root)
        self.installed = [entry for entry in self.entries if written_by_kernel_install(entry, token)]
        pattern = default_pattern(root)
        self.by_hand = [entry for entry in self.entries
                        if entry not in self.installed and (not entry.is_fallback or is_default(entry, pattern))]
        self.default = next((entry for entry in self.entries if is_default(entry, pattern)), None)
        # kernel-install entry path -> the name kernel-install writes it under now (boot counter)
        self.rewritten = {}
        # layout=uki: kernel-install's UKIs take the place of its type #1 entries (when it has none of those)
        self.ukis, self.other_ukis = kernel_install_ukis(root, token) if install_layout(root)[0] == "uki" else ([], [])
        self.uki_mode = bool(self.ukis) and not self.installed and not self.other_ukis
        if self.uki_mode:
            self.installed = list(self.ukis)

    @classmethod
    def detect(cls, root):
        return bool(boot_roots(root))

    def _cmdline_source(self):
        for path in (CMDLINE_FILE, FALLBACK_FILE):
            text = self.root.read_config(path)
            if text is not None:
                return path, text
        return None, None

    def _cmdline_lines(self):
        path, text = self._cmdline_source()
        if path is None:
            return None, [running_arguments(self.root.read_text("/proc/cmdline", ""))]
        return path, [split_cmdline(line_body(line)[0]) for line in split_lines(text)] or [[]]

    def configured(self):
        if self.installed:
            return flatten(self._cmdline_lines()[1])
        entry = self.default if self.default in self.by_hand else (self.by_hand or [None])[0]
        if entry is None:
            raise CmdlineError("no boot loader entry in %s/loader/entries to edit (fallback entries are left alone)"
                               % " or ".join(boot_roots(self.root)))
        return entry.options()

    def _refuse_unprovable(self, present, absent):
        evidence = uki_preset_evidence(self.root) if self.uki_mode else uki_evidence(self.root)
        if self.uki_mode and not evidence:
            self._refuse_unrebuildable_ukis()
        if evidence:
            raise CmdlineError("a unified kernel image boots here (%s): its command line is embedded in the image, and "
                               "this module rebuilds only the UKIs kernel-install builds with ukify (layout=uki, "
                               "<entry token>-<version>.efi in EFI/Linux, no type #1 entries of kernel-install beside "
                               "them); nothing was changed" % evidence)
        for folder in DROPIN_DIRS:
            for name in self.root.list_dir(folder):
                path = "%s/%s" % (folder, name)
                held = managed_raw(split_cmdline(self.root.read_text(path, "")), present, absent)
                if name.endswith(".conf") and held:
                    raise CmdlineError("%s holds %s, but kernel-install's 90-loaderentry.install does not read %s, so "
                                       "a change there cannot be proven to reach the boot entries; move it to %s"
                                       % (path, join_cmdline(held), folder, CMDLINE_FILE))
        if not self.installed and not self.by_hand:
            raise CmdlineError("no boot loader entry to edit in %s" % ", ".join(boot_roots(self.root)))

    def _refuse_unrebuildable_ukis(self):
        generator, source = install_setting(self.root, "uki_generator", None)
        if generator not in (None, "", "ukify"):
            raise CmdlineError("%s sets uki_generator=%s: 60-ukify.install builds no UKI then, and this module knows "
                               "only ukify's; nothing was changed" % (source, generator))
        for uki in self.ukis:
            if uki.image.cmdline is None:
                raise CmdlineError("%s has no .cmdline section: its command line comes from elsewhere; nothing was "
                                   "changed" % uki.path)
            if uki.image.signed and not uki_signing_configured(self.root):
                raise CmdlineError("%s is signed for Secure Boot, but /etc/kernel/uki.conf names no "
                                   "SecureBootPrivateKey, so the UKI kernel-install would rebuild would be unsigned and "
                                   "refused by the firmware; configure ukify's signing first, nothing was changed"
                                   % uki.path)

    def plan(self, present, absent):
        self._refuse_unprovable(present, absent)
        before = self.configured()
        intended = plan_cmdline_change(before, present, absent)
        files, commands, added, removed = {}, [], [], []
        for entry in self.by_hand:
            lines = edit_argument_lines(entry.option_lines(), present, absent)
            new = entry.with_option_lines(lines)
            if new != entry.text:
                files[entry.path] = (entry.text, new)
                step = plan_cmdline_change(entry.options(), present, absent)
                added += [arg for arg in step.added if arg not in added]
                removed += [arg for arg in step.removed if arg not in removed]
        if self.installed:
            commands = self._plan_kernel_install(present, absent, files)
            if commands:
                added += [arg for arg in intended.added if arg not in added]
                removed += [arg for arg in intended.removed if arg not in removed]
        configured = intended.args
        if not self.installed:
            entry = self.default if self.default in self.by_hand else self.by_hand[0]
            configured = LoaderEntry(entry.path, files.get(entry.path, (None, entry.text))[1]).options()
        return CmdlineChange(configured, files=files, commands=commands, added=added, removed=removed)

    def _plan_kernel_install(self, present, absent, files):
        path, lines = self._cmdline_lines()
        current = flatten(lines)
        for entry in self.installed:
            lost = [arg for arg in without_generated(entry.options()) if arg not in current]
            if lost:
                raise CmdlineError("%s has %s, which %s does not: kernel-install would drop it; put it into %s "
                                   "first" % (entry.path, join_cmdline(lost), path or "/proc/cmdline", CMDLINE_FILE))
        new_lines = edit_argument_lines(lines, present, absent)
        old_text = self.root.read_config(CMDLINE_FILE)
        new_text = render_cmdline_file(self._cmdline_source()[1], new_lines)
        entries_agree = all(without_generated(entry.options()) == without_generated(flatten(new_lines))
                            for entry in self.installed)
        if path == CMDLINE_FILE and flatten(new_lines) == current and entries_agree:
            return []
        tool = self.runner.require("kernel-install")
        counter, token = boot_counter(self.root), entry_token(self.root)
        commands = []
        for entry in self.installed:
            version = entry.fields.get("version")
            image = kernel_image(self.root, version) if version else None
            if image is None:
                where = (entry.path, version, version, version)
                raise CmdlineError("%s: no kernel image for version %s (looked in /usr/lib/modules/%s/vmlinuz and "
                                   "/boot/vmlinuz-%s); kernel-install cannot rewrite it" % where)
            if [tool, "add", version, image] not in commands:
                commands.append([tool, "add", version, image])
            ext = ".efi" if isinstance(entry, KernelInstallUki) else ".conf"
            if token is not None and entry.id == "%s-%s%s" % (token, version, ext):
                folder = entry.path.rsplit("/", 1)[0]
                name = kernel_install_entry_name(token, version, counter)[:-len(".conf")] + ext
                self.rewritten[entry.path] = "%s/%s" % (folder, name)
        if path != CMDLINE_FILE or flatten(new_lines) != current:
            files[CMDLINE_FILE] = (old_text, new_text)
        return commands

    def apply(self, change, backup_suffix):
        for boot in boot_roots(self.root):
            self.transaction.keep_folder(boot + "/loader/entries")
            if self.uki_mode:
                self.transaction.keep_folder(boot + "/EFI/Linux", suffix=".efi")
        for path, (_old, new) in sorted(change.files.items()):
            self.transaction.write(path, new, backup_suffix)
        for argv in change.commands:
            self.runner.run(argv)
        if change.commands:
            self._drop_superseded(backup_suffix)
        return list(self.transaction.backups)

    def _drop_superseded(self, backup_suffix):
        """Remove each kernel-install entry that kernel-install just wrote again under another counter."""
        written = set(self.rewritten.values())
        for old, new in sorted(self.rewritten.items()):
            if old == new or old in written or not self.root.exists(new) or not self.root.exists(old):
                continue  # (90-uki-copy.install removes the older UKI itself)
            if backup_suffix and self.transaction.saved.get(old) is not None:
                self.root.write_config(old + backup_suffix, self.transaction.saved[old])
                self.transaction.backups.append(old + backup_suffix)
            self.root.remove(old)

    def read_back(self, change, present, absent):
        now = dict((entry.path, entry) for entry in read_entries(self.root))
        before = set(entry.path for entry in self.entries)
        if self.uki_mode:
            ukis, others = kernel_install_ukis(self.root, entry_token(self.root))
            now.update((uki.path, uki) for uki in ukis)
            now.update((path, None) for path in others)
            before |= set(uki.path for uki in self.ukis)
            self._check_signatures(ukis)
        expected = set(self.rewritten.values()) if change.commands else set()
        new = sorted(set(now) - before - expected)
        if new:
            raise CmdlineError("kernel-install created %s, which was not there before" % ", ".join(new))
        for entry in self.by_hand:
            wanted = LoaderEntry(entry.path, change.files.get(entry.path, (None, entry.text))[1]).options()
            self._check(entry.path, now[entry.path].options(), wanted, present, absent)
        if self.installed:
            wanted = without_generated(flatten(self._cmdline_lines()[1]))
            for entry in self.installed:
                path = self.rewritten.get(entry.path, entry.path) if change.commands else entry.path
                if path not in now:
                    raise CmdlineError("kernel-install did not write %s (for %s)" % (path, entry.path))
                self._check(path, without_generated(now[path].options()), wanted, present, absent)
        return change.configured

    def _check_signatures(self, ukis):
        if any(uki.image.signed for uki in self.ukis):
            unsigned = [uki.path for uki in ukis if not uki.image.signed]
            if unsigned:
                raise CmdlineError("kernel-install wrote %s unsigned where the UKI was signed before"
                                   % ", ".join(unsigned))

    @staticmethod
    def _check(path, actual, wanted, present, absent):
        problem = missing_or_lost(actual, wanted, present, absent)
        if problem:
            raise CmdlineError("%s does not boot what was written: %s" % (path, problem))
