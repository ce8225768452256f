#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: amdgpu_power
short_description: Set amdgpu performance level, power profile and power cap, and keep them across reboots
version_added: 0.1.0
description:
  - Sets the amdgpu driver's C(power_dpm_force_performance_level), C(pp_power_profile_mode) and the hwmon
    C(power1_cap) of AMD GPUs, reads every value back to prove the kernel took it, and (with O(persist=true))
    writes a udev rule that re-applies them when the card appears at boot or after a driver reload.
  - These are volatile kernel settings; without the rule they are lost at every reboot.
  - On a Radeon AI PRO R9700, C(COMPUTE) and C(profile_peak) measured 0% on dense and MoE decode
    (llama.cpp discussion 21043), because the clock already sits at peak during decode. Use this module for power caps,
    idle power, or to pin a known state for benchmarks, not for decode speed; C(inferops.amd.pcie_aspm) is the knob that moves decode.
  - Cards are selected by PCI address or DRM card name and persisted by PCI address, because C(cardN) numbers follow
    probe order and change between boots.
  - Everything is validated on every selected card before anything is written.
author:
  - inferops.amd contributors (@inferops)
extends_documentation_fragment:
  - inferops.amd.sysroot
options:
  cards:
    description:
      - The GPUs to set, each a PCI address (C(0000:03:00.0)) or a DRM card name (C(card1)).
      - Empty selects every AMD GPU (PCI vendor C(0x1002), display class).
    type: list
    elements: str
    default: []
  performance_level:
    description:
      - The value for C(power_dpm_force_performance_level), in the kernel's own words.
      - C(auto) lets the driver choose clocks; C(manual) hands clocks and the power profile to the user;
        the C(profile_*) levels pin clocks for profiling; C(high) and C(low) force the top or bottom state.
      - When omitted and O(power_profile) is set, C(manual) is used, because a profile write is only honoured
        in manual mode on many SMU generations (powerplay cards refuse it outside manual; in C(auto) the SMU's own
        workload heuristic may override it). Set it explicitly to keep another level.
    type: str
    choices: [auto, low, high, manual, profile_standard, profile_min_sclk, profile_min_mclk, profile_peak]
  power_profile:
    description:
      - The workload profile by name, for example C(COMPUTE), C(3D_FULL_SCREEN) or C(BOOTUP_DEFAULT) (the driver default).
      - The module reads the card's C(pp_power_profile_mode) (every layout the kernel prints, that is RDNA4/SMU14 per-mode blocks,
        SMU11 blocks, APU one-line-per-mode and transposed SMU13) and writes the matching index.
      - C(CUSTOM) is not accepted (it needs coefficients). An unknown name fails with the names the card offers.
    type: str
  power_cap_watts:
    description:
      - Board power cap in watts, written to hwmon C(power1_cap) in microwatts.
      - Must lie within the card's C(power1_cap_min) and C(power1_cap_max). Cards without a cap file (APUs such as
        Strix Halo, whose limits are the SMU PPT) fail with a clear message.
    type: int
  persist:
    description:
      - C(true) writes the requested settings of the selected cards to C(/etc/udev/rules.d/90-inferops-amdgpu-power.rules)
        so udev re-applies them whenever the card appears; settings persisted earlier for other options or other
        cards are kept.
      - C(false) applies the settings until the next reboot only and leaves the rules file as it is, so settings
        persisted earlier come back at the next boot.
      - When the file changes on a live host, C(udevadm control --reload) runs so udevd sees it.
    type: bool
    default: true
  remove_persisted:
    description:
      - With O(persist=false), also remove every persisted setting of the selected cards from the rules file (the file
        goes away when nothing is left), so the next boot starts from the driver defaults.
    type: bool
    default: false
attributes:
  check_mode:
    description: Validates everything and predicts every change without writing an attribute or the rules file, and without running udevadm.
    support: full
  diff_mode:
    description: Shows each card's settings and the rules file before and after.
    support: full
notes:
  - Writing C(pp_power_profile_mode) fails with EBUSY on some cards while they drive a display; the module then fails
    naming the card and the profile.
  - udev, not a systemd unit, carries the persistence because it fires at the right moment on every appearance of the
    card (boot, driver reload, GPU reset) after amdgpu created its attributes, and it matches the card by PCI address
    with no script to ship. See docs/amdgpu-power.md.
seealso:
  - module: inferops.amd.hardware_facts
  - module: inferops.amd.pcie_aspm
"""

EXAMPLES = r"""
- name: Cap the R9700 at 250 W and keep it after reboots
  inferops.amd.amdgpu_power:
    cards: ["0000:03:00.0"]
    power_cap_watts: 250

- name: COMPUTE profile on every AMD GPU (sets performance_level manual first)
  inferops.amd.amdgpu_power:
    power_profile: COMPUTE

- name: Pin clocks for a benchmark, until the next reboot only
  inferops.amd.amdgpu_power:
    cards: [card1]
    performance_level: profile_peak
    persist: false

- name: Back to the driver defaults and forget the persisted settings
  inferops.amd.amdgpu_power:
    performance_level: auto
    power_profile: BOOTUP_DEFAULT
    persist: false
    remove_persisted: true
"""

RETURN = r"""
cards:
  description: One entry per selected card.
  returned: always
  type: list
  elements: dict
  contains:
    pci_address:
      description: PCI address of the card.
      type: str
      sample: "0000:03:00.0"
    card:
      description: DRM card name at the time of the run (not stable across boots).
      type: str
      sample: card1
    before:
      description: C(performance_level), C(power_profile) (active profile name) and C(power_cap_watts) before the run.
      type: dict
      sample: {performance_level: auto, power_profile: BOOTUP_DEFAULT, power_cap_watts: 300}
    after:
      description: The same values read back after the run (predicted in check mode).
      type: dict
      sample: {performance_level: manual, power_profile: COMPUTE, power_cap_watts: 250}
    changed:
      description: Whether a value of this card changed.
      type: bool
    writes:
      description: The attribute writes made (or that would be made in check mode), in order.
      type: list
      elements: dict
      sample: [{path: /sys/bus/pci/devices/0000:03:00.0/power_dpm_force_performance_level, value: manual, setting: performance_level}]
rule_file:
  description: Machine path of the udev rules file the module manages.
  returned: always
  type: str
  sample: /etc/udev/rules.d/90-inferops-amdgpu-power.rules
rule_file_changed:
  description: Whether the rules file was written or removed.
  returned: always
  type: bool
rule_file_present:
  description: Whether the rules file exists after the run (predicted in check mode).
  returned: always
  type: bool
udev_reloaded:
  description: Whether C(udevadm control --reload) ran.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import power as amdgpu_power
from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import power_rules as amdgpu_power_rules
from ansible_collections.inferops.amd.plugins.module_utils._systemd import udev_rules
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import module_sysroot, with_sysroot_option


def plan_cards(root, params):
    """Validated plans for every selected card (nothing written yet)."""
    bdfs = amdgpu_power.select_cards(root, params["cards"])
    return [amdgpu_power.plan_card(amdgpu_power.CardPower(root, bdf), params["performance_level"],
                                   params["power_profile"], params["power_cap_watts"]) for bdf in bdfs]


def planned_rules(root, plans, persist, remove_persisted):
    """Content the rules file should hold after this run (None: no file)."""
    path = amdgpu_power_rules.RULES_FILE
    text = root.read_text(path) if root.exists(path) else None
    if not persist and not remove_persisted:
        return text  # a setting for this boot only leaves what earlier runs persisted
    settings = amdgpu_power_rules.parse(text or "")
    for plan in plans:
        if persist:
            settings = amdgpu_power_rules.merge(settings, plan.state.bdf, plan.persisted)
        else:
            settings = amdgpu_power_rules.without(settings, plan.state.bdf)
    return amdgpu_power_rules.render(settings)


def card_result(plan, after):
    return {
        "pci_address": plan.state.bdf,
        "card": plan.state.card,
        "before": plan.state.snapshot(),
        "after": after,
        "changed": plan.changed,
        "writes": [write.as_dict() for write in plan.writes],
    }


def live_diff(plans):
    before = "".join("[%s]\n%s" % (p.state.label, amdgpu_power.describe(p.state.snapshot())) for p in plans)
    after = "".join("[%s]\n%s" % (p.state.label, amdgpu_power.describe(p.after)) for p in plans)
    return {"before_header": "amdgpu power settings", "after_header": "amdgpu power settings",
            "before": before, "after": after}


def run(module, root):
    params = module.params
    nothing = all(params[k] is None for k in ("performance_level", "power_profile", "power_cap_watts"))
    if nothing and (params["persist"] or not params["remove_persisted"]):
        module.fail_json(msg="nothing to set: give performance_level, power_profile or power_cap_watts "
                             "(or persist=false and remove_persisted=true to remove the persisted settings of the "
                             "selected cards)")
    if params["persist"] and params["remove_persisted"]:
        module.fail_json(msg="remove_persisted=true needs persist=false: persist=true keeps the settings at boot")
    try:
        plans = plan_cards(root, params)
        content = planned_rules(root, plans, params["persist"], params["remove_persisted"])
    except (amdgpu_power.AmdgpuPowerError, udev_rules.UdevRuleError) as exc:
        module.fail_json(msg=str(exc))
    results = []
    for plan in plans:
        after = plan.after
        if plan.changed and not module.check_mode:
            try:
                after = amdgpu_power.apply_plan(root, plan).snapshot()
            except amdgpu_power.AmdgpuPowerError as exc:
                # Cards done before this one, and writes done on this one, stay written.
                module.fail_json(msg=str(exc), cards=results,
                                 changed=exc.written or any(card["changed"] for card in results))
        results.append(card_result(plan, after))
    try:
        rules, reloaded = udev_rules.install_rules_file(root, amdgpu_power_rules.RULES_FILE, content,
                                                        module.check_mode, module.run_command)
    except udev_rules.UdevRuleError as exc:
        written = getattr(exc, "file_written", False)
        module.fail_json(msg=str(exc), cards=results,
                         changed=not module.check_mode and (written or any(plan.changed for plan in plans)))
    result = dict(
        changed=any(plan.changed for plan in plans) or rules.changed,
        cards=results,
        rule_file=amdgpu_power_rules.RULES_FILE,
        rule_file_changed=rules.changed,
        rule_file_present=content is not None,
        udev_reloaded=reloaded,
    )
    if module._diff:
        result["diff"] = [live_diff(plans), rules.diff()]
    return result


def main():
    module = AnsibleModule(
        argument_spec=with_sysroot_option(dict(
            cards=dict(type="list", elements="str", default=[]),
            performance_level=dict(type="str", choices=list(amdgpu_power.PERFORMANCE_LEVELS)),
            power_profile=dict(type="str"),
            power_cap_watts=dict(type="int"),
            persist=dict(type="bool", default=True),
            remove_persisted=dict(type="bool", default=False),
        )),
        supports_check_mode=True,
    )
    root = module_sysroot(module)
    module.exit_json(**run(module, root))


if __name__ == "__main__":
    main()
