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
    (29.30 -> 32.46 tok/s, llama.cpp discussion 21043), more than any amdgpu power knob.
  - The runtime value is lost at reboot. The module returns the kernel argument that makes it permanent
    (C(pcie_aspm.policy=<policy>)) so a play can hand it to M(inferops.amd.kernel_cmdline), or puts it on the
    command line itself in the same run with O(kernel_cmdline).
  - When firmware keeps ASPM control (ACPI FADT or _OSC) or the kernel runs with C(pcie_aspm=off), the kernel
    refuses the write with EPERM; the module fails with that reason, or reports a skip when O(on_forbidden=skip).
  - In check mode the module makes one write, a no-op. It writes the currently active policy word back to the
    policy file, which the kernel accepts without changing anything unless ASPM is disabled, when it answers EPERM.
    So check mode predicts the lock exactly. Missing per-link files are no evidence, because links without ASPM
    support have none and a host whose firmware refused control through _OSC still shows them. On a plain tree
    (an O(sysroot) other than C(/) without an attribute writer that may run, see O(sysroot)) nothing is written
    and the change is predicted.
  - With O(scope=gpu_links) the global policy is left alone. Instead the ASPM states are disabled only on the
    PCIe links between each AMD GPU and its root port (every link on the path, through chipset switches), with the
    per-link files under C(/sys/bus/pci/devices/<BDF>/link/), and a udev rule re-applies that at every boot.
    NVMe drives and NICs keep their power saving. See docs/pcie-aspm-targeted.md.
author:
  - inferops.amd contributors (@inferops)
extends_documentation_fragment:
  - inferops.amd.sysroot
options:
  policy:
    description:
      - The policy to make active. C(default) defers to the firmware's choice per link, C(performance) disables
        ASPM link states, C(powersave) and C(powersupersave) allow L0s/L1 and L1 substates.
      - With O(scope=gpu_links), C(performance) disables the states in O(link_states) on the GPU links and persists
        that, and C(default) removes the persisted rule so the links return to the firmware's choice at the next boot
        (the states stay disabled until then). C(powersave) and C(powersupersave) are refused with that scope.
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
  scope:
    description:
      - C(global) sets the kernel-wide policy file.
      - C(gpu_links) touches only the links on the path from each discrete AMD GPU to its root port, for machines where
        the other devices (NVMe, NIC, chipset-attached peripherals) should keep ASPM power saving. Integrated GPUs
        (Strix Halo) have no PCIe link and are reported in RV(skipped_reason).
    type: str
    default: global
    choices: [global, gpu_links]
  link_states:
    description:
      - With O(scope=gpu_links), the per-link files to set to C(0). Files a link does not have are skipped.
      - The default disables every state, like the C(performance) policy does (L0s, L1, L1.1, L1.2 and clock PM).
    type: list
    elements: str
    default: [l0s_aspm, l1_aspm, l1_1_aspm, l1_2_aspm, l1_1_pcipm, l1_2_pcipm, clkpm]
    choices: [l0s_aspm, l1_aspm, l1_1_aspm, l1_2_aspm, l1_1_pcipm, l1_2_pcipm, clkpm]
  persist:
    description:
      - With O(scope=gpu_links), write C(/etc/udev/rules.d/90-inferops-pcie-aspm-links.rules) so udev disables the
        states again whenever the link's downstream device appears (every boot). C(false) removes that file.
      - Ignored with O(scope=global); persist the global policy with O(kernel_cmdline), or with
        M(inferops.amd.kernel_cmdline) and RV(kernel_argument).
    type: bool
    default: true
  kernel_cmdline:
    description:
      - Keep the kernel command line in step in the same module run, as M(inferops.amd.kernel_cmdline) would with
        O(kernel_cmdline.owner) (the same code, the same record of owners), so the policy survives a reboot.
      - With O(scope=global), RV(kernel_argument) goes on the command line, replacing another C(pcie_aspm.policy=) value.
        When the policy write was skipped (O(on_forbidden=skip)) the command line is left alone.
      - With O(scope=gpu_links), the arguments recorded under O(kernel_cmdline.owner) come off (a global policy an
        earlier run put there); arguments the owner did not add are never removed.
      - Omitted, the command line is not touched.
    type: dict
    suboptions:
      owner:
        description: The name the argument is recorded under in C(/var/lib/inferops.amd/kernel_cmdline.json).
        type: str
        default: pcie_aspm
      bootloader:
        description: Which backend holds the command line, as O(inferops.amd.kernel_cmdline#module:bootloader).
        type: str
        default: auto
        choices: [auto, grub, grubby, systemd_boot, sdboot_manage, kernelstub, rpm_ostree, bootc_kargs]
      backup:
        description: Copy an edited file first, as O(inferops.amd.kernel_cmdline#module:backup).
        type: bool
        default: true
  on_missing_link_controls:
    description:
      - With O(scope=gpu_links), what to do when a GPU's link has no per-link files (kernel older than 5.5, no
        C(CONFIG_PCIEASPM), C(pcie_aspm=off), firmware-controlled ASPM, or a virtual machine, where the C(link/) folder
        is empty).
      - C(fail) stops with the reason. C(skip) leaves such GPUs alone, lists them in RV(skipped_reason) and still
        handles the GPUs that have the controls.
    type: str
    default: fail
    choices: [fail, skip]
attributes:
  check_mode:
    description:
      - Predicts the change without writing the policy file, the link files, the rules file or the kernel command line.
      - A firmware lock is found by writing the active policy word back, a kernel no-op that fails with EPERM only
        when ASPM is disabled (see the description).
    support: full
  diff_mode:
    description:
      - Shows the policy (or, with O(scope=gpu_links), the link files and the rules file) before and after, and with
        O(kernel_cmdline) each edited boot file (or the configured command line) as M(inferops.amd.kernel_cmdline) does.
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

- name: The same in one module run, recorded as added by this play (see inferops.amd.kernel_cmdline's owner)
  inferops.amd.pcie_aspm:
    policy: performance
    kernel_cmdline:
      owner: aspm_tuning
  register: aspm

- name: Fleet where some firmware keeps ASPM control
  inferops.amd.pcie_aspm:
    policy: performance
    on_forbidden: skip

- name: Keep only the GPU links awake (chipset-attached card), persisted with a udev rule
  inferops.amd.pcie_aspm:
    policy: performance
    scope: gpu_links
  register: gpu_links

- name: Hand the GPU links back to the firmware at the next boot
  inferops.amd.pcie_aspm:
    policy: default
    scope: gpu_links
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
  returned: when O(scope=global)
  type: str
  sample: pcie_aspm.policy=performance
skipped_reason:
  description:
    - Why nothing was changed although a change was needed (only with O(on_forbidden=skip)).
    - With O(scope=gpu_links), the GPUs left alone and why (integrated GPUs, which have no PCIe link, and with
      O(on_missing_link_controls=skip) GPUs without per-link controls).
  returned: when the kernel forbids ASPM changes and O(on_forbidden=skip), or with O(scope=gpu_links) when a GPU was left alone
  type: str
scope:
  description: The scope the module worked on.
  returned: always
  type: str
  sample: gpu_links
links:
  description: With O(scope=gpu_links), every link on the GPU paths that has per-link controls.
  returned: when O(scope=gpu_links)
  type: list
  elements: dict
  contains:
    device:
      description: The device at the downstream end of the link (the one holding the C(link/) files).
      type: str
      sample: "0000:04:00.0"
    upstream:
      description: The bridge at the upstream end of the link.
      type: str
      sample: "0000:00:02.1"
    gpus:
      description: The GPUs whose path runs over this link.
      type: list
      elements: str
      sample: ["0000:06:00.0"]
    before:
      description: Each link file and its value before the run.
      type: dict
      sample: {l1_aspm: 1, l1_1_aspm: 1, clkpm: 1}
    after:
      description: Each link file and its value after the run (predicted in check mode).
      type: dict
      sample: {l1_aspm: 0, l1_1_aspm: 0, clkpm: 0}
    changed_files:
      description: The files that were (or in check mode would be) written.
      type: list
      elements: str
      sample: [l1_1_aspm, l1_aspm, clkpm]
rule_file:
  description: The udev rules file that persists the GPU link settings.
  returned: when O(scope=gpu_links)
  type: str
  sample: /etc/udev/rules.d/90-inferops-pcie-aspm-links.rules
rule_file_changed:
  description: Whether the rules file was written or removed.
  returned: when O(scope=gpu_links)
  type: bool
udev_reloaded:
  description: Whether C(udevadm control --reload) ran after the rules file changed.
  returned: when O(scope=gpu_links)
  type: bool
reboot_required:
  description:
    - With O(scope=gpu_links) and O(policy=default), whether links stay disabled until the next boot.
    - True in the run that removes the rule file and in every later run of the same boot (the release is recorded
      with the boot's id, C(/proc/sys/kernel/random/boot_id), in C(/var/lib/inferops.amd/pcie_aspm_links.json)).
  returned: when O(scope=gpu_links)
  type: bool
kernel_cmdline:
  description:
    - What O(kernel_cmdline) did to the kernel command line, with the return values of M(inferops.amd.kernel_cmdline)
      (C(bootloader), C(configured), C(running), C(added), C(removed), C(released), C(commands), C(reboot_required),
      C(backup_file), C(backup_files)).
    - C(reboot_required) is true when the running kernel does not have what the command line now holds.
    - C(failed) is true when the module failed in the command line change (after the ASPM setting was made).
  returned: when O(kernel_cmdline) is set, unless the policy write was skipped with O(scope=global)
  type: dict
  sample: {bootloader: grub, added: [pcie_aspm.policy=performance], removed: [], reboot_required: true}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.inferops.amd.plugins.module_utils._pci import aspm as pcie_aspm
from ansible_collections.inferops.amd.plugins.module_utils._pci import links as pcie_links
from ansible_collections.inferops.amd.plugins.module_utils._systemd import udev_rules
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.run import (
    BOOTLOADERS, KernelCmdlineRunError, commit_change, plan_change)
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import AttributeWriteError, module_sysroot, with_sysroot_option


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
        # The one write check mode makes: the active word back, a kernel no-op unless ASPM is disabled (EPERM).
        try:
            locked = pcie_aspm.probe_policy_lock(root, current)
        except AttributeWriteError as exc:
            module.fail_json(msg="could not probe the ASPM policy: %s" % exc, **_unchanged(result, current))
        return _forbidden(module, result, current, locked) if locked else result
    try:
        root.write_attribute(pcie_aspm.POLICY_PATH, wanted)
    except AttributeWriteError as exc:
        if not pcie_aspm.is_forbidden(exc):
            module.fail_json(msg="could not set ASPM policy '%s': %s" % (wanted, exc), **_unchanged(result, current))
        return _forbidden(module, result, current, pcie_aspm.forbidden_detail(root, str(exc)))
    after = pcie_aspm.read_policy(root)
    if after.active != wanted:
        module.fail_json(msg="wrote '%s' to %s but the kernel reports '%s'" % (wanted, pcie_aspm.POLICY_PATH, after.active),
                         **_unchanged(result, after))
    return result


def _forbidden(module, result, current, detail):
    """The result (or failure, with on_forbidden=fail) for a host where the OS may not change ASPM."""
    reason = ("the firmware or kernel forbids ASPM changes on this host (%s); boot with OS ASPM control "
              "or leave the policy to the firmware" % detail)
    if module.params["on_forbidden"] == "fail":
        module.fail_json(msg=reason, **_unchanged(result, current))
    result = _unchanged(result, current)
    result["skipped_reason"] = reason
    return result


def _unchanged(result, current):
    unchanged = dict(result, changed=False, policy=current.active)
    unchanged.pop("diff", None)
    return unchanged


LINK_STATE_OPTION = ("l0s_aspm", "l1_aspm", "l1_1_aspm", "l1_2_aspm", "l1_1_pcipm", "l1_2_pcipm", "clkpm")
GPU_LINK_POLICIES = ("performance", "default")


def apply_gpu_links(module, root, wanted):
    """Disable (performance) or un-persist (default) ASPM on the GPU links only."""
    if wanted not in GPU_LINK_POLICIES:
        module.fail_json(msg="policy '%s' is not available with scope=gpu_links; use performance (disable ASPM on the "
                             "GPU links) or default (give them back to the firmware)" % wanted)
    names = module.params["link_states"] if wanted == "performance" else ()
    discrete, integrated = pcie_links.discrete_gpus(root)
    ends, missing = pcie_links.find_gpu_links(root, discrete)
    result = dict(changed=False, scope="gpu_links", policy=wanted, rule_file=pcie_links.RULES_FILE)
    if not discrete and not integrated and wanted == "performance":
        module.fail_json(msg="no AMD GPU (PCI vendor 0x1002, display class) found; nothing to do for scope=gpu_links",
                         **result)
    reasons = ["integrated GPU %s sits on the SoC's internal bus, not behind a PCIe link; nothing to change" % bdf
               for bdf in integrated]
    if missing and wanted == "performance":
        if module.params["on_missing_link_controls"] == "fail":
            module.fail_json(msg="; ".join(item.message for item in missing), **result)
        reasons += [item.message for item in missing]
    if reasons and wanted == "performance":
        result["skipped_reason"] = "; ".join(reasons)
    writes = pcie_links.plan_disable(ends, names)
    content = pcie_links.render_rules(ends, names) if module.params["persist"] else None
    if writes and not module.check_mode:
        try:
            pcie_links.apply_disable(root, writes)
        except pcie_links.PcieLinkError as exc:
            module.fail_json(msg=str(exc), **result)
    try:
        pending = pcie_links.release_pending(root)
        rules, reloaded = udev_rules.install_rules_file(root, pcie_links.RULES_FILE, content,
                                                        module.check_mode, module.run_command)
        released = wanted == "default" and rules.before is not None
        if not module.check_mode and released:
            pcie_links.record_release(root)
        elif not module.check_mode and wanted == "performance":
            pcie_links.forget_release(root)
    except (udev_rules.UdevRuleError, pcie_links.PcieLinkError, IOError, OSError) as exc:
        module.fail_json(msg=str(exc), **result)
    result.update(
        changed=bool(writes) or rules.changed,
        links=pcie_links.describe_links(ends, writes, names),
        rule_file_changed=rules.changed,
        udev_reloaded=reloaded,
        # the links stay as they were until the next boot: in the run that released them and every later one
        reboot_required=wanted == "default" and (released or pending),
    )
    if module._diff:
        result["diff"] = [links_diff(result["links"]), rules.diff()]
    return result


def links_diff(links):
    def text(key):
        return "".join("%s: %s\n" % (link["device"], " ".join(
            "%s=%s" % (name, value) for name, value in sorted(link[key].items()))) for link in links)
    return {"before_header": "GPU PCIe link states", "after_header": "GPU PCIe link states",
            "before": text("before"), "after": text("after")}


def plan_cmdline(module, root):
    """With the kernel_cmdline option, the command line change, planned before anything is written (or None).

    A command line that cannot be changed (an unreadable GRUB defaults file, a refused bootloader) fails the
    module here, while the ASPM setting is still untouched.
    """
    options = module.params["kernel_cmdline"]
    if options is None:
        return None
    scope = module.params["scope"]
    present = [pcie_aspm.kernel_argument(module.params["policy"])] if scope == "global" else []
    try:
        return plan_change(root, module.run_command, present, [], owner=options["owner"],
                           bootloader=options["bootloader"])
    except KernelCmdlineRunError as exc:
        module.fail_json(msg="nothing was changed: the kernel command line cannot take the ASPM setting: %s" % exc,
                         changed=False, kernel_cmdline=dict(exc.result, failed=True))
    return None  # not reached: fail_json exits


def persist_on_cmdline(module, planned, result):
    """The planned command line change carried out in step with `result` in the same run (fails the module)."""
    options = module.params["kernel_cmdline"]
    if planned is None or (result["scope"] == "global" and "skipped_reason" in result):
        return result
    try:
        cmdline = commit_change(planned, backup=options["backup"], check_mode=module.check_mode, diff=module._diff)
    except KernelCmdlineRunError as exc:
        # The policy (or the links) may be written already: changed says so, and kernel_cmdline what is known.
        failed = dict(result, kernel_cmdline=dict(exc.result, failed=True),
                      changed=result["changed"] or exc.result["changed"])
        failed.pop("diff", None)
        module.fail_json(msg="the ASPM setting is %s, but the kernel command line was not: %s"
                         % ("made" if result["changed"] else "in place", exc), **failed)
    diffs = cmdline.pop("diff", [])
    if diffs:
        own = result.get("diff", [])
        result["diff"] = (own if isinstance(own, list) else [own]) + diffs
    return dict(result, kernel_cmdline=cmdline, changed=result["changed"] or cmdline["changed"])


def main():
    module = AnsibleModule(
        argument_spec=with_sysroot_option(dict(
            policy=dict(type="str", required=True, choices=list(pcie_aspm.POLICIES)),
            on_forbidden=dict(type="str", default="fail", choices=["fail", "skip"]),
            scope=dict(type="str", default="global", choices=["global", "gpu_links"]),
            link_states=dict(type="list", elements="str", default=list(LINK_STATE_OPTION),
                             choices=list(LINK_STATE_OPTION)),
            persist=dict(type="bool", default=True),
            on_missing_link_controls=dict(type="str", default="fail", choices=["fail", "skip"]),
            kernel_cmdline=dict(type="dict", options=dict(
                owner=dict(type="str", default="pcie_aspm"),
                bootloader=dict(type="str", default="auto", choices=list(BOOTLOADERS)),
                backup=dict(type="bool", default=True),
            )),
        )),
        supports_check_mode=True,
    )
    root = module_sysroot(module)
    # Both halves are planned before either is written: a command line that cannot change fails untouched.
    planned = plan_cmdline(module, root)
    if module.params["scope"] == "gpu_links":
        result = apply_gpu_links(module, root, module.params["policy"])
    else:
        result = dict(apply_policy(module, root, module.params["policy"]), scope="global")
    module.exit_json(**persist_on_cmdline(module, planned, result))


if __name__ == "__main__":
    main()
