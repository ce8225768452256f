# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The systemd unit that re-applies RyzenAdj limits at boot and after every resume.

SMU limits are volatile: they are lost at reboot and at suspend/resume
(the strix-halo-optimizations log).  One ``Type=oneshot`` unit covers both:

* ``WantedBy=multi-user.target`` runs it at boot;
* ``WantedBy=`` the four sleep targets pulls it into every suspend or
  hibernate transaction, and ``After=`` the same targets orders it after
  them.  A sleep target is reached only once ``systemd-suspend.service``
  (or its hibernate sibling) has returned, that is after the machine woke
  up (units/suspend.target: ``After=systemd-suspend.service``), so the job
  runs right after resume.  NVIDIA's ``nvidia-resume.service`` hooks resume
  the same way.
* No ``RemainAfterExit=``: the unit goes back to inactive after each run,
  so the next resume can start it again.

A ``/usr/lib/systemd/system-sleep/`` hook would also work, but
systemd-suspend.service(8) calls those "hacks" for local use, and it would
be a second artefact next to the boot unit.

The unit also records, in a comment, what the firmware kept when it
clamped a request (``# Firmware kept: slow-limit=70000``).  The module reads
it back so that a limit sitting at its known cap counts as applied: a
second run, and a check-mode verification after a reboot, then find
nothing to do, while the unit still asks for the requested value.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.inferops.amd.plugins.module_utils._systemd import units as systemd_unit

UNIT_NAME = "inferops-ryzenadj.service"
UNIT_FILE = systemd_unit.unit_path(UNIT_NAME)
SLEEP_TARGETS = ("suspend.target", "hibernate.target", "hybrid-sleep.target", "suspend-then-hibernate.target")
WANTED_BY = ("multi-user.target",) + SLEEP_TARGETS
HEADER = "Managed by Ansible (inferops.amd.ryzenadj); local changes are overwritten."
KEPT_PREFIX = "Firmware kept: "
_FLAG = re.compile(r"^--([a-z-]+)=(\d+)$")


def render(executable, flags, kept=None):
    """Unit text running ``executable flags...`` (``executable`` is a machine path).

    ``kept`` is ``{parameter: tool value}`` of the limits the firmware clamped.
    """
    comment = HEADER
    if kept:
        comment += "\n%s%s" % (KEPT_PREFIX, " ".join("%s=%d" % (k, kept[k]) for k in sorted(kept)))
    return systemd_unit.render_unit([
        ("Unit", [
            ("Description", "Apply RyzenAdj power limits (at boot and after resume)"),
            ("Documentation", "https://github.com/FlyGoat/RyzenAdj"),
            # ryzenadj picks ryzen_smu when its sysfs folder exists, so load modules first.
            ("After", "systemd-modules-load.service"),
            ("After", " ".join(SLEEP_TARGETS)),
        ]),
        ("Service", [
            ("Type", "oneshot"),
            ("ExecStart", systemd_unit.quote_exec_argv([executable] + list(flags))),
        ]),
        ("Install", [
            ("WantedBy", " ".join(WANTED_BY)),
        ]),
    ], comment=comment)


def is_enabled(root):
    return systemd_unit.is_enabled(root, UNIT_NAME, WANTED_BY)


def exec_flags(text):
    """``{parameter: value}`` of the ``--name=value`` words of the unit's ExecStart."""
    for line in (text or "").splitlines():
        if line.startswith("ExecStart="):
            words = systemd_unit.split_exec_argv(line[len("ExecStart="):])
            return dict((m.group(1), int(m.group(2))) for m in map(_FLAG.match, words[1:]) if m)
    return {}


def kept_values(text):
    """``{parameter: tool value}`` the firmware kept, as recorded in the unit's comment."""
    for line in (text or "").splitlines():
        if line.startswith("# " + KEPT_PREFIX):
            pairs = (word.split("=", 1) for word in line[len("# " + KEPT_PREFIX):].split())
            return dict((name, int(value)) for name, value in pairs if value.isdigit())
    return {}


def known_caps(text):
    """``{parameter: (asked, kept)}`` tool values: what the unit asks and what the firmware kept of it."""
    flags = exec_flags(text)
    return dict((name, (flags[name], value)) for name, value in kept_values(text).items() if name in flags)


class UnitPlan:
    """What the persistence unit is (read from the root) and should be (``content``, None for no unit)."""

    def __init__(self, root, content):
        self.before = root.read_text(UNIT_FILE) if root.exists(UNIT_FILE) else None
        self.content = content
        self.enabled_before = is_enabled(root)

    @property
    def write(self):
        return self.content is not None and self.content != self.before

    @property
    def enable(self):
        return self.content is not None and self.enabled_before is not True

    @property
    def disable(self):
        return self.content is None and self.enabled_before is not False

    @property
    def remove(self):
        return self.content is None and self.before is not None

    @property
    def changed(self):
        return self.write or self.enable or self.disable or self.remove

    def diff(self):
        return {"before_header": UNIT_FILE if self.before is not None else "%s (absent)" % UNIT_FILE,
                "after_header": UNIT_FILE if self.content is not None else "%s (absent)" % UNIT_FILE,
                "before": self.before or "", "after": self.content or ""}


def apply_unit(root, run_command, unit):
    """Write and enable, or disable and remove, the unit as ``unit`` (a UnitPlan) says; return whether
    daemon-reload ran."""
    reloaded = False
    if unit.disable and unit.before is None:
        # systemctl cannot disable a unit whose file is gone; its links are all that is left.
        for link in systemd_unit.wants_links(UNIT_NAME, WANTED_BY):
            root.remove(link)
    elif unit.disable:
        systemd_unit.systemctl(root, run_command, ["disable", UNIT_NAME])
    if unit.remove:
        root.remove(UNIT_FILE)
    if unit.write:
        root.write_config(UNIT_FILE, unit.content, mode=0o644)
    if unit.write or unit.remove:
        systemd_unit.systemctl(root, run_command, ["daemon-reload"])
        reloaded = True
    if unit.enable:
        systemd_unit.systemctl(root, run_command, ["enable", UNIT_NAME])
    return reloaded
