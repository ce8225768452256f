# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a real shell makes of a configuration file that a boot tool sources.

sdboot-manage (CachyOS/systemd-boot-manager, ``sdboot-manage``: ``[[ -f ${config} ]] && . "${config}"``
after ``export``-ing its defaults) reads ``/etc/sdboot-manage.conf`` with ``bash``.  The
truth about such a file is what that shell prints after sourcing it the same way: in a clean
environment (``env -i``), from inside the root (the working folder is the root, the file is
sourced by its relative path), after the same prelude.  :class:`ShellAssignments` decides where
an edit goes; :func:`check_reading` proves that its reading is the shell's, before the edit
(in place) and for the planned texts (on a scratch copy), and after writing.

A tree is data: on a sysroot other than ``/`` without ``INFEROPS_SIMULATION=1`` nothing is
sourced; :func:`static_check` then accepts the files only when every line is a comment or a
plain assignment (grub_static's rule), and the parser's reading stands.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import tempfile

from ansible_collections.inferops.amd.plugins.module_utils._host import config_text
from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandError
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import CmdlineError, join_cmdline, split_cmdline
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grub_static import code_lines, inert_assignment

CLEAN_ENV = ["/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]


def _script(prelude, variables):
    """Source "$@" (relative paths) after ``prelude``; print each variable NUL-terminated on fd 3."""
    printed = " ".join('"${%s}"' % name for name in variables)
    return ('exec 3>&1 1>&2; %s; for __f in "$@"; do . "./$__f"; done; printf "%%s\\0" %s >&3'
            % (prelude or ":", printed))


def shell_values(runner, shell, files, variables, prelude="", in_place=None):
    """``{variable: text}`` after ``shell`` sources ``[(machine path, text)]`` in order.

    With ``in_place`` (the SysRoot) the files are sourced where they are; otherwise the texts
    are written to a scratch folder under the same relative paths, so the same call reads the
    files as a planned edit leaves them, before anything is written.
    """
    root = runner.root
    relative = [path.lstrip("/") for path, _text in files]
    scratch = None if in_place is not None else tempfile.mkdtemp(prefix="inferops-shell-")
    try:
        if scratch is not None:
            for (_path, text), rel in zip(files, relative):
                target = os.path.join(scratch, rel)
                if not os.path.isdir(os.path.dirname(target)):
                    os.makedirs(os.path.dirname(target))
                with open(target, "wb") as handle:
                    handle.write(config_text.encode(text))
        cwd = scratch or ("/" if root.is_live else root.root)
        argv = CLEAN_ENV + [shell, "-c", _script(prelude, variables), os.path.basename(shell)] + relative
        _rc, out, _err = runner.run(argv, cwd=cwd)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    parts = out.split("\0")
    if len(parts) <= len(variables):
        raise CmdlineError("%s printed no values for %s" % (shell, ", ".join(variables)))
    return dict(zip(variables, parts))


def static_check(files, variables, where):
    """Refuse, naming the file and line, any line of a tree's files that is not a comment or a plain assignment."""
    watched = re.compile(r"\b(?:%s)\b" % "|".join(re.escape(name) for name in variables))
    for path, number, body, stripped in code_lines(files):
        if any(re.match(r"^[ \t]*(?:export[ \t]+)?%s\+?=" % re.escape(name), body) for name in variables):
            continue  # the parser reads these, and refuses what it cannot
        if not inert_assignment(body, watched):
            raise CmdlineError(
                "%s line %d (%s): sysroot %s is a tree, so %s is read as data, without running it, and this line is "
                "not one whose effect can be known that way (only comments and plain assignments are); nothing was "
                "changed. Edit the line, or run against the host itself"
                % (path, number, config_text.printable(stripped), where, path))


def check_reading(runner, shell, assignments, prelude="", in_place=None):
    """Refuse when ``shell`` reads ``assignments`` (a ShellAssignments) otherwise than the parser; ``{var: [args]}``."""
    parsed = assignments.values()
    root = runner.root
    if not root.may_run_tree_code:
        static_check(assignments.files, assignments.variables, root.root)
        return parsed
    try:
        values = shell_values(runner, shell, assignments.files, assignments.variables, prelude, in_place)
    except CommandError as exc:
        raise CmdlineError("sourcing %s with %s fails: %s" % (", ".join(path for path, _text in assignments.files),
                                                              shell, exc))
    read = dict((name, split_cmdline(values[name])) for name in assignments.variables)
    if read != parsed:
        name = next(name for name in assignments.variables if read[name] != parsed[name])
        raise CmdlineError("%s reads %s from %s as '%s', this module as '%s'; nothing was changed, make it a plain "
                           "assignment or edit it by hand"
                           % (shell, name, ", ".join(path for path, _text in assignments.files),
                              join_cmdline(read[name]), join_cmdline(parsed[name])))
    return read
