# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amdgpu power settings of one card: read, plan, write, read back.

Three volatile kernel attributes, all under the card's PCI device
(``/sys/bus/pci/devices/<BDF>/``, the same folder as
``/sys/class/drm/cardN/device``):

* ``power_dpm_force_performance_level``: one word (``auto``, ``manual``, ...);
* ``pp_power_profile_mode``: the workload profile, selected by writing its
  index (parsed by :mod:`power_profile_mode`);
* ``hwmon/hwmonM/power1_cap``: board power cap in microwatts, bounded by
  ``power1_cap_min``/``power1_cap_max``.

All three reset at reboot and on driver reload.  Cards are found through
:mod:`amd_gpu` and keyed on their PCI address, because ``cardN`` numbers
follow probe order and change between boots.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno

from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import cards as amd_gpu
from ansible_collections.inferops.amd.plugins.module_utils._pci import devices as pci_devices
from ansible_collections.inferops.amd.plugins.module_utils._amdgpu.profile_table import (
    PowerProfileModeError,
    active_profile,
    parse_power_profile_mode,
    profile_index,
)
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import AttributeWriteError

LEVEL_ATTR = "power_dpm_force_performance_level"
PROFILE_ATTR = "pp_power_profile_mode"
CAP_ATTR = "power1_cap"
PERFORMANCE_LEVELS = ("auto", "low", "high", "manual", "profile_standard",
                      "profile_min_sclk", "profile_min_mclk", "profile_peak")
# The level in which every SMU generation honours a profile write: powerplay
# (pre-Navi) refuses the write outside it ("power profile setting is for
# manual dpm mode only"), and in auto the SMU's own workload heuristic runs.
PROFILE_LEVEL = "manual"
MICROWATTS_PER_WATT = 1000000

_WRITE_ERRORS = {
    errno.EBUSY: "the card is busy (it usually drives a display; switch the profile with the desktop stopped, "
                 "or use a card that does not drive a monitor)",
    errno.EINVAL: "the kernel rejected the value for this card",
    errno.EPERM: "the kernel does not permit this change (are you root? is the setting locked by the driver?)",
    errno.EACCES: "permission denied (the module must run as root)",
    errno.ENOENT: "the attribute does not exist on this card",
    errno.EOPNOTSUPP: "this card's power management does not support it",
}


class AmdgpuPowerError(Exception):
    """A request this host cannot take, or a write the kernel refused.

    ``written`` is true when some attribute was already written before the
    failure, so the caller reports a change although it fails.
    """

    def __init__(self, message, written=False):
        super(AmdgpuPowerError, self).__init__(message)
        self.written = written


def select_cards(root, selectors):
    """PCI addresses of the cards named by ``selectors`` (addresses or ``cardN``); every AMD GPU when empty."""
    gpus = amd_gpu.list_amd_gpus(root)
    if not gpus:
        raise AmdgpuPowerError("no AMD GPU (PCI vendor 0x1002, display class) found under %s" % root.root)
    if not selectors:
        return gpus
    cards = dict((amd_gpu.drm_card(root, bdf), bdf) for bdf in gpus)
    chosen = []
    for selector in selectors:
        bdf = selector if selector in gpus else cards.get(selector)
        if bdf is None:
            known = ", ".join("%s (%s)" % (b, amd_gpu.drm_card(root, b) or "no drm card") for b in gpus)
            raise AmdgpuPowerError("card '%s' is not an AMD GPU on this host; AMD GPUs: %s" % (selector, known))
        if bdf not in chosen:
            chosen.append(bdf)
    return chosen


class CardPower:
    """How one card's power attributes read right now."""

    def __init__(self, root, bdf):
        self.bdf = bdf
        self.card = amd_gpu.drm_card(root, bdf)
        self.base = pci_devices.device_path(bdf)
        self.level = root.read_value("%s/%s" % (self.base, LEVEL_ATTR))
        self.modes, self.modes_error = None, None
        text = root.read_text("%s/%s" % (self.base, PROFILE_ATTR))
        if text is None:
            # smu_v14_0_0_ppt.c (Strix Point / Strix Halo) has no get/set_power_profile_mode, so
            # amdgpu_pm.c never creates the file; elsewhere its absence means power management is off.
            self.modes_error = ("%s/%s does not exist: the kernel offers no workload profiles on this GPU "
                                "(APUs such as Strix Halo have none; otherwise amdgpu power management is not "
                                "active)" % (self.base, PROFILE_ATTR))
        else:
            try:
                self.modes = parse_power_profile_mode(text)
            except PowerProfileModeError as exc:
                self.modes_error = str(exc)
        self.hwmon = amd_gpu.hwmon_dir(root, bdf)
        cap_path = "%s/%s" % (self.hwmon, CAP_ATTR) if self.hwmon else None
        self.cap = root.read_int(cap_path) if cap_path else None
        self.cap_min = root.read_int(cap_path + "_min") if cap_path else None
        self.cap_max = root.read_int(cap_path + "_max") if cap_path else None

    @property
    def label(self):
        return "%s (%s)" % (self.card or "no drm card", self.bdf)

    @property
    def profile(self):
        return active_profile(self.modes) if self.modes else None

    def snapshot(self):
        return {
            "performance_level": self.level,
            "power_profile": self.profile,
            "power_cap_watts": _watts(self.cap),
        }


def _watts(microwatts):
    if microwatts is None:
        return None
    watts = microwatts / float(MICROWATTS_PER_WATT)
    return int(watts) if watts == int(watts) else watts


class Write:
    """One attribute write of a plan: where, what, and how to report it."""

    def __init__(self, path, value, setting, shown):
        self.path = path
        self.value = value
        self.setting = setting
        self.shown = shown

    def as_dict(self):
        return {"path": self.path, "value": self.value, "setting": self.setting}


class CardPlan:
    """The writes that take one card from ``before`` to ``after``."""

    def __init__(self, state, writes, after, persisted):
        self.state = state
        self.writes = writes
        self.after = after
        # What a boot must re-apply: attribute values, profile by index.
        self.persisted = persisted

    @property
    def changed(self):
        return bool(self.writes)


def _level_for(state, level, profile):
    """The performance level to ask for: explicit, or ``manual`` implied by a profile."""
    if level is not None:
        return level
    if profile is not None:
        return PROFILE_LEVEL
    return None


def _check_profile(state, profile):
    if state.modes is None:
        raise AmdgpuPowerError("cannot set power profile '%s' on card %s: %s" % (profile, state.label, state.modes_error))
    try:
        return profile_index(state.modes, profile)
    except PowerProfileModeError as exc:
        raise AmdgpuPowerError("card %s: %s" % (state.label, exc))


def _check_cap(state, watts):
    if state.cap is None:
        where = "%s/%s" % (state.hwmon, CAP_ATTR) if state.hwmon else "%s/hwmon/hwmon*/%s" % (state.base, CAP_ATTR)
        # hwmon_attributes_visible() (amdgpu_pm.c) hides power1_cap* on APUs other than Van Gogh and GC 9.4.3/9.4.4.
        raise AmdgpuPowerError(
            "card %s has no hwmon power1_cap (%s does not exist), so power_cap_watts cannot be set; APUs such as "
            "Strix Halo take their power limits from the SMU PPT (see inferops.amd.ryzenadj)" % (state.label, where))
    microwatts = int(round(watts * MICROWATTS_PER_WATT))
    low, high = state.cap_min, state.cap_max
    if (low is not None and microwatts < low) or (high is not None and microwatts > high):
        raise AmdgpuPowerError(
            "power_cap_watts %s is outside the range of card %s: min %s W, max %s W (power1_cap_min/max)"
            % (watts, state.label, _watts(low), _watts(high)))
    return microwatts


def plan_card(state, level=None, profile=None, cap_watts=None):
    """Validate the request against the card and return its :class:`CardPlan`.

    Raises :class:`AmdgpuPowerError` naming the card and the bad value.
    """
    level = _level_for(state, level, profile)
    if level is not None and state.level is None:
        raise AmdgpuPowerError("card %s has no %s (amdgpu power management is not active)" % (state.label, LEVEL_ATTR))
    index = _check_profile(state, profile) if profile is not None else None
    microwatts = _check_cap(state, cap_watts) if cap_watts is not None else None

    level_write = profile_write = None
    if level is not None and level != state.level:
        level_write = Write("%s/%s" % (state.base, LEVEL_ATTR), level, "performance_level", level)
    if index is not None and state.profile != profile.upper():
        profile_write = Write("%s/%s" % (state.base, PROFILE_ATTR), str(index), "power_profile",
                              "%s (index %d)" % (profile.upper(), index))
    # Write the profile while the card is in manual mode: after the level when
    # going to manual, before it when leaving manual.
    if state.level == PROFILE_LEVEL and level not in (None, PROFILE_LEVEL):
        writes = [profile_write, level_write]
    else:
        writes = [level_write, profile_write]
    if microwatts is not None and microwatts != state.cap:
        writes.append(Write("%s/%s" % (state.hwmon, CAP_ATTR), str(microwatts), "power_cap_watts", "%s W" % cap_watts))
    after = state.snapshot()
    if level is not None:
        after["performance_level"] = level
    if index is not None:
        after["power_profile"] = profile.upper()
    if microwatts is not None:
        after["power_cap_watts"] = _watts(microwatts)
    persisted = {"performance_level": level, "power_profile_index": index, "power_cap_microwatts": microwatts}
    return CardPlan(state, [w for w in writes if w is not None], after,
                    dict((k, v) for k, v in persisted.items() if v is not None))


def apply_plan(root, plan):
    """Write a card's plan, then read the card back; return the new :class:`CardPower`.

    Raises :class:`AmdgpuPowerError` when the kernel refuses a write or reads
    back something else than was written.
    """
    done = []
    for write in plan.writes:
        try:
            root.write_attribute(write.path, write.value)
        except AttributeWriteError as exc:
            reason = _WRITE_ERRORS.get(exc.errno, "the kernel refused the write")
            applied = "; already applied: %s" % ", ".join(done) if done else ""
            raise AmdgpuPowerError("card %s: setting %s to %s failed with %s: %s (%s)%s" % (
                plan.state.label, write.setting, write.shown, exc.errno_name, reason, exc, applied), written=bool(done))
        done.append("%s=%s" % (write.setting, write.shown))
    after = CardPower(root, plan.state.bdf)
    if after.snapshot() != plan.after:
        raise AmdgpuPowerError("card %s: after writing, the kernel reports %s instead of %s" % (
            plan.state.label, after.snapshot(), plan.after), written=bool(done))
    return after


def describe(snapshot):
    """Diff text for one card's snapshot."""
    return "".join("%s: %s\n" % (key, snapshot[key]) for key in sorted(snapshot))
