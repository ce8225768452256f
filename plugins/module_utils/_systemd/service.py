# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One service of one root: read its state with ``systemctl show``, plan and run the verbs that change it.

The module ``inferops.amd.systemd_service`` is a thin layer over this file:

* :func:`check_name` refuses what is not a unit name before anything runs;
* :func:`service_manager` says whether the root has a service manager to ask: ``/`` runs the host's
  ``systemctl``; a tree runs its own ``systemctl`` only when the controller set ``INFEROPS_SIMULATION=1``
  (the command runner enforces it) and the tree has one; any other tree is data, with no running services;
* :func:`plan` turns the unit's ``systemctl show`` properties and what the task asks into the ``systemctl``
  verbs, in order, or the reason none can;
* :class:`Systemctl` runs them through the :class:`CommandRunner` (C locale, the root's own tool).

Every state name below is systemd's own (unit_file_state_table in src/shared/install.c,
unit_active_state_table in src/basic/unit-def.c), as ``systemctl show`` prints them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandError, CommandRunner
from ansible_collections.inferops.amd.plugins.module_utils._systemd.units import (
    ENABLE_FILE_STATES, RUNNING_ACTIVE_STATES, SHOW_PROPERTIES, parse_show)

STATES = ("started", "stopped", "restarted", "reloaded")
# unit_name_is_valid() in src/basic/unit-name.c: at most UNIT_NAME_MAX (255) characters of VALID_CHARS_WITH_AT
# (letters, digits, ":-_.\\@"); systemctl adds ".service" to a name without a type suffix.
UNIT_NAME = re.compile(r"^[A-Za-z0-9:_.\\@-]+$")
UNIT_NAME_MAX = 255
# Unit file states `systemctl is-enabled` answers with exit 0 (verb_is_enabled() in
# src/systemctl/systemctl-is-enabled.c): the unit starts at boot, or needs no links to.
ENABLED_FILE_STATES = frozenset(("enabled", "enabled-runtime", "static", "alias", "indirect", "generated",
                                 "transient"))
# The states `systemctl disable` removes links in.
DISABLE_FILE_STATES = frozenset(("enabled", "enabled-runtime"))

NO_SERVICES = ("sysroot %s is a tree, and a tree has no running services: %s; nothing was started, stopped, "
               "enabled or reloaded")


class ServiceError(Exception):
    """A unit that cannot be brought to the asked state, or a systemctl that failed."""


def unit_name(name):
    """``name`` with ``.service`` added when it has no type suffix, as systemctl does."""
    return name if "." in name else name + ".service"


def check_name(name):
    """The unit name for ``name``; ServiceError naming it and what is allowed when it is no unit name."""
    if not name or name.startswith("-") or len(name) > UNIT_NAME_MAX or not UNIT_NAME.match(name):
        raise ServiceError(
            "name '%s' is not a systemd unit name: use letters, digits and ':-_.\\@', at most %d characters, "
            "not starting with '-' (for example ollama or llama-server.service)" % (name, UNIT_NAME_MAX))
    return unit_name(name)


def service_manager(root, runner):
    """(systemctl path, None) when ``root`` has a service manager to ask, else (None, why not).

    On ``/`` a missing systemctl is an error of the host (raised as ServiceError); on a tree it is one more
    reason the tree has no running services.
    """
    if not root.is_live and not root.may_run_tree_code:
        return None, "its tools do not run unless the controller sets INFEROPS_SIMULATION=1"
    tool = runner.find("systemctl")
    if tool is not None:
        return tool, None
    if root.is_live:
        raise ServiceError("systemctl is not installed on this host: it has no systemd to manage services")
    return None, "it has no systemctl"


def is_running(properties):
    return properties.get("ActiveState", "") in RUNNING_ACTIVE_STATES


def is_enabled(properties):
    """True when the unit file state is one ``systemctl is-enabled`` answers with exit 0."""
    return properties.get("UnitFileState", "") in ENABLED_FILE_STATES


def _refusal(unit, properties, wants_run, wants_enabled):
    """Why ``unit`` cannot be started or enabled as asked, or None."""
    if not (wants_run or wants_enabled):
        return None
    load_state = properties.get("LoadState", "")
    file_state = properties.get("UnitFileState", "")
    if load_state == "not-found":
        return "%s is not installed (systemctl show: LoadState=not-found); check the name" % unit
    if load_state == "masked" or file_state.startswith("masked"):
        return "%s is masked; unmask it (systemctl unmask %s) to let it run" % (unit, unit)
    if file_state == "bad" or load_state in ("bad-setting", "error"):
        return "systemd cannot load %s (systemctl show: LoadState=%s, UnitFileState=%s)" % (
            unit, load_state, file_state)
    return None


def is_missing(properties):
    return properties.get("LoadState", "") == "not-found"


def plan(unit, properties, state=None, enabled=None, check_mode=False):
    """The ``systemctl`` verbs (in order, each ``[verb, unit]``) that bring ``unit`` to ``state`` and ``enabled``.

    ``state``: None or one of :data:`STATES`; ``enabled``: None, True or False. Raises ServiceError when the
    unit cannot be started or enabled (unknown, masked, unreadable). ``restarted`` always restarts;
    ``reloaded`` reloads a running unit and starts one that is not running.

    In check mode a unit that is not installed is planned as a disabled, stopped one: the task that would
    write its file ran in check mode too, so the file is not there yet.
    """
    if state is not None and state not in STATES:
        raise ServiceError("state '%s' is not one of %s" % (state, ", ".join(STATES)))
    if check_mode and is_missing(properties):
        properties = dict(properties, LoadState="loaded", UnitFileState="disabled")
    problem = _refusal(unit, properties, state in ("started", "restarted", "reloaded"), enabled is True)
    if problem:
        raise ServiceError(problem)
    file_state = properties.get("UnitFileState", "")
    verbs = []
    if enabled is True and file_state in ENABLE_FILE_STATES:
        verbs.append("enable")
    elif enabled is False and file_state in DISABLE_FILE_STATES:
        verbs.append("disable")
    running = is_running(properties)
    if state == "started" and not running:
        verbs.append("start")
    elif state == "stopped" and running:
        verbs.append("stop")
    elif state == "restarted":
        verbs.append("restart")
    elif state == "reloaded":
        verbs.append("reload" if running else "start")
    return [[verb, unit] for verb in verbs]


def predicted(properties, actions):
    """``(active, enabled)`` once ``actions`` ran on a unit with ``properties`` (for check mode)."""
    active, enabled = is_running(properties), is_enabled(properties)
    for verb, _unit in actions:
        if verb in ("start", "restart", "reload"):
            active = True
        elif verb == "stop":
            active = False
        elif verb == "enable":
            enabled = True
        elif verb == "disable":
            enabled = False
    return active, enabled


class Systemctl:
    """The root's systemctl, run through the command runner; failures are ServiceError."""

    def __init__(self, root, run_command):
        self.runner = CommandRunner(root, run_command)
        self.tool = None

    def available(self):
        """None when the root has a systemctl to run, else why it has no running services."""
        self.tool, why_not = service_manager(self.runner.root, self.runner)
        return why_not

    def run(self, args):
        try:
            return self.runner.run([self.tool] + list(args))[1]
        except CommandError as exc:
            raise ServiceError(str(exc))

    def show(self, unit):
        """``{property: value}`` of :data:`SHOW_PROPERTIES` for ``unit``."""
        return parse_show(self.run(["show", unit, "--property=%s" % ",".join(SHOW_PROPERTIES)]))
