#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: pcie_aspm
short_description: Set the kernel's PCIe ASPM policy at runtime
version_added: 0.1.0
description:
  - Reads the global PCIe Active State Power Management policy from C(/sys/module/pcie_aspm/parameters/policy)
    and sets it at runtime.
  - C(performance) keeps PCIe links in L0. On a Radeon AI PRO R9700 that is worth +10.8% dense decode
    (29.30 -> 32.46 tok/s, 000_801ea008df5064be.txt), more than any amdgpu power knob.
  - The runtime value is lost at reboot. The module returns the kernel argument that makes it permanent
    (C(pcie_aspm.policy=<policy>)) so a play can hand it to M(inferops.amd.kernel_cmdline).
  - When firmware keeps ASPM control (ACPI FADT) or the kernel runs with C(pcie_aspm=off), the kernel refuses
    the write with EPERM; the module fails with that reason, or reports a skip when O(on_forbidden=skip).
author:
  - inferops.amd contributors
extends_documentation_fragment:
  - inferops.amd.sysroot
options:
  policy:
    description:
      - The policy to make active. C(default) defers to the firmware's choice per link, C(performance) disables
        ASPM link states, C(powersave) and C(powersupersave) allow L0s/L1 and L1 substates.
    type: str
    required: true
    choices: [default, performance, powersave, powersupersave]
  on_forbidden:
    description:
      - What to do when the kernel forbids ASPM changes (EPERM).
      - C(fail) stops the host with the reason. C(skip) reports C(skipped_reason) and C(changed=false), for fleets
        where some hosts' firmware keeps ASPM control.
    type: str
    default: fail
    choices: [fail, skip]
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
seealso:
  - module: inferops.amd.kernel_cmdline
  - module: inferops.amd.hardware_facts
"""

EXAMPLES = r"""
- name: Keep PCIe links awake for decode
  inferops.amd.pcie_aspm:
    policy: performance
  register: aspm

- name: Make it survive a reboot
  inferops.amd.kernel_cmdline:
    present:
      - "{{ aspm.kernel_argument }}"

- name: Fleet where some firmware keeps ASPM control
  inferops.amd.pcie_aspm:
    policy: performance
    on_forbidden: skip
"""

RETURN = r"""
previous:
  description: The policy that was active before the module ran.
  returned: always
  type: str
  sample: default
policy:
  description: The policy active after the module ran (the requested one unless skipped or in check mode, where it is the predicted one).
  returned: always
  type: str
  sample: performance
available:
  description: The policies the kernel offers.
  returned: always
  type: list
  elements: str
  sample: [default, performance, powersave, powersupersave]
kernel_argument:
  description: The kernel command line argument that selects the requested policy at boot.
  returned: always
  type: str
  sample: pcie_aspm.policy=performance
skipped_reason:
  description: Why nothing was changed although a change was needed (only with O(on_forbidden=skip)).
  returned: when the kernel forbids ASPM changes and O(on_forbidden=skip)
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.inferops.amd.plugins.module_utils import pcie_aspm
from ansible_collections.inferops.amd.plugins.module_utils.sysroot import AttributeWriteError, SysRoot, SysRootError


def policy_diff(before, after):
    return {
        "before_header": pcie_aspm.POLICY_PATH,
        "after_header": pcie_aspm.POLICY_PATH,
        "before": "policy: %s\n" % before,
        "after": "policy: %s\n" % after,
    }


def apply_policy(module, root, wanted):
    """Set the global policy; return the result dict (fails the module on errors)."""
    try:
        current = pcie_aspm.read_policy(root)
    except pcie_aspm.AspmPolicyError as exc:
        module.fail_json(msg=str(exc))
    if wanted not in current.available:
        module.fail_json(msg="policy '%s' is not offered by this kernel; it offers: %s"
                         % (wanted, ", ".join(current.available)))
    result = dict(changed=False, previous=current.active, policy=current.active,
                  available=list(current.available), kernel_argument=pcie_aspm.kernel_argument(wanted))
    if current.active == wanted:
        return result
    result.update(changed=True, policy=wanted)
    if module._diff:
        result["diff"] = policy_diff(current.active, wanted)
    if module.check_mode:
        return result
    try:
        root.write_attribute(pcie_aspm.POLICY_PATH, wanted)
    except AttributeWriteError as exc:
        if not pcie_aspm.is_forbidden(exc):
            module.fail_json(msg="could not set ASPM policy '%s': %s" % (wanted, exc), **_unchanged(result, current))
        reason = ("the firmware or kernel forbids ASPM changes on this host (%s); boot with OS ASPM control "
                  "or leave the policy to the firmware" % exc)
        if module.params["on_forbidden"] == "fail":
            module.fail_json(msg=reason, **_unchanged(result, current))
        result = _unchanged(result, current)
        result["skipped_reason"] = reason
        return result
    after = pcie_aspm.read_policy(root)
    if after.active != wanted:
        module.fail_json(msg="wrote '%s' to %s but the kernel reports '%s'" % (wanted, pcie_aspm.POLICY_PATH, after.active),
                         **_unchanged(result, after))
    return result


def _unchanged(result, current):
    unchanged = dict(result, changed=False, policy=current.active)
    unchanged.pop("diff", None)
    return unchanged


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sysroot=dict(type="path", default="/"),
            policy=dict(type="str", required=True, choices=list(pcie_aspm.POLICIES)),
            on_forbidden=dict(type="str", default="fail", choices=["fail", "skip"]),
        ),
        supports_check_mode=True,
    )
    try:
        root = SysRoot(module.params["sysroot"])
    except SysRootError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**apply_policy(module, root, module.params["policy"]))


if __name__ == "__main__":
    main()
