# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a real POSIX shell makes of the GRUB defaults, the way grub-mkconfig evaluates them.

grub-mkconfig (util/grub-mkconfig.in) runs under ``set -e``, sources
``${pkgdatadir}/grub-mkconfig_lib`` (the helpers ``grub_warn``,
``grub_file_is_not_garbage``, ... that a defaults file may call, as Debian's Xen
drop-in calls ``grub_warn``), then does ``. ${sysconfdir}/default/grub``; Debian's
patch adds
``for x in ${sysconfdir}/default/grub.d/*.cfg; do if [ -e "${x}" ]; then . "${x}"; fi; done``.
What the files print goes to grub-mkconfig's standard output, so here it goes to
standard error, apart from the values read.
10_linux (util/grub.d/10_linux.in) then writes
``${GRUB_CMDLINE_LINUX} ${GRUB_CMDLINE_LINUX_DEFAULT}`` into the normal entries.

So the truth about a defaults file is what ``/bin/sh`` prints after sourcing the
same files in the same order, in a clean environment (``env -i``), from inside the
sysroot (the working directory is the sysroot, the files are sourced by their
relative path).  The text parser in grub_defaults decides where an edit goes; this
module proves that the parser's reading matches the shell's before the edit (or
names the file and line where it stops matching) and after it.

A tree is data: on a sysroot other than ``/`` without ``INFEROPS_SIMULATION=1``
nothing is sourced, and the values come from grub_static, which reads the files
without a shell and refuses what it cannot read that way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tempfile

from ansible_collections.inferops.amd.plugins.module_utils._host import config_text
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grub_defaults import (
    LINUX,
    LINUX_DEFAULT,
    GrubDefaults,
)
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grub_static import static_values
from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandError
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import CmdlineError, split_cmdline

VARIABLES = (LINUX, LINUX_DEFAULT, "GRUB_ENABLE_BLSCFG")
SHELL = "/bin/sh"
DEFAULTS_DIR = "/etc/default"
# $1 is grub-mkconfig_lib ('' where the root has none), the rest the defaults files, relative to the working folder.
_SOURCE = ('exec 3>&1 1>&2; __lib=$1; shift; if [ -n "$__lib" ]; then . "$__lib"; fi; for f in "$@"; do . "./$f"; done; '
           'printf "%s\\0%s\\0%s\\0" "$GRUB_CMDLINE_LINUX" "$GRUB_CMDLINE_LINUX_DEFAULT" "$GRUB_ENABLE_BLSCFG" >&3')
# ${pkgdatadir}/grub-mkconfig_lib: pkgdatadir is ${datadir}/@PACKAGE@, grub on Debian, grub2 on Fedora and SUSE.
MKCONFIG_LIBS = ("/usr/share/grub/grub-mkconfig_lib", "/usr/share/grub2/grub-mkconfig_lib")
CLEAN_ENV = ["/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]


def mkconfig_lib(root):
    """Machine path of the root's grub-mkconfig_lib, or None."""
    return next((path for path in MKCONFIG_LIBS if root.exists(path)), None)


def shell_argv(root, scratch, relative):
    """``(argv, cwd)`` that sources ``relative`` the way grub-mkconfig would on ``root``'s machine.

    On the live root (and on a tree that may run code with its own /bin/sh, through chroot
    when run as root) the defaults are sourced under ``set -e`` as grub-mkconfig does, so a
    failing command in them fails here too.  On such a tree without a shell of its own
    the controller's /bin/sh sources them from inside the tree, without ``set -e``:
    an absolute path in a command substitution there (``$(sed ... /etc/system-release)``
    on Fedora) would read the controller's file, not the tree's.
    """
    strict = "set -e; " + _SOURCE
    lib = mkconfig_lib(root)
    if root.is_live:
        return CLEAN_ENV + [SHELL, "-c", strict, "sh", lib or ""] + relative, scratch or "/"
    own_shell = root.real_path(SHELL)
    if scratch is None and os.path.isfile(own_shell) and os.access(own_shell, os.X_OK) and os.geteuid() == 0:
        return CLEAN_ENV + ["/usr/sbin/chroot", root.root, SHELL, "-c", "cd / && " + strict, "sh",
                            lib or ""] + relative, "/"
    return CLEAN_ENV + [SHELL, "-c", _SOURCE, "sh", root.real_path(lib) if lib else ""] + relative, scratch or root.root


def _write_scratch(scratch, root, files, relative):
    """A scratch tree holding the defaults folder of ``root`` with ``files`` written over it."""
    if root.is_dir(DEFAULTS_DIR):
        # files the defaults source by a relative path (. ./etc/default/grub.local) are there too
        shutil.copytree(root.real_path(DEFAULTS_DIR), os.path.join(scratch, DEFAULTS_DIR.lstrip("/")), symlinks=True)
    for (_path, text), rel in zip(files, relative):
        target = os.path.join(scratch, rel)
        if not os.path.isdir(os.path.dirname(target)):
            os.makedirs(os.path.dirname(target))
        if os.path.lexists(target):
            os.unlink(target)  # a copied symlink may lead out of the scratch tree: never write through it
        with open(target, "wb") as handle:
            handle.write(config_text.encode(text))


def shell_values(runner, files, in_place=None):
    """``{variable: text}`` after sourcing ``[(machine path, text)]`` in order with /bin/sh.

    With ``in_place`` (a SysRoot) the files are sourced where they are, from inside
    that root.  Otherwise the texts are written to a scratch tree with the same
    relative paths, so the same call evaluates the files as they will be after an
    edit, before anything is written.  On a tree that may not run code
    (``SysRoot.may_run_tree_code``) nothing is sourced: grub_static reads the texts.
    """
    root = in_place if in_place is not None else runner.root
    if not root.may_run_tree_code:
        return static_values(files, root.root)
    relative = [path.lstrip("/") for path, _text in files]
    if in_place is not None and not in_place.is_live:
        # a symlinked defaults file leads where it would inside the tree (as in a chroot)
        relative = [os.path.relpath(in_place.real_path(path), in_place.root) for path, _text in files]
    scratch = None if in_place is not None else tempfile.mkdtemp(prefix="inferops-grub-")
    try:
        if scratch is not None:
            _write_scratch(scratch, runner.root, files, relative)
        argv, cwd = shell_argv(root, scratch, relative)
        _rc, out, _err = runner.run(argv, cwd=cwd)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    parts = out.split("\0")
    if len(parts) < len(VARIABLES):
        raise CmdlineError("%s printed no values for %s" % (SHELL, ", ".join(VARIABLES)))
    return dict(zip(VARIABLES, parts))


def shell_arguments(values):
    return {LINUX: split_cmdline(values[LINUX]), LINUX_DEFAULT: split_cmdline(values[LINUX_DEFAULT])}


def _agrees(runner, files):
    """True/False whether parser and shell agree on ``files``; None when either cannot read them."""
    try:
        parsed = GrubDefaults(files).values()
        shell = shell_arguments(shell_values(runner, files))
    except (CmdlineError, CommandError):
        return None
    return parsed == shell


def locate_disagreement(runner, files):
    """``(path, line number or None, line text)`` of the first line after which the shell reads otherwise."""
    for count in range(1, len(files) + 1):
        if _agrees(runner, files[:count]) is not False:
            continue
        path, text = files[count - 1]
        lines = config_text.split_lines(text)
        for number in range(1, len(lines) + 1):
            if _agrees(runner, files[:count - 1] + [(path, "".join(lines[:number]))]) is False:
                return path, number, lines[number - 1].rstrip("\n")
        return path, None, ""
    return files[-1][0], None, ""


def check_parser_matches_shell(runner, files, in_place=None):
    """Refuse (CmdlineError with file and line) when /bin/sh reads the defaults differently; return its values."""
    try:
        values = shell_values(runner, files, in_place)
    except CommandError as exc:
        raise CmdlineError("sourcing the GRUB defaults with %s fails, as grub-mkconfig's would: %s" % (SHELL, exc))
    shell = shell_arguments(values)
    parsed = GrubDefaults(files).values()
    if parsed == shell:
        return values
    path, number, line = locate_disagreement(runner, files)
    where = "%s line %d (%s)" % (path, number, line.strip()) if number else "%s (a sourced file or function)" % path
    raise CmdlineError("the shell reads the GRUB kernel arguments differently from this module after %s: %s is "
                       "'%s' for the shell, '%s' as read here; nothing was changed, edit it by hand or make it a "
                       "plain assignment" % (where, _first_difference(parsed, shell), _join(shell), _join(parsed)))


def _first_difference(parsed, shell):
    return next((var for var in (LINUX, LINUX_DEFAULT) if parsed[var] != shell[var]), LINUX_DEFAULT)


def _join(values):
    return " | ".join("%s=%s" % (var, " ".join(values[var])) for var in (LINUX, LINUX_DEFAULT))
