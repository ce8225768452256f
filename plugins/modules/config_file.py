#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: config_file
short_description: Write a whole configuration file, creating its folder, in one module run
version_added: 0.1.0
description:
  - Puts O(content) into O(path) inside O(sysroot), creating the folder (mode 0755) when it is missing, and sets
    owner, group and mode like M(ansible.builtin.copy) does.
  - The file is replaced atomically (a temporary file in the same folder, renamed over it) and only when its content
    differs, so a second run changes nothing.
  - It does what M(ansible.builtin.file) for the folder followed by M(ansible.builtin.template) does, in one module
    run instead of three; the roles use it for the files they own (sysctl.d, environment.d, systemd drop-ins).
author:
  - inferops.amd contributors (@inferops)
extends_documentation_fragment:
  - inferops.amd.sysroot
  - ansible.builtin.files
options:
  path:
    description:
      - Absolute path of the file on the machine (inside O(sysroot)).
    type: str
    required: true
  content:
    description:
      - The whole content of the file. Render a template into it with C(lookup('ansible.builtin.template', ...)).
    type: str
    required: true
attributes:
  check_mode:
    description: Predicts the change (folder, content, owner, group, mode) without writing anything.
    support: full
  diff_mode:
    description: Shows the file's content before and after.
    support: full
notes:
  - Without O(mode) a new file gets 0644 and an existing one keeps its mode.
"""

EXAMPLES = r"""
- name: Write the sysctl settings
  inferops.amd.config_file:
    path: /etc/sysctl.d/90-inferops-llm.conf
    content: "{{ lookup('ansible.builtin.template', 'sysctl-llm.conf.j2') }}"
    owner: root
    group: root
    mode: "0644"
"""

RETURN = r"""
path:
  description: The file's path on the machine.
  type: str
  returned: always
  sample: /etc/sysctl.d/90-inferops-llm.conf
folder_created:
  description: Whether the folder was missing (and was, or in check mode would be, created).
  type: bool
  returned: always
content_changed:
  description: Whether the content differed (and was, or in check mode would be, replaced).
  type: bool
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.inferops.amd.plugins.module_utils import config_file
from ansible_collections.inferops.amd.plugins.module_utils.sysroot import SysRootError, module_sysroot, with_sysroot_option


def main():
    module = AnsibleModule(
        argument_spec=with_sysroot_option(dict(
            path=dict(type="str", required=True),
            content=dict(type="str", required=True),
        )),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    root = module_sysroot(module)
    path, content = module.params["path"], module.params["content"]
    try:
        step = config_file.plan(root, path, content)
        target = root.path(path)
    except (config_file.ConfigFileError, SysRootError) as exc:
        module.fail_json(msg="path '%s': %s" % (path, exc))
    changed = step["content_changed"]
    if changed and not module.check_mode:
        try:
            config_file.apply(root, path, content)
        except (IOError, OSError) as exc:
            module.fail_json(msg="cannot write %s: %s" % (path, exc))
    diff = {"before_header": path, "after_header": path, "before": step["before"], "after": content}
    if step["exists"] or not module.check_mode:
        # An existing file (or one just written) gets the owner, group and mode asked for;
        # in check mode a file that does not exist yet has none to compare.
        changed = module.set_fs_attributes_if_different(module.load_file_common_arguments(module.params, path=target),
                                                        changed, diff=None)
    module.exit_json(changed=changed, path=path, folder_created=step["folder_missing"],
                     content_changed=step["content_changed"], diff=diff if step["content_changed"] else {})


if __name__ == "__main__":
    main()
