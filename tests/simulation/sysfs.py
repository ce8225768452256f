"""What the kernel does with a write to a sysfs attribute, for simulated hosts: test machinery.

A recorded machine tree is a plain folder, but sysfs is not a plain file
system: writing ``performance`` to the ASPM policy moves the brackets *and*
reconfigures every PCIe link, a bad word fails with EINVAL, a host whose
firmware keeps ASPM control answers EPERM.  :class:`SimulatedSysfs` applies
those rules, read from the kernel's own store functions (cited per rule), so
that the collection can be exercised against recorded trees.

The collection knows none of this.  Its ``SysRoot.write_attribute`` hands a
write on a tree whose code may run (``INFEROPS_SIMULATION=1``) to the tree's
own attribute writer (``sysroot.ATTRIBUTE_WRITER``,
``/usr/libexec/inferops/sysfs-write PATH VALUE``, exit status = errno);
``tests/simulation/scratch_host.py`` installs the stand-in
``tests/simulation/tools/sysfs-write`` there, which applies these rules.  The
rules need the simulation marker ``.inferops-simulation.json`` at the top of
the tree (:func:`load` returns None for ``/`` and for any tree without it).
Everything else a simulated host does (boot, udev coldplug, systemd units,
suspend, the journal) lives in ``tests/simulation/simulated_boot.py``.

Marker keys this module reads (all optional):

``refuse``
    ``{machine path glob: "EBUSY" | "EACCES" | ...}``: writes there fail with that errno.
``aspm_disabled``
    true while the kernel runs with ``aspm_disabled`` set (``pcie_aspm=off``,
    or firmware that refused OS control at boot): policy writes answer EPERM.
``pcie_links``
    per-link state the kernel keeps in ``struct pcie_link_state`` (what the
    firmware enabled at boot, what was disabled through the ``link/`` files),
    keyed on the upstream bridge; filled in on first use.
``amdgpu_saved_level``
    the performance level to return to on ``profile_exit``, per device.
"""

import errno
import fnmatch
import json
import os
import re

MARKER = ".inferops-simulation.json"

ASPM_POLICY = "/sys/module/pcie_aspm/parameters/policy"
THP_FOLDER = "/sys/kernel/mm/transparent_hugepage/"

# amdgpu_set_power_dpm_force_performance_level() tests these prefixes in this
# order with strncmp(), so "autoX" selects auto; anything else is EINVAL.
PERFORMANCE_LEVEL_WORDS = ("low", "high", "auto", "manual", "profile_exit", "profile_standard",
                           "profile_min_sclk", "profile_min_mclk", "profile_peak", "perf_determinism")
UMD_PSTATE_LEVELS = ("profile_standard", "profile_min_sclk", "profile_min_mclk", "profile_peak")
# smu_v14_0_set_performance_level() and smu_v14_0_common_set_performance_level()
# have no case for it (only aldebaran / SMU 13.0.6 datacenter parts do): EINVAL.
LEVELS_REFUSED_BY_SMU14 = ("perf_determinism",)
# enum PP_SMC_POWER_PROFILE (kgd_pp_interface.h): CUSTOM = 6.
CUSTOM_PROFILE_INDEX = 6
# smu_v14_0_2_set_power_profile_mode(): CUSTOM takes 9 numbers, the first a clock index below 2.
SMU14_CUSTOM_PARAMS = 9
SMU14_CUSTOM_CLOCKS = 2
MICROWATTS_PER_WATT = 1000000
U32_MAX = 0xFFFFFFFF

# drivers/pci/pcie/aspm.c: aspm_ctrl_attrs[] (clkpm first) and the L1 substates.
LINK_FILES = ("clkpm", "l0s_aspm", "l1_aspm", "l1_1_aspm", "l1_2_aspm", "l1_1_pcipm", "l1_2_pcipm")
ASPM_STATES = LINK_FILES[1:]
L1_SUBSTATES = ("l1_1_aspm", "l1_2_aspm", "l1_1_pcipm", "l1_2_pcipm")
POLICY_ASPM_STATES = {  # policy_to_aspm_state(); "default" is what the firmware enabled
    "performance": (),
    "powersave": ("l0s_aspm", "l1_aspm"),
    "powersupersave": ASPM_STATES,
}
POLICY_CLKPM = {"performance": 0, "powersave": 1, "powersupersave": 1}  # policy_to_clkpm_state()


class SimulatedWriteError(OSError):
    """What the kernel would have returned from write(2)."""


def load(root):
    """The simulated sysfs of ``root``, or None for a real machine (``/``, or no marker)."""
    if os.path.abspath(root) == "/":
        return None
    if not os.path.isfile(os.path.join(root, MARKER)):
        return None
    return SimulatedSysfs(root)


def _fail(err, machine_path):
    raise SimulatedWriteError(err, os.strerror(err), machine_path)


def kstrtobool(text):
    """lib/kstrtox.c kstrtobool(): True/False from the first one or two characters, None when invalid."""
    first, second = (text + "\0\0")[:2]
    if first in "eEyYtT1":
        return True
    if first in "dDnNfF0":
        return False
    if first in "oO":
        return {"n": True, "N": True, "f": False, "F": False}.get(second)
    return None


def kstrtou32(text):
    """kstrtou32(buf, 10): decimal, optional '+', one trailing newline allowed; None when invalid."""
    body = text[:-1] if text.endswith("\n") else text
    body = body[1:] if body.startswith("+") else body
    if not body.isdigit() or int(body) > U32_MAX:
        return None
    return int(body)


def bracket_choice(text, word):
    """``a [b] c`` with the brackets moved to ``word`` (the kernel's own list); None for a word not listed."""
    words = [w.strip("[]") for w in text.split()]
    if word not in words:
        return None
    # The kernel prints every word followed by one space, then a newline.
    return "".join(("[%s] " % w) if w == word else ("%s " % w) for w in words) + "\n"


def bracketed(text):
    found = [w[1:-1] for w in text.split() if w.startswith("[") and w.endswith("]")]
    return found[0] if found else None


def move_profile_star(text, index):
    """``pp_power_profile_mode`` text with the ``*`` on mode ``index``; None when the file does not list it.

    Every layout prints the active mark right after the mode name, or after
    one padding space; the mark's offset from the name is the same for every
    mode of a file, so moving it is a swap at that offset.
    """
    # A mode name has a letter; coefficient rows ("10       5       7") must not pass for "5 7".
    modes = list(re.finditer(r"(?:^|\s)(\d+)\s+([A-Z0-9_]*[A-Z][A-Z0-9_]*)(\s?\*|\s?\s)", text, re.M))
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


class SimulatedSysfs:
    """Kernel attribute write semantics for one simulated tree."""

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
        data = value if value.endswith("\n") else value + "\n"  # what echo (and SysRoot) writes
        real_path = self._canonical(machine_path)
        for pattern, err_name in self.config.get("refuse", {}).items():
            if fnmatch.fnmatch(machine_path, pattern) or fnmatch.fnmatch(real_path, pattern):
                _fail(getattr(errno, err_name), machine_path)
        if not os.path.isfile(self._real(real_path)):
            _fail(errno.ENOENT, machine_path)
        name = os.path.basename(real_path)
        folder = os.path.basename(os.path.dirname(real_path))
        if real_path == ASPM_POLICY:
            err = self._write_policy(data.strip())
        elif folder == "link" and name in LINK_FILES:
            err = self._write_link_file(os.path.dirname(os.path.dirname(real_path)), name, data)
        elif real_path.startswith(THP_FOLDER):
            err = self._store_or_einval(real_path, bracket_choice(self._read(real_path), data.strip()))
        elif name == "power_dpm_force_performance_level":
            err = self._write_level(real_path, data)
        elif name == "pp_power_profile_mode":
            err = self._store_or_einval(real_path, self._profile_mode_text(real_path, data))
        elif name == "power1_cap":
            err = self._store_or_einval(real_path, self._power_cap_text(real_path, data))
        else:
            self._store(real_path, data.strip() + "\n")
            err = None
        if err:
            _fail(err, machine_path)

    def _store_or_einval(self, real_path, text):
        if text is None:
            return errno.EINVAL
        self._store(real_path, text)
        return None

    # -- amdgpu (drivers/gpu/drm/amd/pm/amdgpu_pm.c) ------------------------
    def _write_level(self, real_path, data):
        """amdgpu_set_power_dpm_force_performance_level() -> amdgpu_dpm_force_performance_level()."""
        level = next((word for word in PERFORMANCE_LEVEL_WORDS if data.startswith(word)), None)
        current = self._read(real_path).strip()
        device = os.path.dirname(real_path)
        saved = self.config.setdefault("amdgpu_saved_level", {})
        if level is None or level in LEVELS_REFUSED_BY_SMU14:
            return errno.EINVAL
        if level == current:
            return None
        if level == "profile_exit":
            if current not in UMD_PSTATE_LEVELS:
                return errno.EINVAL  # "profile_exit setting is valid only when current mode is in profile mode"
            level = saved.pop(device, "auto")  # smu_enable_umd_pstate() restores saved_dpm_level
        elif level in UMD_PSTATE_LEVELS and current not in UMD_PSTATE_LEVELS:
            saved[device] = current
        self._store(real_path, level + "\n")
        self.save_config()
        return None

    def _profile_mode_text(self, real_path, data):
        """amdgpu_set_pp_power_profile_mode(): the first character is the index (kstrtol of one char).

        CUSTOM reads further numbers; smu_v14_0_2_set_power_profile_mode()
        takes none (the stored coefficients) or exactly nine, the first a clock
        index below two.
        """
        if not data[:1].isdigit():
            return None
        index = int(data[0])
        if index == CUSTOM_PROFILE_INDEX:
            if len(data) < 2 or len(data) > 127:
                return None
            params = data[1:].split()
            if not all(re.match(r"^[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$", p) for p in params):
                return None
            if params and (len(params) != SMU14_CUSTOM_PARAMS or int(params[0], 0) >= SMU14_CUSTOM_CLOCKS):
                return None
        # An index the file does not list maps to no firmware workload bit;
        # the driver sends an empty mask and what the firmware answers is not
        # in the source: modelled as the failure amdgpu returns (EINVAL).
        return move_profile_star(self._read(real_path), index)

    def _power_cap_text(self, real_path, data):
        """amdgpu_hwmon_set_power_cap(): microwatts truncated to whole watts, then smu_set_power_limit()'s range."""
        microwatts = kstrtou32(data)
        folder = os.path.dirname(real_path)
        try:
            low = int(self._read(folder + "/power1_cap_min")) // MICROWATTS_PER_WATT
            high = int(self._read(folder + "/power1_cap_max")) // MICROWATTS_PER_WATT
        except (ValueError, IOError, OSError):
            return None
        if microwatts is None:
            return None
        watts = microwatts // MICROWATTS_PER_WATT
        if watts < low or watts > high:
            return None
        return "%d\n" % (watts * MICROWATTS_PER_WATT)

    # -- PCIe ASPM (drivers/pci/pcie/aspm.c) --------------------------------
    def _write_policy(self, word):
        """pcie_aspm_set_policy(): EPERM while aspm_disabled, EINVAL for an unknown word, no-op for the same one."""
        if self.config.get("aspm_disabled"):
            return errno.EPERM
        text = self._read(ASPM_POLICY)
        new_text = bracket_choice(text, word)
        if new_text is None:
            return errno.EINVAL
        if bracketed(text) == word:
            return None
        self._store(ASPM_POLICY, new_text)
        for bridge in self.link_bridges():
            self.configure_link(bridge, word, clkpm=True)
        self.save_config()
        return None

    def _write_link_file(self, device, name, data):
        """aspm_attr_store_common() / clkpm_store(): change the link's disable mask, then reconfigure it."""
        enable = kstrtobool(data)
        if enable is None:
            return errno.EINVAL
        bridge = os.path.dirname(device)
        state = self.link_state(bridge)
        disable = set(state["disable"])
        if name == "clkpm":
            state["clkpm_disable"] = not enable
        elif enable:
            disable.discard(name)
            if name in L1_SUBSTATES:
                disable.discard("l1_aspm")  # "need to enable L1 for substates"
        else:
            disable.add(name)
            if name == "l1_aspm":
                disable.update(L1_SUBSTATES)
        state["disable"] = sorted(disable)
        self.configure_link(bridge, self.current_policy(), clkpm=name == "clkpm")
        self.save_config()
        return None

    def current_policy(self):
        return bracketed(self._read(ASPM_POLICY)) or "default"

    def link_functions(self, bridge):
        """Devices on the bus below ``bridge`` that show ``link/`` files: they share one link state."""
        real = self._real(bridge)
        names = sorted(os.listdir(real)) if os.path.isdir(real) else []
        return ["%s/%s" % (bridge, name) for name in names
                if re.match(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$", name)
                and os.path.isdir(self._real("%s/%s/link" % (bridge, name)))]

    def link_bridges(self):
        """Every upstream bridge with a link state (recorded, or showing link files now)."""
        found = set(self.config.get("pcie_links", {}))
        devices = self._real("/sys/devices")
        for folder, dirs, files in os.walk(devices):
            dirs.sort()
            if os.path.basename(folder) == "link" and any(name in LINK_FILES for name in files):
                found.add("/" + os.path.relpath(os.path.dirname(os.path.dirname(folder)), self.root))
        return sorted(found)

    def link_state(self, bridge):
        """The kernel's pcie_link_state of the link below ``bridge``, taken from its files on first use."""
        links = self.config.setdefault("pcie_links", {})
        if bridge not in links:
            values = {}
            for device in self.link_functions(bridge)[:1]:
                for name in LINK_FILES:
                    path = self._real("%s/link/%s" % (device, name))
                    if os.path.isfile(path):
                        with open(path, "r", encoding="utf-8") as handle:
                            values[name] = int(handle.read().strip() or 0)
            links[bridge] = {"capable": sorted(values), "default": values, "disable": [], "clkpm_disable": False}
        return links[bridge]

    def link_values(self, bridge, policy, clkpm_value=None):
        """``{file: 0|1}`` the link's files show under ``policy`` (pcie_config_aspm_link, pcie_set_clkpm)."""
        state = self.link_state(bridge)
        capable, disable = set(state["capable"]), set(state["disable"])
        if policy == "default":
            wanted = set(name for name in ASPM_STATES if state["default"].get(name))
        else:
            wanted = set(POLICY_ASPM_STATES[policy])
        enabled = wanted & capable - disable
        if "l1_aspm" not in enabled:
            enabled -= set(L1_SUBSTATES)  # "Can't enable any substates if L1 is not enabled"
        values = dict((name, 1 if name in enabled else 0) for name in ASPM_STATES if name in capable)
        if "clkpm" in capable:
            if clkpm_value is None:
                clkpm_value = state["default"].get("clkpm", 0) if policy == "default" else POLICY_CLKPM[policy]
            values["clkpm"] = 0 if state["clkpm_disable"] else clkpm_value
        return values

    def configure_link(self, bridge, policy, clkpm):
        """Write the link's state to the ``link/`` files of every function below ``bridge``."""
        values = self.link_values(bridge, policy)
        for device in self.link_functions(bridge):
            for name, value in values.items():
                path = "%s/link/%s" % (device, name)
                if name == "clkpm" and not clkpm:
                    continue  # only the global policy and clkpm_store touch Clock PM
                if os.path.isfile(self._real(path)):
                    self._store(path, "%d\n" % value)


def write_status(root, machine_path, value):
    """The exit status of the tree's attribute writer for ``echo value > machine_path``: 0 or the kernel's errno.

    This is the writer's protocol (``sysroot.ATTRIBUTE_WRITER``): a refusal is the
    errno as exit status and nothing on stderr, as the kernel gives no text.
    A tree without the marker has no simulated kernel: SystemExit with a message.
    """
    kernel = load(root)
    if kernel is None:
        raise SystemExit("simulated sysfs-write: %s has no simulation marker %s" % (root, MARKER))
    try:
        kernel.write(machine_path, value)
    except SimulatedWriteError as exc:
        return exc.errno
    return 0
