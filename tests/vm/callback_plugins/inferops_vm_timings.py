# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report how long each reboot took, for the cost table tests/vm/run.sh prints."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: inferops_vm_timings
type: aggregate
short_description: Append reboot durations to $INFEROPS_VM_TIMINGS
description:
  - For tests/vm/run.sh only. Each successful reboot task appends C(<molecule scenario>:reboot <seconds>) (the
    module's own C(elapsed)) to the file named by the environment variable INFEROPS_VM_TIMINGS.
requirements:
  - enable in ANSIBLE_CALLBACKS_ENABLED
"""

REBOOT_ACTIONS = ("reboot", "ansible.builtin.reboot", "ansible.legacy.reboot")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "inferops_vm_timings"
    CALLBACK_NEEDS_ENABLED = True

    def v2_runner_on_ok(self, result):
        path = os.environ.get("INFEROPS_VM_TIMINGS")
        if not path or result._task.action not in REBOOT_ACTIONS:
            return
        elapsed = result._result.get("elapsed")
        if elapsed is not None:
            with open(path, "a") as handle:
                scenario = os.environ.get("MOLECULE_SCENARIO_NAME", "")
                handle.write("%s:reboot %s\n" % (scenario, elapsed))
