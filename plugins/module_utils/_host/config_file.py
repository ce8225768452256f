# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A whole configuration file the collection owns: compare, then replace atomically.

What ``ansible.builtin.file`` (the folder) followed by ``ansible.builtin.template``
does, as one module run instead of three (a stat and a file run behind the template,
one for the folder): on a fleet's idempotent re-run those runs are most of the cost
(docs/benchmarks.md).  Owner, group and mode are left to AnsibleModule's own
``set_fs_attributes_if_different``, so they mean what they mean for every other module;
they are checked here first (:func:`attribute_problem`), the way that method reads them,
so a bad one fails before the first file is written.

A path leads where it would lead on the machine: its symlinks resolve inside the root,
as in a chroot (``SysRoot.real_path``).  A symlink stays a symlink and the file it leads
to is written, with the requested mode from the start (:func:`final_mode`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.inferops.amd.plugins.module_utils._host import config_text

# A file created without a mode (the module's documented default).
NEW_FILE_MODE = 0o644


class ConfigFileError(Exception):
    """The path cannot hold a configuration file (a folder, a device...)."""


class _Stat:
    """The one field AnsibleModule's symbolic mode parser reads of a stat result."""

    def __init__(self, mode):
        self.st_mode = stat.S_IFREG | mode


def final_mode(mode, current):
    """The permission bits ``mode`` (the module's raw option) gives a file whose mode is ``current``.

    Read as ``AnsibleModule.set_mode_if_different`` reads it: an int as it is, a string as octal,
    else as symbolic (``u=rw,go=``) applied to ``current``.  None keeps ``current``.
    Raises ValueError naming the value.
    """
    if mode is None:
        return current
    if isinstance(mode, int) and not isinstance(mode, bool):
        bits = mode
    else:
        text = str(mode)
        try:
            bits = int(text, 8)
        except ValueError:
            try:
                bits = AnsibleModule._symbolic_mode_to_octal(_Stat(current), text)
            except Exception as exc:
                raise ValueError("mode '%s' is neither octal (0644) nor symbolic (u=rw,g=r,o=r): %s" % (mode, exc))
    if bits != stat.S_IMODE(bits) or bits < 0:
        raise ValueError("mode '%s' has more than permission bits (expected at most 07777)" % (mode,))
    return bits


def _known(value, lookup, kind):
    """None when ``value`` is a number or a name ``lookup`` knows, else why not."""
    try:
        int(value)
        return None
    except ValueError:
        pass
    try:
        lookup(value)
        return None
    except KeyError:
        return ("%s '%s' is neither a %s name on this machine nor a number (it is looked up as Ansible's %s does, "
                "in the user database of the machine the module runs on)" % (kind, value, "user" if kind == "owner"
                                                                             else "group", "chown" if kind == "owner"
                                                                             else "chgrp"))


def attribute_problem(owner, group, mode):
    """None, or why ``owner``, ``group`` or ``mode`` cannot be set (checked before anything is written)."""
    if owner is not None:
        problem = _known(owner, pwd.getpwnam, "owner")
        if problem:
            return problem
    if group is not None:
        problem = _known(group, grp.getgrnam, "group")
        if problem:
            return problem
    try:
        final_mode(mode, NEW_FILE_MODE)
    except ValueError as exc:
        return str(exc)
    return None


def plan(root, machine_path, content):
    """What writing ``content`` to ``machine_path`` inside ``root`` would change.

    Returns {"exists", "folder_missing", "content_changed", "before", "target", "mode"}: ``target`` is
    the real path of the file the path leads to (its links resolved inside the root), ``mode`` its
    permission bits (None when it does not exist), ``before`` its current content as lossless text
    ('' when the file does not exist). A missing folder means a missing file, so ``content_changed``
    covers it.
    """
    target = root.real_path(machine_path)
    if os.path.lexists(target) and not os.path.isfile(target):
        raise ConfigFileError("%s exists and is not a regular file" % machine_path)
    folder = os.path.dirname(target)
    folder_missing = not os.path.isdir(folder)
    if os.path.lexists(folder) and folder_missing:
        raise ConfigFileError("%s is not a folder" % root.machine_path(folder))
    before = root.read_config(machine_path, default=None)
    return {"exists": before is not None, "folder_missing": folder_missing,
            "content_changed": before is None or config_text.encode(before) != config_text.encode(content),
            "before": before or "", "target": target,
            "mode": stat.S_IMODE(os.stat(target).st_mode) if before is not None else None}


def apply(root, machine_path, content, mode=None):
    """Replace the file atomically with its final ``mode`` (None: keep it, 0644 for a new file).

    SysRoot.write_config creates a missing folder (0755) and gives the temporary file ``mode``
    before it is renamed into place, so a new 0600 file is never readable by others.
    """
    root.write_config(machine_path, content, mode=mode)
