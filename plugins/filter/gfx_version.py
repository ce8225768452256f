# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: gfx_version
short_description: HSA_OVERRIDE_GFX_VERSION value of a gfx target
version_added: "0.1.0"
description:
  - C(gfx1201) gives C(12.0.1), C(gfx1151) gives C(11.5.1), C(gfx90a) gives C(9.0.10) (the last two
    characters are hexadecimal minor and stepping, as in LLVM's AMDGPU target names).
options:
  _input:
    description: gfx target, as C(ansible_facts.inferops_amd.gpus[*].gfx_target) reports it.
    type: str
    required: true
author:
  - inferops.amd contributors (@inferops)
"""

EXAMPLES = r"""
- name: Show the override for the first GPU
  ansible.builtin.debug:
    msg: "{{ ansible_facts.inferops_amd.gpus[0].gfx_target | inferops.amd.gfx_version }}"
"""

RETURN = r"""
_value:
  description: MAJOR.MINOR.STEPPING.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.inferops.amd.plugins.module_utils.ollama_backend_plan import (
    PlanError, gfx_version_from_target)


def gfx_version(target):
    try:
        return gfx_version_from_target(target)
    except PlanError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {"gfx_version": gfx_version}
