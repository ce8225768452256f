# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A whole configuration file the collection owns: compare, then replace atomically.

What ``ansible.builtin.file`` (the folder) followed by ``ansible.builtin.template``
does, as one module run instead of three (a stat and a file run behind the template,
one for the folder): on a fleet's idempotent re-run those runs are most of the cost
(docs/benchmarks.md).  Owner, group and mode are left to AnsibleModule's own
``set_fs_attributes_if_different``, so they mean what they mean for every other module.
"""

import os


class ConfigFileError(Exception):
    """The path cannot hold a configuration file (a folder, a device...)."""


def plan(root, machine_path, content):
    """What writing ``content`` to ``machine_path`` inside ``root`` would change.

    Returns {"exists", "folder_missing", "content_changed", "before"}; ``before`` is the
    current content ('' when the file does not exist). A missing folder means a missing
    file, so ``content_changed`` covers it.
    """
    target = root.path(machine_path)
    if os.path.lexists(target) and not os.path.isfile(target):
        raise ConfigFileError("%s exists and is not a regular file" % machine_path)
    folder_missing = not os.path.isdir(os.path.dirname(target))
    if os.path.lexists(os.path.dirname(target)) and folder_missing:
        raise ConfigFileError("%s is not a folder" % os.path.dirname(machine_path))
    before = root.read_text(machine_path, default=None)
    return {"exists": before is not None, "folder_missing": folder_missing, "content_changed": before != content,
            "before": before or ""}


def apply(root, machine_path, content):
    """Replace the file atomically; SysRoot.write_config creates a missing folder (0755)."""
    root.write_config(machine_path, content)
