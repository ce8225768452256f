# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: verify_failures
short_description: What a role's verification found, one message per setting that does not hold
version_added: 0.2.0
description:
  - Takes the registered results of a verification, the role's modules run again in check mode, and returns one
    message per knob the module would change, C(KNOB is BEFORE, expected AFTER) (for example
    C(ASPM policy is default, expected performance)), in the order of the input.
  - A M(inferops.amd.kernel_cmdline) result whose running kernel differs from the configured command line adds
    C(the running kernel lacks ARGUMENTS) and the running kernel's command line, naming those of O(kernel_args) the
    running kernel does not have (compared as the kernel reads them, without quotes).
  - A task that was skipped gives nothing; an empty list means every setting holds.
  - The C(verify) entry points of the rdna4 and strix_halo roles publish it as C(verify_failures) in their report.
author:
  - inferops.amd contributors (@inferops)
seealso:
  - plugin: inferops.amd.knob_report
    plugin_type: filter
options:
  _input:
    description:
      - Each knob kind (as O(inferops.amd.knob_report#filter:kind) names it, for example C(aspm), C(cmdline),
        C(amdgpu_power), C(ryzenadj)) mapped to the registered check-mode result of that kind's task.
    type: dict
    required: true
  kernel_args:
    description: The kernel arguments the role asks for, named when the running kernel lacks them.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Check the ASPM policy without changing it
  inferops.amd.pcie_aspm:
    policy: performance
  check_mode: true
  register: aspm_check

- name: Check the kernel command line without changing it
  inferops.amd.kernel_cmdline:
    present: ["{{ aspm_check.kernel_argument }}"]
  check_mode: true
  register: cmdline_check

- name: Fail unless both hold
  ansible.builtin.assert:
    that: failures | length == 0
    fail_msg: "verification failed: {{ failures | join('; ') }}"
  vars:
    failures: >-
      {{ {'aspm': aspm_check, 'cmdline': cmdline_check}
         | inferops.amd.verify_failures(kernel_args=[aspm_check.kernel_argument]) }}
"""

RETURN = r"""
_value:
  description: One message per setting that does not hold; empty when everything holds.
  type: list
  elements: str
  sample:
    - ASPM policy is default, expected performance
    - "the running kernel lacks pcie_aspm.policy=performance (/proc/cmdline: BOOT_IMAGE=/boot/vmlinuz ro quiet)"
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.inferops.amd.plugins.plugin_utils.knob_report import KnobReportError
from ansible_collections.inferops.amd.plugins.plugin_utils.knob_report import verify_failures as failures_of


def verify_failures(results, kernel_args=None):
    if not isinstance(results, Mapping) and hasattr(results, '_fail_with_undefined_error'):
        # an undefined input (a register that did not run, a linter templating statically) stays undefined
        results._fail_with_undefined_error()  # pylint: disable=protected-access
    if not isinstance(results, Mapping):
        raise AnsibleFilterError("verify_failures: the input must map knob kinds to registered results, got %s"
                                 % type(results).__name__)
    try:
        return failures_of(dict(results), kernel_args or [])
    except KnobReportError as exc:
        raise AnsibleFilterError("verify_failures: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"verify_failures": verify_failures}
