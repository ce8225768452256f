# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: inventory_problems
short_description: What is wrong with one host's inventory values, one message per bad value
version_added: 0.1.0
description:
  - Checks the collection-wide variables (C(inferops_reboot_allowed), C(inferops_sysroot), C(inferops_reboot_command),
    C(inferops_host_class), C(inferops_serving), C(inferops_benchmark), and C(strix_halo_gtt_reserve_mib), whose
    allowed range an argument spec cannot express), then each role's variables (C(rdna4_*), C(strix_halo_*),
    C(ollama_*), C(llama_cpp_*)) against that role's C(meta/argument_specs.yml) with ansible-core's
    argument spec validator (the engine of M(ansible.builtin.validate_argument_spec)).
  - Returns one message per bad value, naming the variable, what is allowed and what it got; an empty list when
    everything is allowed. A value named by a collection-wide rule is not checked again against its role's spec.
  - The facts play of C(site.yml) and C(audit.yml) fails a host with any message before anything changes anywhere.
author:
  - inferops.amd contributors (@inferops)
options:
  _input:
    description: One host's variables, C(hostvars[inventory_hostname]).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the inventory values before anything changes
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "bad inventory value on {{ inventory_hostname }}: {{ problems | join('; ') }}"
  vars:
    problems: "{{ hostvars[inventory_hostname] | inferops.amd.inventory_problems }}"
"""

RETURN = r"""
_value:
  description: The messages, collection-wide variables first, then by role (each starting C(role NAME)).
  type: list
  elements: str
"""

import os

# ansible-core's own YAML entry point: libyaml's CSafeLoader where PyYAML has it (this runs once per host
# and run, a tenth of the time of the pure-Python loader), and no import beyond ansible-core.
from ansible.module_utils.common.yaml import yaml_load

from ansible_collections.inferops.amd.plugins.module_utils.inventory_checks import ROLES, inventory_problems as problems_of

# plugins/filter/ -> the collection's roles/
ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles")


def role_specs():
    """Each role's main argument spec options, as its meta/argument_specs.yml has them."""
    specs = {}
    for role in ROLES:
        with open(os.path.join(ROLES_DIR, role, "meta", "argument_specs.yml")) as handle:
            specs[role] = yaml_load(handle)["argument_specs"]["main"]["options"]
    return specs


def inventory_problems(values):
    return problems_of(values, role_specs())


class FilterModule(object):
    def filters(self):
        return {"inventory_problems": inventory_problems}
