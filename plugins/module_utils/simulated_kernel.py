# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulation layer: kernel behaviour for recorded hardware trees.

A recorded tree is a plain folder, but sysfs is not a plain file system.
Writing ``performance`` to the ASPM policy file makes it read
``default [performance] powersave powersupersave``; writing an index to
``pp_power_profile_mode`` moves the ``*``; a bad word fails with EINVAL; a
host whose firmware keeps ASPM control fails with EPERM; a reboot brings
back the boot defaults and the command line the bootloader holds.

This module is the only place that knows those rules for simulated hosts.
It is selected by the marker file ``.inferops-simulation.json`` at the top
of a tree and is inert on a real ``/`` (``load('/')`` always returns None),
so a live machine is never touched by it.  Tests, the demo fleet and the
simulated reboot all go through it; the VM tests prove the real kernel
agrees with it.

Marker keys (all optional):

``refuse``
    ``{machine path: "EPERM" | "EACCES" | "EBUSY" | ...}``: writes to that
    attribute fail with that errno (firmware lock, read-only sysfs, busy card).
``bootloader``
    ``grub`` (default) or ``bls``: where :meth:`SimulatedKernel.reboot`
    reads the next command line from.
``bls_entries``
    folder of the BLS entries for ``bls`` (default ``/boot/loader/entries``;
    ``/boot/efi/loader/entries`` for kernelstub and systemd-boot on an ESP).
``fail_tools``
    ``{tool name: message}``: the simulated bootloader tools (update-grub,
    grub-mkconfig, grubby, kernelstub, rpm-ostree, kernel-install) print the
    message on stderr and exit 1 without writing anything.
``boot_defaults``
    ``{machine path: content}``: volatile attributes as they read after a
    fresh boot; recorded by :meth:`SimulatedKernel.record_boot_state`.
``boot_count``
    how many simulated reboots the tree has seen.
``suspend_count``
    how many simulated suspend/resume cycles (:meth:`SimulatedKernel.suspend_resume`).
``ryzenadj``
    settings of the simulated ryzenadj tool (boot values, firmware caps,
    failure modes; see tests/simulation/tools/ryzenadj); its limits live
    below ``FIRMWARE_STATE_DIR``, which reboot and suspend empty.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fnmatch
import json
import os
import re
import shlex
import subprocess
import time

MARKER = ".inferops-simulation.json"

ASPM_POLICY = "/sys/module/pcie_aspm/parameters/policy"
THP_ENABLED = "/sys/kernel/mm/transparent_hugepage/enabled"
PROC_CMDLINE = "/proc/cmdline"

PERFORMANCE_LEVELS = (
    "auto", "low", "high", "manual", "profile_standard",
    "profile_min_sclk", "profile_min_mclk", "profile_peak", "perf_determinism",
)
LINK_STATE_FILES = ("clkpm", "l0s_aspm", "l1_aspm", "l1_1_aspm", "l1_2_aspm", "l1_1_pcipm", "l1_2_pcipm")
# kstrtobool(): what the kernel accepts for a boolean attribute.
KERNEL_TRUE = ("1", "y", "Y", "on", "ON", "On")
KERNEL_FALSE = ("0", "n", "N", "off", "OFF", "Off")
CUSTOM_PROFILE_NAME = "CUSTOM"

# Attributes whose value the kernel forgets at reboot, by file name.
VOLATILE_NAMES = ("policy", "enabled", "power_dpm_force_performance_level",
                  "pp_power_profile_mode", "power1_cap") + LINK_STATE_FILES


class SimulatedWriteError(OSError):
    """What the kernel would have returned from write(2)."""


def load(root):
    """The simulation for ``root``, or None for a real machine."""
    if os.path.abspath(root) == "/":
        return None
    marker = os.path.join(root, MARKER)
    if not os.path.isfile(marker):
        return None
    return SimulatedKernel(root)


def _fail(err, machine_path):
    raise SimulatedWriteError(err, os.strerror(err), machine_path)


def bracket_choice(text, word):
    """``a [b] c`` with the brackets moved to ``word`` (the kernel's own list)."""
    words = [w.strip("[]") for w in text.split()]
    if word not in words:
        return None
    # The kernel prints every word followed by one space, then a newline.
    return "".join(("[%s] " % w) if w == word else ("%s " % w) for w in words) + "\n"


def move_profile_star(text, index):
    """``pp_power_profile_mode`` text with the ``*`` moved to mode ``index``.

    Every layout prints the active mark right after the mode name, or after
    one padding space; the mark's offset from the name is the same for every
    mode of a file, so moving it is a swap at that offset.
    """
    modes = list(re.finditer(r"(?:^|\s)(\d+)\s+([A-Z0-9_]+)(\s?\*|\s?\s)", text, re.M))
    names = {}
    for match in modes:
        names.setdefault(int(match.group(1)), match)
    target = names.get(index)
    star = re.search(r"[A-Z0-9_](\s?)\*", text)
    if target is None or star is None:
        return None
    offset = len(star.group(1))
    chars = list(text)
    chars[star.end() - 1] = " "
    chars[target.end(2) + offset] = "*"
    return "".join(chars)


class SimulatedKernel:
    """Kernel attribute semantics and reboot for one simulated tree."""

    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.marker_path = os.path.join(self.root, MARKER)
        with open(self.marker_path, "r", encoding="utf-8") as handle:
            self.config = json.load(handle)

    # -- file access inside the tree ------------------------------------
    def _real(self, machine_path):
        return os.path.join(self.root, machine_path.lstrip("/"))

    def _read(self, machine_path):
        with open(self._real(machine_path), "r", encoding="utf-8") as handle:
            return handle.read()

    def _store(self, machine_path, text):
        with open(self._real(machine_path), "w", encoding="utf-8") as handle:
            handle.write(text)

    def _canonical(self, machine_path):
        """Machine path with symlinks resolved (cardN/device -> the PCI device)."""
        real = os.path.realpath(self._real(machine_path))
        return "/" + os.path.relpath(real, self.root)

    def save_config(self):
        with open(self.marker_path, "w", encoding="utf-8") as handle:
            json.dump(self.config, handle, indent=2, sort_keys=True)
            handle.write("\n")

    # -- writes -----------------------------------------------------------
    def write(self, machine_path, value):
        """Apply ``echo value > machine_path`` the way the kernel would.

        Raises :class:`SimulatedWriteError` (an OSError) with the errno the
        kernel would have returned.
        """
        word = value.strip()
        real_path = self._canonical(machine_path)
        for pattern, err_name in self.config.get("refuse", {}).items():
            if fnmatch.fnmatch(machine_path, pattern) or fnmatch.fnmatch(real_path, pattern):
                _fail(getattr(errno, err_name), machine_path)
        if not os.path.isfile(self._real(real_path)):
            _fail(errno.ENOENT, machine_path)
        name = os.path.basename(real_path)
        folder = os.path.basename(os.path.dirname(real_path))
        if real_path in (ASPM_POLICY, THP_ENABLED) or real_path.startswith("/sys/kernel/mm/transparent_hugepage/"):
            new_text = bracket_choice(self._read(real_path), word)
        elif name == "power_dpm_force_performance_level":
            new_text = word + "\n" if word in PERFORMANCE_LEVELS else None
        elif name == "pp_power_profile_mode":
            new_text = self._profile_mode_text(real_path, word)
        elif name == "power1_cap":
            new_text = self._power_cap_text(real_path, word)
        elif folder == "link" and name in LINK_STATE_FILES:
            new_text = "1\n" if word in KERNEL_TRUE else "0\n" if word in KERNEL_FALSE else None
        else:
            new_text = word + "\n"
        if new_text is None:
            _fail(errno.EINVAL, machine_path)
        self._store(real_path, new_text)

    def _profile_mode_text(self, real_path, word):
        if not word.isdigit():
            return None
        text = self._read(real_path)
        # CUSTOM needs its coefficients after the index; a bare index is EINVAL.
        if re.search(r"(?:^|\s)%s\s+%s\b" % (int(word), CUSTOM_PROFILE_NAME), text, re.M):
            return None
        return move_profile_star(text, int(word))

    def _power_cap_text(self, real_path, word):
        folder = os.path.dirname(real_path)
        try:
            value = int(word)
            low = int(self._read(folder + "/power1_cap_min"))
            high = int(self._read(folder + "/power1_cap_max"))
        except (ValueError, IOError, OSError):
            return None
        return "%d\n" % value if low <= value <= high else None

    # -- boot -------------------------------------------------------------
    def volatile_attributes(self):
        """Machine paths of every attribute the kernel resets at boot."""
        found = []
        sys_root = self._real("/sys")
        for folder, dirs, files in os.walk(sys_root):
            dirs.sort()
            for name in sorted(files):
                machine = "/" + os.path.relpath(os.path.join(folder, name), self.root)
                if name not in VOLATILE_NAMES:
                    continue
                if name == "policy" and machine != ASPM_POLICY:
                    continue
                if name == "enabled" and not machine.startswith("/sys/kernel/mm/transparent_hugepage/"):
                    continue
                found.append(machine)
        return found

    def record_boot_state(self):
        """Remember how every volatile attribute reads right after boot."""
        self.config["boot_defaults"] = dict(
            (path, self._read(path)) for path in self.volatile_attributes())
        self.config.setdefault("boot_count", 0)
        self.save_config()

    def next_boot_cmdline(self):
        """The command line the bootloader will hand to the next kernel."""
        if self.config.get("bootloader", "grub") == "bls":
            return self._bls_cmdline()
        return self._grub_cmdline()

    def _grub_cmdline(self):
        grub_cfg = self._real("/boot/grub/grub.cfg")
        with open(grub_cfg, "r", encoding="utf-8") as handle:
            for line in handle:
                words = line.strip().split(None, 2)
                if words and words[0] == "linux" and len(words) >= 2:
                    rest = words[2] if len(words) > 2 else ""
                    return ("BOOT_IMAGE=%s %s" % (words[1], rest)).strip()
        raise IOError("no 'linux' line in %s" % grub_cfg)

    def _bls_cmdline(self):
        folder = self._real(self.config.get("bls_entries", "/boot/loader/entries"))
        entries = sorted(name for name in os.listdir(folder) if name.endswith(".conf"))
        # BLS sorts entries by version, newest first; the recorded trees hold one.
        fields = {}
        with open(os.path.join(folder, entries[-1]), "r", encoding="utf-8") as handle:
            for line in handle:
                key, dummy, value = line.strip().partition(" ")
                if key == "options" and key in fields:  # systemd-boot joins every options line
                    fields[key] += " " + value.strip()
                fields.setdefault(key, value.strip())
        if "options" not in fields:
            raise IOError("no 'options' line in the boot entry")
        # GRUB's blscfg passes BOOT_IMAGE=(device)<linux path>; keep the device of this boot.
        device = re.match(r"BOOT_IMAGE=(\([^)]*\))", self._read(PROC_CMDLINE))
        image = "BOOT_IMAGE=%s%s " % (device.group(1) if device else "", fields["linux"]) if "linux" in fields else ""
        return image + fields["options"]

    def reboot(self):
        """Simulate a reboot: boot defaults back, command line from the bootloader."""
        cmdline = self.next_boot_cmdline()
        self._store(PROC_CMDLINE, cmdline + "\n")
        for path, content in self.config.get("boot_defaults", {}).items():
            if os.path.isfile(self._real(path)):
                self._store(path, content)
        self._apply_boot_parameters(shlex.split(cmdline))
        for hook in BOOT_HOOKS:
            hook(self)
        self.config["boot_count"] = self.config.get("boot_count", 0) + 1
        self.save_config()

    def suspend_resume(self, action="suspend"):
        """Simulate ``systemctl suspend`` (or hibernate...) and the wake-up after it.

        sysfs attributes survive (the drivers restore them), firmware state
        does not (SMU power limits); units hooked into the sleep transaction
        run before and after it (see :func:`run_sleep_units`).
        """
        run_sleep_units(self, action)
        self.config["suspend_count"] = self.config.get("suspend_count", 0) + 1
        self.save_config()

    def _apply_boot_parameters(self, args):
        """What the kernel does with the parameters this collection manages."""
        values = dict(arg.split("=", 1) for arg in args if "=" in arg)
        policy = values.get("pcie_aspm.policy")
        if policy and "EPERM" not in self.config.get("refuse", {}).values():
            text = bracket_choice(self._read(ASPM_POLICY), policy)
            if text:
                self._store(ASPM_POLICY, text)
        thp = values.get("transparent_hugepage")
        if thp and os.path.isfile(self._real(THP_ENABLED)):
            text = bracket_choice(self._read(THP_ENABLED), thp)
            if text:
                self._store(THP_ENABLED, text)


# Things a booting machine runs after the kernel (udev rules, enabled
# systemd units).  Each is a function of the SimulatedKernel; the modules
# that write such persistence artefacts register how their artefact acts.
BOOT_HOOKS = []


# -- udev coldplug: /etc/udev/rules.d ATTR{} assignments -------------------
# At boot, udev replays an "add" event for every device (coldplug) and runs
# the ATTR{}="value" writes of each rule whose match keys fit.  Modelled:
# ACTION, SUBSYSTEM, KERNEL, ENV{DEVTYPE} on the device, and KERNELS,
# SUBSYSTEMS, DRIVERS on one device of its parent chain (the device
# included), with == / != and udev's glob and "|" alternatives.  Failed
# writes are skipped, as udev only logs them.
UDEV_RULES_DIR = "/etc/udev/rules.d"
_UDEV_PAIR = re.compile(r'\s*([A-Z_]+(?:\{[^}"]*\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*,?')
_UDEV_CLASSES = (("pci", "/sys/bus/pci/devices"), ("drm", "/sys/class/drm"), ("hwmon", "/sys/class/hwmon"))


def _udev_glob(value, pattern):
    return any(fnmatch.fnmatchcase(value or "", alt) for alt in pattern.split("|"))


def _udev_chain(kernel, syspath):
    """``(kernel name, subsystem, driver)`` of the device and each parent below /sys/devices."""
    chain = []
    while syspath.startswith("/sys/devices/") and syspath.count("/") > 3:
        name, parent_folder = os.path.basename(syspath), os.path.basename(os.path.dirname(syspath))
        subsystem = "pci" if re.match(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$", name) else parent_folder
        driver_link = kernel._real(syspath + "/driver")
        driver = os.path.basename(os.path.realpath(driver_link)) if os.path.islink(driver_link) else ""
        if name not in ("drm", "hwmon"):  # class glue folders, not devices
            chain.append((name, subsystem, driver))
        syspath = os.path.dirname(syspath)
    return chain


def _udev_rule_matches(pairs, device):
    subsystem, name, devtype, chain = device
    own = {"ACTION": "add", "SUBSYSTEM": subsystem, "KERNEL": name, "ENV{DEVTYPE}": devtype}
    parent_keys = {"KERNELS": 0, "SUBSYSTEMS": 1, "DRIVERS": 2}
    parent_tests = []
    for key, op, value in pairs:
        if op not in ("==", "!="):
            continue
        if key in own:
            if _udev_glob(own[key], value) != (op == "=="):
                return False
        elif key in parent_keys:
            parent_tests.append((parent_keys[key], op, value))
        else:
            return False
    return not parent_tests or any(
        all(_udev_glob(entry[i], value) == (op == "==") for i, op, value in parent_tests) for entry in chain)


def apply_udev_rules(kernel):
    """Coldplug: run the ATTR{} writes of every matching rule in /etc/udev/rules.d."""
    folder = kernel._real(UDEV_RULES_DIR)
    rules = []
    for file_name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if file_name.endswith(".rules"):
            with open(os.path.join(folder, file_name), "r", encoding="utf-8") as handle:
                rules += [_UDEV_PAIR.findall(line) for line in handle if line.strip() and not line.lstrip().startswith("#")]
    for subsystem, class_dir in _UDEV_CLASSES:
        real_dir = kernel._real(class_dir)
        for name in sorted(os.listdir(real_dir)) if os.path.isdir(real_dir) else []:
            syspath = kernel._canonical(class_dir + "/" + name)
            devtype = ("drm_minor" if re.match(r"^(card|renderD)\d+$", name) else "drm_connector") if subsystem == "drm" else ""
            device = (subsystem, name, devtype, _udev_chain(kernel, syspath))
            for pairs in rules:
                if not _udev_rule_matches(pairs, device):
                    continue
                for key, op, value in pairs:
                    if key.startswith("ATTR{") and op == "=":
                        try:
                            kernel.write("%s/%s" % (syspath, key[5:-1]), value)
                        except OSError:
                            pass


BOOT_HOOKS.append(apply_udev_rules)


# -- firmware state and systemd units at boot and around sleep --------------
# Simulated tools keep what the firmware holds (the SMU's power limits set by
# ryzenadj) below FIRMWARE_STATE_DIR; the firmware forgets it at reboot and
# across suspend/resume, so both empty the folder.  Then systemd starts the
# enabled Type=oneshot units: at boot those wanted by multi-user.target, around
# sleep those wanted by the sleep targets (systemd.special(7)).
FIRMWARE_STATE_DIR = "/var/lib/inferops-sim/firmware"
UNIT_DIRS = ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")
SLEEP_ACTIONS = ("suspend", "hibernate", "hybrid-sleep", "suspend-then-hibernate")


def forget_firmware_state(kernel):
    folder = kernel._real(FIRMWARE_STATE_DIR)
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        os.unlink(os.path.join(folder, name))


def unit_settings(kernel, unit):
    """``{section: {key: [values]}}`` of a unit and its drop-ins; None when it does not exist."""
    files = [folder + "/" + unit for folder in UNIT_DIRS if os.path.isfile(kernel._real(folder + "/" + unit))][:1]
    if not files:
        return None
    for folder in UNIT_DIRS:
        dropins = kernel._real(folder + "/" + unit + ".d")
        if os.path.isdir(dropins):
            files += [folder + "/" + unit + ".d/" + n for n in sorted(os.listdir(dropins)) if n.endswith(".conf")]
    settings = {}
    section = {}
    for machine_path in files:
        for raw in kernel._read(machine_path).splitlines():
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                section = settings.setdefault(line[1:-1], {})
                continue
            key, value = (line.split("=", 1) + [""])[:2]
            values = section.setdefault(key.strip(), [])
            if not value.strip() and key.strip().startswith("Exec"):
                del values[:]  # an empty Exec*= resets the list, as in systemd
            else:
                values.append(value.strip())
    return settings


def _words(settings, section, key):
    return [word for value in settings.get(section, {}).get(key, []) for word in value.split()]


def _wanted_units(kernel, names):
    units = set()
    for name in names:
        folder = kernel._real("/etc/systemd/system/%s.wants" % name)
        units.update(os.listdir(folder) if os.path.isdir(folder) else [])
    return sorted(units)


def run_unit_commands(kernel, unit, key):
    """Run a oneshot unit's ``ExecStart=`` (or ``ExecStop=``) lines in order, like systemd."""
    settings = unit_settings(kernel, unit) or {}
    env = dict(os.environ, INFEROPS_SYSROOT=kernel.root)
    for line in settings.get("Service", {}).get(key, []):
        prefix = line[:len(line) - len(line.lstrip("-@+!:"))]
        argv = shlex.split(line[len(prefix):])
        if not argv:
            continue
        proc = subprocess.run([kernel._real(argv[0])] + argv[1:], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        _journal(kernel, unit, proc.stdout.splitlines())
        if proc.returncode != 0 and "-" not in prefix:
            _journal(kernel, unit, ["%s: Main process exited, code=exited, status=%d/FAILURE" % (unit, proc.returncode)])
            return False
    return True


def _journal(kernel, unit, lines):
    """The simulated journal (JSON lines per unit), as the simulated systemctl and journalctl use it."""
    path = kernel._real("/var/log/inferops-sim/journal/%s.jsonl" % unit)
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    with open(path, "a", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps({"time": time.time(), "unit": unit, "message": line}) + "\n")


def _is_oneshot(settings):
    return (settings.get("Service", {}).get("Type") or ["simple"])[-1] == "oneshot"


def start_boot_units(kernel):
    """Boot: the enabled oneshot units of multi-user.target run their ExecStart."""
    for unit in _wanted_units(kernel, ("multi-user.target",)):
        settings = unit_settings(kernel, unit)
        if settings and _is_oneshot(settings):
            run_unit_commands(kernel, unit, "ExecStart")


def run_sleep_units(kernel, action="suspend"):
    """One sleep transaction: units before sleep, firmware state lost, units after wake-up.

    Units pulled in by ``<action>.target``, ``sleep.target`` or
    ``systemd-<action>.service`` run their ExecStart before the sleep unless
    they are ordered after the sleep target (or service), which systemd
    reaches only after wake-up.  Units following systemd.special(7)'s
    pattern (StopWhenUnneeded= and RemainAfterExit=) run ExecStop after wake-up.
    """
    if action not in SLEEP_ACTIONS:
        raise ValueError("unknown sleep action %r (known: %s)" % (action, ", ".join(SLEEP_ACTIONS)))
    target, service = action + ".target", "systemd-%s.service" % action
    before, after = [], []
    for unit in _wanted_units(kernel, (target, "sleep.target", service)):
        settings = unit_settings(kernel, unit)
        if not settings or not _is_oneshot(settings):
            continue
        ordered_after = set(_words(settings, "Unit", "After")) & {target, service}
        stop_on_wake = (_words(settings, "Unit", "StopWhenUnneeded")[-1:] == ["yes"]
                        and _words(settings, "Service", "RemainAfterExit")[-1:] == ["yes"])
        (after if ordered_after else before).append((unit, "ExecStart"))
        if stop_on_wake and not ordered_after:
            after.append((unit, "ExecStop"))
    for unit, key in before:
        run_unit_commands(kernel, unit, key)
    forget_firmware_state(kernel)
    for unit, key in after:
        run_unit_commands(kernel, unit, key)


BOOT_HOOKS.append(forget_firmware_state)
BOOT_HOOKS.append(start_boot_units)
