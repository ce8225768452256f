# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: knob_report
short_description: Knob items of the run report from a registered module result
version_added: 0.1.0
description:
  - Turns the registered result of M(inferops.amd.pcie_aspm), M(inferops.amd.kernel_cmdline),
    M(inferops.amd.amdgpu_power), M(inferops.amd.ryzenadj) or a file task into the report's knob items
    (C(knob), C(before), C(after), C(changed), C(reason), and C(note) when the host kept the knob).
  - With O(kind=value) the input is a setting the role compared itself, a dict with C(before) and C(after)
    (the strix_halo role's tuned profile); the item is changed when they differ.
  - A task that was skipped gives no item. In check mode the items are the module's prediction (the drift audit).
  - The roles use it to build C(rdna4_report) and C(strix_halo_report); see docs/report.md.
seealso:
  - plugin: inferops.amd.reboot_reasons
    plugin_type: filter
  - plugin: inferops.amd.verify_failures
    plugin_type: filter
author:
  - inferops.amd contributors (@inferops)
positional: kind, reason, name
options:
  _input:
    description: A registered task result, or for O(kind=value) a dict with C(before) and C(after).
    type: dict
    required: true
  kind:
    description: Which module produced the result (C(file) for any task that writes a file, C(value) for a setting
      the role compared itself).
    type: str
    required: true
    choices: [aspm, cmdline, amdgpu_power, ryzenadj, file, value]
  reason:
    description: Why the collection sets this knob (shown next to the change).
    type: str
    default: ""
  name:
    description: The knob's name for O(kind=file) and O(kind=value).
    type: str
"""

EXAMPLES = r"""
- name: Report the ASPM change
  ansible.builtin.set_fact:
    aspm_items: "{{ aspm_result | inferops.amd.knob_report('aspm', '+10.8% decode on an R9700') }}"

- name: Report a setting compared by the play itself
  ansible.builtin.set_fact:
    tuned_items: "{{ {'before': 'balanced', 'after': 'accelerator-performance'} | inferops.amd.knob_report('value', '', 'tuned profile') }}"
"""

RETURN = r"""
_value:
  description: The knob items (empty when the task did not run).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.inferops.amd.plugins.plugin_utils.knob_report import KnobReportError, knob_items


def knob_report(result, kind, reason="", name=None):
    try:
        return knob_items(result or {}, kind, reason, name)
    except KnobReportError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {"knob_report": knob_report}
