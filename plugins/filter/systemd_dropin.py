# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: systemd_environment_dropin
short_description: Render a systemd drop-in that sets environment variables
version_added: "0.1.0"
description:
  - Turns a dictionary into a C([Service]) section of C(Environment=) lines, one per variable,
    sorted, quoted the way systemd reads them (C(\) and C(") escaped, C(%) doubled).
  - Empty or null values are left out, so role variables set to null do not end up as empty settings.
options:
  _input:
    description: Variables to set.
    type: dict
    required: true
  comment:
    description: Text for a C(#) comment block at the top.
    type: str
author:
  - inferops.amd contributors (@inferops)
"""

EXAMPLES = r"""
- name: Ollama settings drop-in
  ansible.builtin.copy:
    dest: /etc/systemd/system/ollama.service.d/settings.conf
    content: "{{ {'OLLAMA_HOST': '127.0.0.1:11434'} | inferops.amd.systemd_environment_dropin(comment='Managed by Ansible') }}"
    mode: "0644"
"""

RETURN = r"""
_value:
  description: Drop-in file text.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.inferops.amd.plugins.module_utils.systemd_dropin import (
    DropinError, render_environment_dropin, settings_values)


def systemd_environment_dropin(environment, comment=None):
    if not isinstance(environment, dict):
        raise AnsibleFilterError("systemd_environment_dropin expects a dict, got %s" % type(environment).__name__)
    try:
        return render_environment_dropin(settings_values(environment), comment=comment)
    except DropinError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {"systemd_environment_dropin": systemd_environment_dropin}
