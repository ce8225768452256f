# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Count task starts per host and the time each task took, for tests/bench/bench_fleet.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: inferops_task_starts
type: aggregate
short_description: Write task starts and task times to $INFEROPS_TASK_STARTS
description:
  - For tests/bench/bench_fleet.py only. At the end of a run writes a JSON object to the file named by the
    environment variable INFEROPS_TASK_STARTS, with C(starts) (the run's task starts) and C(tasks) (one
    C([play, task, seconds, starts]) a task).
  - A start is one task on one host (run, skipped, failed or unreachable; a loop counts once); seconds is the
    wall time from the task's start to the next one's.
requirements:
  - enable in ANSIBLE_CALLBACKS_ENABLED
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "inferops_task_starts"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._tasks = []
        self._play = ""
        self._current = None

    def _close(self):
        if self._current is not None:
            self._current[2] = round(time.perf_counter() - self._current[2], 3)
            self._tasks.append(self._current)
        self._current = None

    def v2_playbook_on_play_start(self, play):
        self._close()
        self._play = play.get_name()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self._current = [self._play, task.get_name(), time.perf_counter(), 0]

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _count(self, *args, **kwargs):
        if self._current is not None:
            self._current[3] += 1

    v2_runner_on_ok = v2_runner_on_skipped = v2_runner_on_failed = v2_runner_on_unreachable = _count

    def v2_playbook_on_stats(self, stats):
        self._close()
        path = os.environ.get("INFEROPS_TASK_STARTS")
        if path:
            with open(path, "w") as handle:
                json.dump({"starts": sum(task[3] for task in self._tasks), "tasks": self._tasks}, handle)
