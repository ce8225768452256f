"""The simulated machine around the simulated sysfs: boot, udev, systemd, suspend, journal.

Test machinery, not part of the built collection, as is what the kernel does
with a write to an attribute (``tests/simulation/sysfs.py``, which the tree's
attribute writer ``tests/simulation/tools/sysfs-write`` applies for the
collection).  This module makes a scratch tree behave like a machine that
reboots and sleeps:

* :meth:`SimulatedHost.record_boot_state` remembers how every volatile
  attribute reads after boot (done once, when the scratch copy is made);
* :meth:`SimulatedHost.reboot`: ``/proc/cmdline`` becomes what the bootloader
  config holds (:meth:`SimulatedHost.next_boot_cmdline`, the one place that
  reads boot config), volatile attributes go back to their boot values, the
  kernel applies the parameters this collection manages (``pcie_aspm.policy=``,
  ``pcie_aspm=off|force``, ``transparent_hugepage=``, ``ttm.pages_limit=``,
  ``amdgpu.gttsize=``), then udev coldplug and the enabled systemd units run;
* :meth:`SimulatedHost.suspend_resume`: firmware state is lost and the sleep
  hooks run.

Marker keys read here besides those of ``sysfs``: ``bootloader``
(``grub``, ``bls`` or ``uki``), ``bls_entries``, ``uki_dir``, ``firmware_keeps_aspm`` (the firmware
refused OS control of ASPM: FADT or _OSC), ``boot_defaults``, ``boot_count``,
``suspend_count``, ``ryzenadj`` (the fake SMU, see tools/ryzenadj).
"""

import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from tests.simulation import pe_image, sysfs  # noqa: E402
# Re-exported for the tools and tests that import them from here.
from tests.simulation.sysfs import (  # noqa: E402,F401  pylint: disable=unused-import
    ASPM_POLICY, LINK_FILES, MARKER, SimulatedSysfs, SimulatedWriteError, bracket_choice, bracketed,
)

THP_ENABLED = "/sys/kernel/mm/transparent_hugepage/enabled"
PROC_CMDLINE = "/proc/cmdline"
BOOT_ID = "/proc/sys/kernel/random/boot_id"
PAGE_SIZE = 4096

# Attributes whose value the kernel forgets at reboot, by file name.  The
# link/ files are rebuilt from the link state instead (see _boot_pcie_aspm).
VOLATILE_NAMES = ("enabled", "power_dpm_force_performance_level", "pp_power_profile_mode", "power1_cap")


def load(root):
    """The simulated host of ``root``, or None for a real machine or a tree without the marker."""
    if sysfs.load(root) is None:
        return None
    return SimulatedHost(root)


class SimulatedHost(SimulatedSysfs):
    """A simulated tree that boots, reboots and sleeps."""

    def volatile_attributes(self):
        """Machine paths of every attribute the kernel resets at boot (besides policy and link files)."""
        found = []
        for folder, dirs, files in os.walk(self._real("/sys")):
            dirs.sort()
            for name in sorted(files):
                machine = "/" + os.path.relpath(os.path.join(folder, name), self.root)
                if name not in VOLATILE_NAMES:
                    continue
                if name == "enabled" and not machine.startswith("/sys/kernel/mm/transparent_hugepage/"):
                    continue
                found.append(machine)
        return found

    def record_boot_state(self):
        """Remember how every volatile attribute reads right after boot, and each link's firmware state."""
        self.config["boot_defaults"] = dict(
            (path, self._read(path)) for path in self.volatile_attributes())
        for bridge in self.link_bridges():
            self.link_state(bridge)
        args = shlex.split(self._read(PROC_CMDLINE))
        self.config["aspm_disabled"] = aspm_disabled_at_boot(self.config, args)
        self.config.setdefault("boot_count", 0)
        self.save_config()

    def next_boot_cmdline(self):
        """The command line the bootloader will hand to the next kernel (the one place boot config is read)."""
        if self.config.get("bootloader", "grub") == "bls":
            return self._bls_cmdline()
        if self.config.get("bootloader") == "uki":
            return self._uki_cmdline()
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

    def _uki_cmdline(self):
        """systemd-stub passes the UKI's .cmdline (the newest of ``uki_dir`` by name, as systemd-boot sorts them)."""
        folder = self._real(self.config.get("uki_dir", "/boot/efi/EFI/Linux"))
        images = sorted(name for name in os.listdir(folder) if name.endswith(".efi"))
        with open(os.path.join(folder, images[-1]), "rb") as handle:
            sections = pe_image.read_sections(handle.read())
        if ".cmdline" not in sections:
            raise IOError("no .cmdline section in %s" % images[-1])
        return sections[".cmdline"].rstrip(b"\0").decode().strip()

    def reboot(self):
        """Simulate a reboot: boot defaults back, command line from the bootloader, boot hooks run."""
        cmdline = self.next_boot_cmdline()
        self._store(PROC_CMDLINE, cmdline + "\n")
        # drivers/char/random.c: every boot has a new random boot_id
        os.makedirs(os.path.dirname(self._real(BOOT_ID)), exist_ok=True)
        self._store(BOOT_ID, str(uuid.uuid4()) + "\n")
        for path, content in self.config.get("boot_defaults", {}).items():
            if os.path.isfile(self._real(path)):
                self._store(path, content)
        self.config.pop("amdgpu_saved_level", None)
        args = shlex.split(cmdline)
        _boot_pcie_aspm(self, args)
        _boot_transparent_hugepage(self, args)
        _boot_gtt_size(self, args)
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


def kernel_parameters(args):
    """``{name: value}`` of the ``name=value`` arguments; the last one wins, as in the kernel's parser."""
    return dict(arg.split("=", 1) for arg in args if "=" in arg)


def aspm_disabled_at_boot(config, args):
    """aspm.c: ``pcie_aspm=off`` sets aspm_disabled; firmware refusal (FADT, _OSC) calls pcie_no_aspm(),
    which sets it unless ``pcie_aspm=force``."""
    switch = kernel_parameters(args).get("pcie_aspm")
    if switch == "off":
        return True
    return bool(config.get("firmware_keeps_aspm")) and switch != "force"


def _boot_pcie_aspm(host, args):
    """The policy and every link's state after boot.

    ``pcie_aspm.policy=`` is applied before the PCI scan, so every link is
    configured with it (pcie_aspm_init_link_state); the disable masks of the
    link files start empty.  ``pcie_aspm=off`` also clears aspm_support_enabled:
    no link state is allocated and no link file is shown.  Firmware refusal is
    acted on after the scan (acpi_pci_root_add() calls pcie_no_aspm() after
    pci_acpi_scan_root()), so the link files are visible and already
    configured, but the policy reads ``[default]`` and refuses writes.
    """
    params = kernel_parameters(args)
    policy = params.get("pcie_aspm.policy", "default")
    text = host._read(ASPM_POLICY)
    if bracket_choice(text, policy) is None:
        policy = "default"  # sysfs_match_string() failed: the parameter is ignored
    off = params.get("pcie_aspm") == "off"
    disabled = aspm_disabled_at_boot(host.config, args)
    host._store(ASPM_POLICY, bracket_choice(text, "default" if disabled else policy))
    host.config["aspm_disabled"] = disabled
    for bridge in host.link_bridges():
        state = host.link_state(bridge)
        state["disable"], state["clkpm_disable"] = [], False
        values = host.link_values(bridge, policy)
        for device in _link_devices(host, bridge):
            folder = host._real(device + "/link")
            os.makedirs(folder, exist_ok=True)
            for name in LINK_FILES:
                path = os.path.join(folder, name)
                if off or name not in values:
                    if os.path.exists(path):
                        os.unlink(path)
                else:
                    with open(path, "w", encoding="utf-8") as handle:
                        handle.write("%d\n" % values[name])


def _link_devices(host, bridge):
    """PCI functions directly below ``bridge`` (link files or not: they appear and vanish with the boot)."""
    real = host._real(bridge)
    return ["%s/%s" % (bridge, name) for name in sorted(os.listdir(real))
            if re.match(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$", name)]


def _boot_transparent_hugepage(host, args):
    thp = kernel_parameters(args).get("transparent_hugepage")
    if thp and os.path.isfile(host._real(THP_ENABLED)):
        text = bracket_choice(host._read(THP_ENABLED), thp)
        if text:
            host._store(THP_ENABLED, text)


def gtt_size_bytes(mem_total_kib, args):
    """amdgpu_ttm_init(): ``amdgpu.gttsize`` (MiB) when given, else ttm_tt_pages_limit() pages.

    ttm_global_init() sets the page limit to half of totalram (MemTotal)
    unless ``ttm.pages_limit`` is given (0 means unset).
    """
    params = kernel_parameters(args)
    gttsize = params.get("amdgpu.gttsize")
    if gttsize is not None and gttsize.lstrip("-").isdigit() and int(gttsize) != -1:
        return int(gttsize) << 20
    pages = params.get("ttm.pages_limit")
    if pages is not None and pages.isdigit() and int(pages) > 0:
        return int(pages) * PAGE_SIZE
    return (mem_total_kib * 1024 // PAGE_SIZE // 2) * PAGE_SIZE


def mem_total_kib(host):
    match = re.search(r"^MemTotal:\s+(\d+) kB$", host._read("/proc/meminfo"), re.M)
    return int(match.group(1)) if match else 0


def _boot_gtt_size(host, args):
    size = gtt_size_bytes(mem_total_kib(host), args)
    for card in sorted(os.listdir(host._real("/sys/class/drm"))) if os.path.isdir(host._real("/sys/class/drm")) else []:
        if re.match(r"^card\d+$", card):
            path = "/sys/class/drm/%s/device/mem_info_gtt_total" % card
            if os.path.isfile(host._real(path)):
                host._store(host._canonical(path), "%d\n" % size)


# Things a booting machine runs after the kernel (udev rules, enabled
# systemd units).  Each is a function of the SimulatedHost; the modules
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
        unneeded = _words(settings, "Unit", "StopWhenUnneeded")[-1:] == ["yes"]
        stop_on_wake = unneeded and _words(settings, "Service", "RemainAfterExit")[-1:] == ["yes"]
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
