# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running the ryzenadj tool: read its table, write limits and read them back.

Every run goes through the command runner (C locale; a tree's ryzenadj runs
only where the controller switched the simulation on).  What the output means
is ryzenadj_info's business; which flags to write is ryzenadj_limits'.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.inferops.amd.plugins.module_utils._ryzenadj import info as ryzenadj_info
from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandRunner


def read_info(root, run_command, tool):
    """``ryzenadj --info`` parsed; RyzenAdjToolError when the tool failed or printed no table."""
    rc, out, err = CommandRunner(root, run_command).run([tool, "--info"], check=False)
    if rc != 0:
        # An unreadable PM table alone makes main.c exit non-zero; the header still says what the tool found.
        info = ryzenadj_info.info_despite_exit_status(rc, out)
        if info is not None:
            return info
        raise ryzenadj_info.classify_failure(rc, "\n".join((out or "", err or "")))
    try:
        return ryzenadj_info.parse_info(out)
    except ryzenadj_info.RyzenAdjInfoError as exc:
        raise ryzenadj_info.RyzenAdjToolError("tool", "cannot parse '%s --info': %s" % (tool, exc))


def apply_limits(root, run_command, tool, flags):
    """Write the limit flags, then read the table back."""
    rc, out, err = CommandRunner(root, run_command).run([tool] + list(flags), check=False)
    if rc != 0:
        raise ryzenadj_info.classify_failure(rc, "\n".join((out or "", err or "")))
    return read_info(root, run_command, tool)
