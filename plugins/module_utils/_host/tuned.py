# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tuned profile a machine has selected, and whether the daemon runs it, read from files.

This is what ``tuned-adm active`` reads when it does not ask the daemon over D-Bus
(tuned/admin/admin.py ``_action_active``, tuned 2.26): the profile from
``/etc/tuned/active_profile`` (tuned/utils/commands.py ``get_active_profile``, stripped, empty
meaning none), and whether the daemon runs from its PID file ``/run/tuned/tuned.pid``
(consts.PID_FILE; tuned.py always writes it, tuned.service names it) through ``os.kill(pid, 0)``,
EPERM counting as running (admin.py ``_tuned_is_running``). When the daemon does not run the
profile is only a preset ("It seems that tuned daemon is not running, preset profile is not
activated."), and ``tuned-adm profile NAME`` starts it (admin.py ``_set_profile`` restarts tuned).

Read by the ``tuned_profile`` module before it decides whether to run ``tuned-adm profile NAME``
(:func:`switch`, through the command runner), and reported by ``hardware_facts``. A tree records no
processes: there the PID file's presence stands for a running daemon (the tree's own tuned-adm, where
it may run, writes it when it starts the daemon).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re

ACTIVE_PROFILE_FILE = "/etc/tuned/active_profile"
PID_FILE = "/run/tuned/tuned.pid"
TUNED_ADM = "tuned-adm"
# One profile, named as tuned's profile folders are (/usr/lib/tuned/<name>, /etc/tuned/<name>): letters,
# digits, '_', '.', '-', not starting with '-' or '.' (tuned-adm would read an option, or a hidden folder).
PROFILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}\Z")


class TunedError(Exception):
    """A value that is no tuned profile name."""


def check_profile(name):
    """``name`` when it names one profile; TunedError naming the value and what is allowed otherwise."""
    if not isinstance(name, str) or not PROFILE_NAME.match(name):
        raise TunedError(
            "profile %r is no tuned profile name: one name of letters, digits, '_', '.' and '-', not starting with "
            "'-' or '.', at most 255 characters (for example accelerator-performance)" % (name,))
    return name


def _process_exists(pid_text):
    try:
        os.kill(int(pid_text), 0)
    except ValueError:
        return False
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


def read(root):
    """{"profile": the selected profile or None, "running": whether the daemon runs}."""
    profile = (root.read_text(ACTIVE_PROFILE_FILE, default="") or "").strip() or None
    pid_text = root.read_text(PID_FILE, default=None)
    if pid_text is None:
        running = False
    elif root.is_live:
        running = _process_exists(pid_text.strip())
    else:
        running = True
    return {"profile": profile, "running": running}


def describe(state):
    """A state as tuned-adm would call it: ``balanced``, ``balanced (preset, tuned not running)``, ``none``."""
    if state["profile"] is None:
        return "none"
    return state["profile"] + ("" if state["running"] else " (preset, tuned not running)")


def needs_switch(state, profile):
    """Whether ``tuned-adm profile PROFILE`` has something to do: another profile, or the daemon not running it."""
    return state["profile"] != profile or not state["running"]


def switch(runner, profile):
    """Run ``tuned-adm profile PROFILE`` (the root's own, C locale); CommandError when refused, missing or failing."""
    runner.run([TUNED_ADM, "profile", check_profile(profile)])
