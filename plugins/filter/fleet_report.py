# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fleet_report
short_description: The run report of every host of a play, reachable or not
version_added: 0.1.0
description:
  - Reads, for each host named, what this run did to it, in C(hostvars) - the class the facts play grouped it
    by (C(inferops_rdna4_discrete), C(inferops_strix_halo) or C(inferops_none) in its C(group_names)), the roles'
    published C(rdna4_report), C(strix_halo_report) and C(ollama_report), the C(inferops_failure) recorded when a
    task failed, whether hardware facts were gathered (and from which root, C(ansible_facts.inferops_amd.sysroot))
    and the run reached its end, the reboot decision C(inferops_reboot_decision), C(inferops_rebooted),
    C(inferops_reboot_held) and C(inferops_benchmark_result) - and returns the report documented in
    docs/report.md.
  - It reads no input value (such as C(inferops_reboot_allowed)); those may be play variables, which C(hostvars)
    does not hold.
  - A host with a recorded failure is C(failed); one never reached, or lost during the run without a recorded
    failure, is C(unreachable).
  - Render it with P(inferops.amd.fleet_report_render#filter).
author:
  - inferops.amd contributors (@inferops)
positional: hosts, mode, check_mode
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: Every host of the play (C(ansible_play_hosts_all) recorded at its start).
    type: list
    elements: str
    required: true
  mode:
    description: C(site) (a run that changes hosts) or C(audit) (drift check, adds C(drift) per host).
    type: str
    default: site
    choices: [site, audit]
  check_mode:
    description: Whether the run was in check mode.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Build the report
  ansible.builtin.set_fact:
    report: "{{ hostvars | inferops.amd.fleet_report(inferops_report_hosts, 'site', ansible_check_mode) }}"
"""

RETURN = r"""
_value:
  description: C({"schema", "mode", "check_mode", "summary", "hosts"}); see docs/report.md.
  type: dict
"""

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.inferops.amd.plugins.plugin_utils.fleet_report import fleet_report as build_report

COPIED = {"rdna4_report": "rdna4_report", "strix_halo_report": "strix_halo_report", "ollama_report": "ollama_report",
          "failure": "inferops_failure", "completed": "inferops_run_completed", "rebooted": "inferops_rebooted", "held": "inferops_reboot_held",
          "benchmark": "inferops_benchmark_result"}
# The groups of the facts play's "Group the host by its class" (playbooks/plays/facts.yml).
CLASS_GROUPS = {"inferops_rdna4_discrete": "rdna4_discrete", "inferops_strix_halo": "strix_halo", "inferops_none": "none"}


def _get(variables, name):
    try:
        return variables.get(name)
    except Exception:  # a value that does not template is reported as absent, not a crash
        return None


def host_facts(variables):
    facts = dict((key, _get(variables, name)) for key, name in COPIED.items())
    amd = _get(variables, "ansible_facts") or {}
    amd = amd.get("inferops_amd") or {}
    facts["reached"] = bool(amd)
    classes = [CLASS_GROUPS[group] for group in (_get(variables, "group_names") or []) if group in CLASS_GROUPS]
    facts["class"] = classes[0] if classes else None
    # The root the facts were read from: a benchmark on a tree (not "/") measured no running machine.
    facts["sysroot"] = amd.get("sysroot")
    # What the serving stack needs and the host lacks (hardware_facts' readiness).
    facts["not_ready"] = list((amd.get("readiness") or {}).get("missing") or [])
    # None where the run made no decision (the host failed before it).
    decision = _get(variables, "inferops_reboot_decision")
    try:
        facts["reboot_allowed"] = boolean(decision["allowed"], strict=False) if isinstance(decision, dict) else None
    except (KeyError, TypeError):
        facts["reboot_allowed"] = None
    return facts


def fleet_report(hostvars, hosts, mode="site", check_mode=False):
    return build_report(dict((name, host_facts(hostvars[name])) for name in hosts), mode, bool(check_mode))


class FilterModule(object):
    def filters(self):
        return {"fleet_report": fleet_report}
