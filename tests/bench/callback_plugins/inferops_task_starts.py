# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Count task starts per host and the time each task took, and record each host's results, for tests/bench/bench_fleet.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: inferops_task_starts
type: aggregate
short_description: Write task starts, task times and each host's results to $INFEROPS_TASK_STARTS
description:
  - For tests/bench/bench_fleet.py only. At the end of a run writes a JSON object to the file named by the
    environment variable INFEROPS_TASK_STARTS, with C(starts) (the run's task starts), C(tasks) (one
    C([play, task, seconds, starts]) a task) and C(hosts) (for each host its recap, C(summary), and the
    result of each of its task starts in order, C(results), one C([play, task, status]) a start).
  - A start is one task on one host (run, skipped, failed or unreachable; a loop counts once); seconds is the
    wall time from the task's start to the next one's.
  - A status is C(ok), C(changed), C(skipped), C(failed), C(failed (ignored)) or C(unreachable).
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
        self._results = {}

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

    def _count(self, result, status):
        if self._current is not None:
            self._current[3] += 1
        # host, task and result: ansible-core 2.19 on (the _-prefixed names go in 2.23)
        self._results.setdefault(result.host.get_name(), []).append([self._play, result.task.get_name(), status])

    def v2_runner_on_ok(self, result):
        self._count(result, "changed" if result.result.get("changed") else "ok")

    def v2_runner_on_skipped(self, result):
        self._count(result, "skipped")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result, "failed (ignored)" if ignore_errors else "failed")

    def v2_runner_on_unreachable(self, result):
        self._count(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        self._close()
        path = os.environ.get("INFEROPS_TASK_STARTS")
        if path:
            with open(path, "w") as handle:
                hosts = dict((host, {"summary": stats.summarize(host), "results": self._results.get(host, [])})
                             for host in sorted(set(stats.processed) | set(self._results)))
                json.dump({"starts": sum(task[3] for task in self._tasks), "tasks": self._tasks, "hosts": hosts},
                          handle)
