#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: config_file
short_description: Write whole configuration files, creating their folders, in one module run
version_added: 0.1.0
description:
  - Puts O(content) into O(path) inside O(sysroot), creating the folder (mode 0755) when it is missing, and sets
    owner, group and mode like M(ansible.builtin.copy) does.
  - The file is replaced atomically (a temporary file in the same folder, renamed over it) and only when its content
    differs, so a second run changes nothing.
  - It does what M(ansible.builtin.file) for the folder followed by M(ansible.builtin.template) does, in one module
    run instead of three; the roles use it for the files they own (sysctl.d, environment.d, systemd drop-ins).
  - With O(files) one run writes several files (a role's sysctl and environment files, the run report's JSON and
    Markdown). Every path is checked before the first file is written.
author:
  - inferops.amd contributors (@inferops)
extends_documentation_fragment:
  - inferops.amd.sysroot
  - ansible.builtin.files
options:
  path:
    description:
      - Absolute path of the file on the machine (inside O(sysroot)).
      - Required unless O(files) is given; goes with O(content).
    type: str
  content:
    description:
      - The whole content of the file. Render a template into it with C(lookup('ansible.builtin.template', ...)).
      - Required with O(path).
    type: str
  files:
    description:
      - Several files in one run, instead of O(path) and O(content). O(owner), O(group) and O(mode) apply to each.
      - An empty list changes nothing. The same file twice is refused before anything is written.
    type: list
    elements: dict
    suboptions:
      path:
        description: Absolute path of the file on the machine (inside O(sysroot)).
        type: str
        required: true
      content:
        description: The whole content of the file.
        type: str
        required: true
attributes:
  check_mode:
    description: Predicts the change (folder, content, owner, group, mode) without writing anything.
    support: full
  diff_mode:
    description: Shows each file's content before and after.
    support: full
notes:
  - Without O(mode) a new file gets 0644 and an existing one keeps its mode. With O(mode) the file gets it with its
    content (the temporary file has it before it is renamed into place), so a new 0600 file is never readable by others.
  - O(owner), O(group) and O(mode) are checked before the first file is written (a user or group name must be known to
    the machine the module runs on, or be a number), so a bad one changes nothing.
  - A path is resolved inside O(sysroot) as in a chroot; an absolute symlink in a tree leads to the file of that name in
    the tree. A symlink stays a symlink, and the file it leads to is written and gets the owner, group and mode.
  - A file is compared as bytes, so a file with CRLF line ends differs from the same lines with LF ends.
"""

EXAMPLES = r"""
- name: Write the sysctl settings
  inferops.amd.config_file:
    path: /etc/sysctl.d/90-inferops-llm.conf
    content: "{{ lookup('ansible.builtin.template', 'sysctl-llm.conf.j2') }}"
    owner: root
    group: root
    mode: "0644"

- name: Write the sysctl settings and the RADV environment in one run
  inferops.amd.config_file:
    files:
      - path: /etc/sysctl.d/90-inferops-llm.conf
        content: "vm.swappiness = 10\n"
      - path: /etc/environment.d/90-inferops-radv.conf
        content: "RADV_PERFTEST=nogttspill\n"
    mode: "0644"
  register: written

- name: Apply the sysctl settings when that file changed
  ansible.builtin.command:
    argv: [sysctl, --system]
  when: (written.files | selectattr('path', 'eq', '/etc/sysctl.d/90-inferops-llm.conf') | first).changed
"""

RETURN = r"""
path:
  description: The file's path on the machine.
  type: str
  returned: with O(path)
  sample: /etc/sysctl.d/90-inferops-llm.conf
folder_created:
  description: Whether the folder was missing (and was, or in check mode would be, created).
  type: bool
  returned: with O(path)
content_changed:
  description: Whether the content differed (and was, or in check mode would be, replaced).
  type: bool
  returned: with O(path)
files:
  description: One entry a file, in the order given (with O(path), that one file).
  type: list
  elements: dict
  returned: always
  contains:
    path:
      description: The file's path on the machine.
      type: str
    folder_created:
      description: Whether the folder was missing.
      type: bool
    content_changed:
      description: Whether the content differed.
      type: bool
    changed:
      description: Whether the content, owner, group or mode changed (or in check mode would).
      type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.inferops.amd.plugins.module_utils._host import config_file
from ansible_collections.inferops.amd.plugins.module_utils._host import config_text
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRootError, module_sysroot, with_sysroot_option


def _plan_all(module, root, files):
    """Each file's plan, every path, owner, group and mode checked before anything is written.

    The same file twice is refused (two paths that lead to one file count): both entries would be planned
    against the file as it is, and the second written over the first, so its ``content_changed`` would not
    say what happened.
    """
    params = module.params
    problem = config_file.attribute_problem(params["owner"], params["group"], params["mode"])
    if problem:
        module.fail_json(msg="%s; nothing was written" % problem)
    plans = []
    seen = {}
    for entry in files:
        try:
            step = config_file.plan(root, entry["path"], entry["content"])
            step["final_mode"] = config_file.final_mode(params["mode"], step["mode"] or config_file.NEW_FILE_MODE)
        except (config_file.ConfigFileError, SysRootError, ValueError, OSError) as exc:
            module.fail_json(msg="path '%s': %s" % (entry["path"], exc))
        plans.append((entry, step))
        key = os.path.normpath(step["target"])
        if key in seen:
            module.fail_json(msg="files names the same file twice ('%s' and '%s'); give each file once, nothing "
                                 "was written" % (seen[key], entry["path"]))
        seen[key] = entry["path"]
    return plans


def _write(module, root, entry, step, done):
    """Write one planned file and set its owner, group and mode; its result entry.

    The file written is the one the path leads to inside the root (``step["target"]``), and it gets its
    mode with its content, in the temporary file before the rename.
    """
    path, content = entry["path"], entry["content"]
    changed = step["content_changed"]
    if changed and not module.check_mode:
        try:
            config_file.apply(root, path, content, mode=step["final_mode"] if module.params["mode"] is not None
                              else None)
        except (IOError, OSError) as exc:
            # the files written before this one stay written: say so
            module.fail_json(msg="cannot write %s: %s" % (path, exc), changed=any(item["changed"] for item in done),
                             files=done)
    if step["exists"] or not module.check_mode:
        # An existing file (or one just written) gets the owner, group and mode asked for;
        # in check mode a file that does not exist yet has none to compare.
        changed = module.set_fs_attributes_if_different(
            module.load_file_common_arguments(module.params, path=step["target"]), changed, diff=None)
    return {"path": path, "folder_created": step["folder_missing"], "content_changed": step["content_changed"],
            "changed": changed}


def main():
    module = AnsibleModule(
        argument_spec=with_sysroot_option(dict(
            path=dict(type="str"),
            content=dict(type="str"),
            files=dict(type="list", elements="dict", options=dict(
                path=dict(type="str", required=True),
                content=dict(type="str", required=True),
            )),
        )),
        add_file_common_args=True,
        mutually_exclusive=[("files", "path"), ("files", "content")],
        required_one_of=[("files", "path")],
        required_together=[("path", "content")],
        supports_check_mode=True,
    )
    single = module.params["files"] is None
    files = [{"path": module.params["path"], "content": module.params["content"]}] if single else module.params["files"]
    root = module_sysroot(module)
    done, diffs = [], []
    for entry, step in _plan_all(module, root, files):
        done.append(_write(module, root, entry, step, done))
        if step["content_changed"]:
            diffs.append({"before_header": entry["path"], "after_header": entry["path"],
                          "before": config_text.printable(step["before"]), "after": entry["content"]})
    result = dict(changed=any(item["changed"] for item in done), files=done)
    if single:
        result.update(path=done[0]["path"], folder_created=done[0]["folder_created"],
                      content_changed=done[0]["content_changed"], diff=diffs[0] if diffs else {})
    else:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
