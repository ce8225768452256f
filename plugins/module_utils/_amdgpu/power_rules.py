# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The udev rules file that brings amdgpu power settings back after a reboot.

One file, ``/etc/udev/rules.d/90-inferops-amdgpu-power.rules``, holds the
settings of every card, keyed on the PCI address (``cardN`` numbers follow
probe order and are not stable).  Per card:

* a rule on the card's DRM device (``SUBSYSTEM=="drm"``, a ``cardN`` minor
  below ``KERNELS=="<BDF>"`` bound to amdgpu) writes
  ``device/power_dpm_force_performance_level`` and then
  ``device/pp_power_profile_mode``.  The DRM device is created by amdgpu
  after its power attributes exist, whereas the PCI device's own ``add``
  event comes before the driver binds, when the attributes are not there;
* a rule on the card's hwmon device writes ``power1_cap`` (the ``hwmonM``
  number is not stable either, so the hwmon device is matched, not a path).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.inferops.amd.plugins.module_utils._systemd import udev_rules
from ansible_collections.inferops.amd.plugins.module_utils._amdgpu.power import CAP_ATTR, LEVEL_ATTR, PROFILE_ATTR

RULES_FILE = udev_rules.rules_path("90-inferops-amdgpu-power.rules")
HEADER = (
    "Managed by inferops.amd.amdgpu_power; edits are overwritten.",
    "Re-applies amdgpu power settings when a card appears (boot, driver reload),",
    "keyed on the PCI address because cardN numbers change between boots.",
)
SETTING_KEYS = ("performance_level", "power_profile_index", "power_cap_microwatts")


def _drm_rule(bdf, setting):
    attributes = []
    if "performance_level" in setting:
        attributes.append(("device/" + LEVEL_ATTR, setting["performance_level"]))
    if "power_profile_index" in setting:
        attributes.append(("device/" + PROFILE_ATTR, str(setting["power_profile_index"])))
    if not attributes:
        return None
    return udev_rules.attribute_rule(
        [("ACTION", "add"), ("SUBSYSTEM", "drm"), ("KERNEL", "card[0-9]*"), ("ENV{DEVTYPE}", "drm_minor"),
         ("KERNELS", bdf), ("DRIVERS", "amdgpu")],
        attributes, comment="%s: performance level and power profile" % bdf)


def _hwmon_rule(bdf, setting):
    if "power_cap_microwatts" not in setting:
        return None
    return udev_rules.attribute_rule(
        [("ACTION", "add"), ("SUBSYSTEM", "hwmon"), ("KERNELS", bdf), ("DRIVERS", "amdgpu")],
        [(CAP_ATTR, str(setting["power_cap_microwatts"]))], comment="%s: power cap" % bdf)


def render(settings):
    """File content for ``{bdf: setting}``; None when nothing is to be persisted."""
    rules = []
    for bdf in sorted(settings):
        rules += [rule for rule in (_drm_rule(bdf, settings[bdf]), _hwmon_rule(bdf, settings[bdf])) if rule]
    if not rules:
        return None
    return udev_rules.render_rules(HEADER, rules)


def parse(text):
    """``{bdf: setting}`` persisted in an existing file (empty for no file)."""
    settings = {}
    for rule in udev_rules.parse_rules(text):
        bdf = rule.match_value("KERNELS")
        if bdf is None:
            continue
        setting = settings.setdefault(bdf, {})
        for name, value in rule.attributes():
            if name == "device/" + LEVEL_ATTR:
                setting["performance_level"] = value
            elif name == "device/" + PROFILE_ATTR and value.isdigit():
                setting["power_profile_index"] = int(value)
            elif name == CAP_ATTR and value.isdigit():
                setting["power_cap_microwatts"] = int(value)
    return settings


def merge(settings, bdf, persisted):
    """``settings`` with ``persisted`` laid over the card's earlier settings."""
    merged = dict((key, dict(value)) for key, value in settings.items())
    merged.setdefault(bdf, {}).update(persisted)
    return merged


def without(settings, bdf):
    """``settings`` with nothing persisted for ``bdf``."""
    return dict((key, dict(value)) for key, value in settings.items() if key != bdf)
