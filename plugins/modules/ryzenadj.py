#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ryzenadj
short_description: Set AMD APU power limits (STAPM, PPT) with RyzenAdj and keep them across reboots and resumes
version_added: 0.1.0
description:
  - Sets the SMU power limits of a Ryzen mobile APU such as Strix Halo with C(ryzenadj), in watts, and reads them back
    with C(ryzenadj --info) to report the value the firmware really took.
  - On an HP ZBook Ultra G1a (Strix Halo, 64 GB), raising the limits to 85 W gave +46% decode speed
    (Qwen3.5-35B-A3B UD-Q4_K_L 39 -> 57 tok/s); the firmware kept slow PPT at 70 W (the strix-halo-optimizations log).
  - Reads C(ryzenadj --info) first and calls C(ryzenadj) with only the limits that differ, so a second run calls nothing.
  - The limits are volatile (lost at reboot and at suspend/resume). With O(persist=true) the module writes and enables
    a systemd oneshot unit that re-applies them at boot and after every resume.
author:
  - inferops.amd contributors (@inferops)
extends_documentation_fragment:
  - inferops.amd.sysroot
options:
  stapm_limit:
    description:
      - Sustained power limit (STAPM) in watts; passed to C(--stapm-limit) in milliwatts, as are the other power limits.
      - Values of 1000 and more are refused as probably milliwatts.
    type: float
  fast_limit:
    description:
      - Fast PPT limit (short boost) in watts, C(--fast-limit).
    type: float
  slow_limit:
    description:
      - Slow PPT limit (long boost, average power) in watts, C(--slow-limit).
      - Firmware may keep a lower value (70 W on the HP ZBook Ultra G1a); see O(allow_clamped).
    type: float
  apu_slow_limit:
    description:
      - APU slow PPT limit in watts, C(--apu-slow-limit). Strix Halo firmware reports and honours it.
    type: float
  tctl_temp:
    description:
      - Temperature limit (Tctl) in degrees C, C(--tctl-temp); 40 to 105.
      - Raising it above the default (95 C on Strix Halo) is not advised; lowering it trades speed for heat and noise.
    type: int
  persist:
    description:
      - C(true) writes C(/etc/systemd/system/inferops-ryzenadj.service) with the requested limits and enables it for
        C(multi-user.target) and the sleep targets, so the limits come back at boot and after suspend, hibernate and
        hybrid sleep (they are lost at both, the strix-halo-optimizations log).
      - C(false) applies the limits until the next reboot or suspend only, and disables and removes that unit.
        Give no limit with C(false) to just remove the unit.
    type: bool
    default: true
  allow_clamped:
    description:
      - What to do when a limit reads back different from the request after writing, because the firmware clamped it.
      - C(true) warns and succeeds; the limits that did take are kept, and the unit still asks for the requested values
        at every boot and resume. The unit records what the firmware kept (a C(# Firmware kept:) comment), so later runs
        with the same request treat a limit at its recorded cap as applied and call nothing.
      - C(changed) follows the read-back values, so a request the firmware ignored entirely is not a change.
      - C(false) fails, naming the requested and effective values; the limits are already written then.
    type: bool
    default: true
attributes:
  check_mode:
    description: Runs the read-only C(ryzenadj --info) and predicts every change; never writes a limit or the unit, never runs systemctl.
    support: full
  diff_mode:
    description: Shows the limits and the unit file before and after.
    support: full
notes:
  - Needs root and either the C(ryzen_smu) kernel module (0.1.7 or newer, knowing the CPU's PM table) or C(/dev/mem)
    access (C(iomem=relaxed) on kernels with STRICT_DEVMEM). The module fails with RyzenAdj's own message otherwise.
  - When the power metric table cannot be read (RyzenAdj prints C(Unable to init power metric table)), limits can still
    be set but not compared; they are written on every run with a warning, and reported with C(effective=null).
  - Persistence uses one unit wanted by C(multi-user.target) and the sleep targets and ordered after them rather than a
    C(/usr/lib/systemd/system-sleep/) hook; see docs/ryzenadj.md.
seealso:
  - module: inferops.amd.hardware_facts
"""

EXAMPLES = r"""
- name: HP ZBook Ultra G1a settings from the strix-halo-optimizations log (slow PPT will read back 70 W)
  inferops.amd.ryzenadj:
    stapm_limit: 85
    fast_limit: 85
    slow_limit: 85
    apu_slow_limit: 85

- name: Fail if the firmware does not take the limits exactly
  inferops.amd.ryzenadj:
    stapm_limit: 70
    slow_limit: 70
    allow_clamped: false

- name: Try 100 W until the next reboot or suspend only
  inferops.amd.ryzenadj:
    stapm_limit: 100
    fast_limit: 100
    persist: false

- name: Stop re-applying limits at boot and resume (removes the unit)
  inferops.amd.ryzenadj:
    persist: false
"""

RETURN = r"""
limits:
  description: One entry per requested limit, keyed by option name.
  returned: always
  type: dict
  sample:
    slow_limit: {parameter: slow-limit, unit: W, requested: 85.0, requested_tool_value: 85000, before: 70.0,
                 effective: 70.0, written: true, changed: false, clamped: true}
  contains:
    parameter:
      description: The ryzenadj option and C(--info) parameter name.
      type: str
    unit:
      description: C(W) or C(C).
      type: str
    requested:
      description: The requested value (watts or degrees C).
      type: float
    requested_tool_value:
      description: The value passed to ryzenadj (milliwatts or degrees C).
      type: int
    before:
      description: Value read before the run; null when the table does not show it.
      type: float
    effective:
      description: Value read back after writing (predicted in check mode); null when unreadable.
      type: float
    written:
      description: Whether the limit was passed to ryzenadj (would be, in check mode).
      type: bool
    changed:
      description: Whether the read-back value moved; null when it cannot be read.
      type: bool
    clamped:
      description: Whether the firmware kept another value than requested; null when it cannot be read.
      type: bool
clamped:
  description: Option names of the limits the firmware clamped.
  returned: always
  type: list
  elements: str
  sample: [slow_limit, apu_slow_limit]
unreadable:
  description: Option names of the requested limits C(ryzenadj --info) does not show (written on every run, unverified).
  returned: always
  type: list
  elements: str
  sample: []
table_error:
  description: RyzenAdj's own words when it could not read its power metric table, else null.
  returned: always
  type: str
  sample: "refresh_table failed / Unable to init power metric table: -5, this does not affect adjustments because it is only needed for monitoring."
command:
  description: The ryzenadj argv that set the limits (that would, in check mode); empty when nothing needed writing.
  returned: always
  type: list
  elements: str
  sample: [/usr/bin/ryzenadj, --stapm-limit=85000, --slow-limit=85000]
ryzenadj:
  description: Header of C(ryzenadj --info).
  returned: always
  type: dict
  sample: {family: Strix Halo, smu_bios_interface_version: 25, version: v0.17.0, pm_table_version: 64020c}
unit_file:
  description: Machine path of the persistence unit.
  returned: always
  type: str
  sample: /etc/systemd/system/inferops-ryzenadj.service
unit_changed:
  description: Whether the unit file was written or removed, or its enablement changed.
  returned: always
  type: bool
unit_present:
  description: Whether the unit file exists after the run (predicted in check mode).
  returned: always
  type: bool
unit_enabled:
  description: Whether the unit is enabled after the run (predicted in check mode).
  returned: always
  type: bool
daemon_reload_performed:
  description: Whether C(systemctl daemon-reload) ran.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.inferops.amd.plugins.module_utils._ryzenadj import info as ryzenadj_info
from ansible_collections.inferops.amd.plugins.module_utils._ryzenadj import limits as ryzenadj_limits
from ansible_collections.inferops.amd.plugins.module_utils._ryzenadj import tool as ryzenadj_tool
from ansible_collections.inferops.amd.plugins.module_utils._ryzenadj import unit as ryzenadj_unit
from ansible_collections.inferops.amd.plugins.module_utils._systemd import units as systemd_unit
from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import TOOL_FOLDERS, CommandError
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import module_sysroot, with_sysroot_option


class Run:
    """One run's inputs and what it found: the requested limits, the tool, its table, the plans."""

    def __init__(self, module, root):
        self.module = module
        self.root = root
        self.params = module.params
        self.requested = self._requested()
        self.tool = self._find_tool() if self.requested else None
        self.info = None
        self.plans = []
        if self.requested:
            try:
                self.info = ryzenadj_tool.read_info(root, module.run_command, self.tool)
            except ryzenadj_info.RyzenAdjToolError as exc:
                module.fail_json(msg=str(exc), failure=exc.kind)
            except CommandError as exc:  # a tree's ryzenadj does not run (a tree is data)
                module.fail_json(msg=str(exc))
            recorded = root.read_text(ryzenadj_unit.UNIT_FILE) if self.params["persist"] else None
            self.plans = ryzenadj_limits.plan_limits(self.requested, self.info, ryzenadj_unit.known_caps(recorded))
        self.unreadable = [p.spec.option for p in self.plans if not p.readable]
        self.before_text = ryzenadj_limits.describe(self.plans, "before")
        self.flags = ryzenadj_limits.write_flags(self.plans)
        self.command = [self.tool] + self.flags if self.flags else []
        ryzenadj_limits.predict(self.plans)  # check mode keeps this; a real run replaces it with the read-back
        self.unit = ryzenadj_unit.UnitPlan(root, self.unit_content())

    def _requested(self):
        try:
            requested = ryzenadj_limits.requested_limits(self.params)
        except ryzenadj_limits.LimitError as exc:
            self.module.fail_json(msg=str(exc))
        if self.params["persist"] and not requested:
            self.module.fail_json(msg="nothing to set: give at least one of %s (or persist=false to remove the unit %s)"
                                  % (", ".join(ryzenadj_limits.LIMIT_OPTIONS), ryzenadj_unit.UNIT_FILE))
        return requested

    def _find_tool(self):
        tool = self.root.find_tool("ryzenadj")
        if tool is None:
            self.module.fail_json(msg="ryzenadj not found in %s (looked in %s): install RyzenAdj "
                                      "(https://github.com/FlyGoat/RyzenAdj, 0.17.0 or newer for Strix Halo)"
                                      % (self.root.root, ", ".join(TOOL_FOLDERS)))
        return tool

    def unit_content(self):
        """The unit for the request, recording what the firmware kept (read back, or predicted so far)."""
        if not self.params["persist"]:
            return None
        return ryzenadj_unit.render(self.root.machine_path(self.tool), ryzenadj_limits.all_flags(self.requested),
                                    ryzenadj_limits.kept_by_firmware(self.plans))

    def validate(self):
        if self.unreadable:
            self.module.warn("ryzenadj --info does not show %s (%s), so they are written on every run and cannot be "
                             "verified" % (", ".join(self.unreadable), self.info.table_error or "nan or no such row"))
        if self.unit.changed and systemd_unit.find_systemctl(self.root) is None:
            self.module.fail_json(msg="systemctl not found in %s: cannot %s the unit %s (use persist=false to set "
                                      "limits until the next reboot only)" % (
                                          self.root.root, "enable" if self.unit.content else "disable",
                                          ryzenadj_unit.UNIT_FILE))

    def apply(self):
        """Write the limits, read them back, then the unit; return whether daemon-reload ran."""
        module, plans = self.module, self.plans
        try:
            after = self.info
            if self.flags:
                after = ryzenadj_tool.apply_limits(self.root, module.run_command, self.tool, self.flags)
        except ryzenadj_info.RyzenAdjToolError as exc:
            # ryzenadj sets each limit it can before it exits non-zero for one it cannot.
            module.fail_json(msg=str(exc), failure=exc.kind, command=self.command, changed=self.changed_by_failure())
        ryzenadj_limits.read_back(plans, after)
        self.unit.content = self.unit_content()
        if any(p.clamped for p in plans) and not self.params["allow_clamped"]:
            module.fail_json(msg="the firmware clamped %s (allow_clamped=false; the limits are written, the unit is "
                                 "not)" % ryzenadj_limits.clamp_summary(plans),
                             limits=self.limits(), command=self.command, changed=self.limits_changed())
        try:
            return ryzenadj_unit.apply_unit(self.root, module.run_command, self.unit)
        except (systemd_unit.SystemdUnitError, IOError, OSError) as exc:
            module.fail_json(msg="the limits are set but the persistence unit is not: %s" % exc,
                             limits=self.limits(), changed=True)

    def changed_by_failure(self):
        """After a failed write: whether the limits read back differ from before (true when unreadable)."""
        try:
            ryzenadj_limits.read_back(self.plans, ryzenadj_tool.read_info(self.root, self.module.run_command, self.tool))
        except ryzenadj_info.RyzenAdjToolError:
            return True
        return self.limits_changed()

    def limits(self):
        return dict((p.spec.option, p.as_dict()) for p in self.plans)

    def limits_changed(self):
        return any(p.changed if (p.after is not None or p.before is not None) else p.needs_write for p in self.plans)

    def result(self, reloaded):
        plans, unit = self.plans, self.unit
        result = dict(
            changed=self.limits_changed() or unit.changed,
            limits=self.limits(),
            clamped=[p.spec.option for p in plans if p.clamped],
            unreadable=self.unreadable,
            table_error=self.info.table_error if self.info else None,
            command=self.command,
            ryzenadj=self.info.header() if self.info else {},
            unit_file=ryzenadj_unit.UNIT_FILE,
            unit_changed=unit.changed,
            unit_present=unit.content is not None,
            unit_enabled=unit.content is not None,
            daemon_reload_performed=reloaded,
        )
        if self.module._diff:
            result["diff"] = [
                {"before_header": "RyzenAdj limits", "after_header": "RyzenAdj limits",
                 "before": self.before_text, "after": ryzenadj_limits.describe(plans, "after")},
                unit.diff(),
            ]
        return result


def run(module, root):
    state = Run(module, root)
    state.validate()
    reloaded = False if module.check_mode else state.apply()
    if any(p.clamped for p in state.plans):
        module.warn("the firmware clamped %s (vendor caps are common: the HP ZBook Ultra G1a keeps slow PPT at 70 W, "
                    "the strix-halo-optimizations log); the unit keeps asking for the requested values"
                    % ryzenadj_limits.clamp_summary(state.plans))
    return state.result(reloaded)


def main():
    module = AnsibleModule(
        argument_spec=with_sysroot_option(dict(
            stapm_limit=dict(type="float"),
            fast_limit=dict(type="float"),
            slow_limit=dict(type="float"),
            apu_slow_limit=dict(type="float"),
            tctl_temp=dict(type="int"),
            persist=dict(type="bool", default=True),
            allow_clamped=dict(type="bool", default=True),
        )),
        supports_check_mode=True,
    )
    root = module_sysroot(module)
    module.exit_json(**run(module, root))


if __name__ == "__main__":
    main()
