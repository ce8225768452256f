# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: reboot_reasons
short_description: Why a kernel command line change needs a reboot, in the run report's words
version_added: 0.2.0
description:
  - Takes the registered result of M(inferops.amd.kernel_cmdline) (or the C(kernel_cmdline) part of a
    M(inferops.amd.pcie_aspm) result) and returns the reasons for a reboot; an empty list when the result does not
    need one (RV(inferops.amd.kernel_cmdline#module:reboot_required) false, or the task was skipped).
  - C(kernel command line needs ARGUMENTS) names those of O(kernel_args) the running kernel does not have yet;
    C(kernel command line drops ARGUMENTS) those this run took off. A reboot still owed for arguments an earlier run
    took off reads C(the running kernel still has arguments an earlier run took off).
  - The rdna4 and strix_halo roles publish it as C(reboot.reasons) in their report; site.yml reboots a host that has
    any (see docs/report.md).
author:
  - inferops.amd contributors (@inferops)
seealso:
  - plugin: inferops.amd.knob_report
    plugin_type: filter
options:
  _input:
    description: A registered M(inferops.amd.kernel_cmdline) result.
    type: dict
    required: true
  kernel_args:
    description: The kernel arguments the role asks for.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Put the argument on the kernel command line
  inferops.amd.kernel_cmdline:
    present: [iommu=pt]
  register: cmdline

- name: Say why the host needs a reboot
  ansible.builtin.debug:
    msg: "{{ cmdline | inferops.amd.reboot_reasons(kernel_args=['iommu=pt']) }}"
"""

RETURN = r"""
_value:
  description: The reasons for a reboot; empty when none is needed.
  type: list
  elements: str
  sample: [kernel command line needs pcie_aspm.policy=performance]
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.inferops.amd.plugins.plugin_utils.knob_report import reboot_reasons as reasons_of


def reboot_reasons(result, kernel_args=None):
    if not isinstance(result, Mapping) and hasattr(result, '_fail_with_undefined_error'):
        # an undefined input (a register that did not run, a linter templating statically) stays undefined
        result._fail_with_undefined_error()  # pylint: disable=protected-access
    if not isinstance(result, Mapping):
        raise AnsibleFilterError("reboot_reasons: the input must be a registered kernel_cmdline result, got %s"
                                 % type(result).__name__)
    return reasons_of(dict(result), kernel_args or [])


class FilterModule(object):
    def filters(self):
        return {"reboot_reasons": reboot_reasons}
