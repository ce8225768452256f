# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fleet_report_render
short_description: The run report as a compact table or as Markdown
version_added: 0.1.0
description:
  - C(table) gives one line per host (class, status, reboot, changes or drift) and one more for its warnings,
    which fits one screen for ten hosts.
  - C(markdown) gives report.md, the same table followed by every knob of every host with its reason.
  - C(problems) gives the hosts an audit fails for (drifted, failed, not checked).
author:
  - inferops.amd contributors (@inferops)
positional: format
options:
  _input:
    description: A report from P(inferops.amd.fleet_report#filter).
    type: dict
    required: true
  format:
    description: The rendering.
    type: str
    default: table
    choices: [table, markdown, problems]
"""

EXAMPLES = r"""
- name: Show the report
  ansible.builtin.debug:
    msg: "{{ (report | inferops.amd.fleet_report_render('table')).splitlines() }}"
"""

RETURN = r"""
_value:
  description: The text (C(table), C(markdown)) or the list of host names (C(problems)).
  type: raw
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.inferops.amd.plugins.plugin_utils import fleet_report


def fleet_report_render(report, format="table"):
    renderings = {"table": fleet_report.table, "markdown": fleet_report.markdown,
                  "problems": fleet_report.problem_hosts}
    if format not in renderings:
        raise AnsibleFilterError("format '%s' is not one of %s" % (format, ", ".join(sorted(renderings))))
    return renderings[format](report)


class FilterModule(object):
    def filters(self):
        return {"fleet_report_render": fleet_report_render}
