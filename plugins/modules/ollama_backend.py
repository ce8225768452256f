#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ollama_backend
short_description: Make Ollama run on the GPU backend asked for (Vulkan, ROCm or CPU)
version_added: "0.1.0"
description:
  - With both its ROCm and Vulkan libraries installed, Ollama keeps ROCm for an AMD GPU,
    although Vulkan (RADV) decoded about 10% faster through Ollama (20% in raw llama.cpp) on an
    RX 9070 XT (the RX 9070 XT Ollama article).
  - The module finds how Ollama is installed (official archive with backend folders under
    C(/usr/local/lib/ollama), a distribution's C(/usr/lib/ollama) with folders or flat files), its
    version, and the host's AMD GPUs, and looks the release and layout up in one table
    (C(ollama_release_table), shown with its sources in docs/ollama.md) for what selects each backend.
  - "By default only environment is used: C(ROCR_VISIBLE_DEVICES=-1) hides ROCm,
    C(GGML_VK_VISIBLE_DEVICES=-1) or C(OLLAMA_VULKAN=0) hides Vulkan, C(OLLAMA_VULKAN=1) where the
    release gates Vulkan, C(OLLAMA_IGPU_ENABLE=1) where it drops an integrated GPU that matters,
    C(HSA_OVERRIDE_GFX_VERSION[_<n>]) only for a device whose gfx target the installed ROCm build
    lacks. It goes into the drop-in C(/etc/systemd/system/<unit>.d/inferops-backend.conf), written
    atomically; the vendor unit is never edited. The service's other settings (O(environment)) can go into a
    drop-in of their own in the same run."
  - O(mechanism=files) moves whole backend folders (flat layout, the backend's library file) to
    C(<lib_dir>.inferops-disabled) and records each move in C(<lib_dir>.inferops-disabled/inferops-moves.json);
    O(backend=auto) moves everything back, removes the drop-in and the record.
  - A change takes effect when the service restarts (C(restart_required) says so). With O(verify)
    the module reads the journal of the running service and judges the devices that matter (every
    discrete AMD GPU, and an integrated one when it is the only AMD GPU or a Strix Halo gfx1151), each
    of which must be in an C(inference compute) line of the backend asked for. A failure quotes Ollama's
    own line (the dropped-iGPU line naming C(OLLAMA_IGPU_ENABLE=1), the Vulkan-disabled line)
    and names the variable that fixes it.
  - Every option is validated before anything is written. Check mode runs only C(ollama --version).
author:
  - inferops.amd contributors (@inferops)
extends_documentation_fragment:
  - inferops.amd.sysroot
options:
  backend:
    description:
      - V(vulkan) and V(rocm) select that GPU backend for the devices that matter; V(cpu) hides every
        GPU; V(auto) removes the module's drop-in and moves back everything it moved, so Ollama
        chooses by itself again.
    type: str
    required: true
    choices: [vulkan, rocm, cpu, auto]
  gfx_version_override:
    description:
      - Force C(HSA_OVERRIDE_GFX_VERSION) for ROCm, as MAJOR.MINOR.STEPPING (V(12.0.1) for gfx1201,
        V(11.5.1) for gfx1151). Unset, the module sets an override only for a device whose gfx target
        the installed ROCm build has no kernels for (read from its C(TensileLibrary_lazy_gfx*.dat)
        files), per device (C(HSA_OVERRIDE_GFX_VERSION_<n>)) on hosts with several AMD GPUs, because
        the plain variable applies to every AMD GPU. Official builds cover gfx1151, gfx1200 and
        gfx1201. Ignored, with a warning, for V(vulkan), V(cpu) and V(auto).
    type: str
  mechanism:
    description:
      - V(auto) and V(environment) use only the drop-in's environment, which works on every row of
        the release table and survives package upgrades. V(files) moves the other backends' folders out of
        Ollama's search path instead (the release's own gates such as C(OLLAMA_IGPU_ENABLE) stay
        environment). V(rename) is the old name of V(files).
    type: str
    default: auto
    choices: [auto, environment, files, rename]
  binary:
    description:
      - Path of the ollama executable on the machine, when it is not C(/usr/local/bin/ollama) or
        C(/usr/bin/ollama). Its libraries are then looked for in C(<binary>/../../lib/ollama).
    type: path
  install_dir:
    description:
      - Ollama's library folder, when it is not next to the binary as Ollama expects
        (C(<prefix>/lib/ollama)).
    type: path
  version:
    description:
      - Ollama version to plan for instead of asking C(ollama --version), for binaries that cannot
        run where the module runs. Needed when the version cannot be read, as the switch depends on it.
    type: str
  unit:
    description:
      - The systemd service that runs C(ollama serve), as C(NAME.service) without C(/).
      - Its unit file (or, for an instance C(NAME@INSTANCE.service), its template C(NAME@.service)) must exist in
        the systemd unit search path inside O(sysroot) (C(/etc/systemd/system), C(/run/systemd/system),
        C(/usr/local/lib/systemd/system), C(/usr/lib/systemd/system), C(/lib/systemd/system) and the control,
        transient, attached and generator folders; systemd.unit(5)); otherwise the module fails before anything is
        written, naming the unit and the folders it looked in.
    type: str
    default: ollama.service
  environment:
    description:
      - More environment for the service, such as C(OLLAMA_HOST), C(OLLAMA_FLASH_ATTENTION) or C(OLLAMA_KV_CACHE_TYPE),
        in a drop-in of its own, C(/etc/systemd/system/<unit>.d/inferops-settings.conf), written in the same run
        (and counted in the same restart) as the backend. Null and empty values are left out, booleans become
        V(1) and V(0); an empty dict removes the drop-in. Unset, that drop-in is left alone.
      - "With a backend other than V(auto), the variables that select one (C(ROCR_VISIBLE_DEVICES),
        C(HIP_VISIBLE_DEVICES), C(GGML_VK_VISIBLE_DEVICES), C(OLLAMA_VULKAN), C(OLLAMA_IGPU_ENABLE),
        C(HSA_OVERRIDE_GFX_VERSION*)) are refused here: they belong to the backend drop-in, where a second value
        would win or lose by file name alone."
    type: dict
  start:
    description:
      - Leave the service enabled and running, as C(ansible.builtin.systemd_service) with C(enabled=true) and
        C(state=started) would, in the same run that selects and verifies the backend. One C(systemctl show)
        reads its state; C(systemctl enable) runs when its unit file state is one that enable links
        (V(disabled), V(linked), V(linked-runtime)), and C(systemctl daemon-reload) then C(systemctl start) when it
        is not running. A service this run restarts is not started again.
      - A stopped service that this run starts runs the new backend, so nothing is left to restart.
      - Fails, before anything is written, when the unit is not installed, is masked, or systemd cannot read it.
    type: bool
    default: false
  restart:
    description:
      - Restart the service (after C(systemctl daemon-reload)) when this run changed something,
        so the new backend is live before O(verify) reads the log. Leave it off to restart
        through a handler instead.
    type: bool
    default: false
  verify:
    description:
      - Read the service's journal for the current boot (C(journalctl -u <unit> -o cat -b)) and
        fail unless the process systemd started last logged every device that matters on the
        backend asked for (for V(cpu), no GPU device at all), then that its API answers
        (C(GET /api/version) at the address the server logged, a wildcard address on loopback).
        Waits up to O(verify_timeout) for both. Fails when this run changed something and O(restart) is off.
    type: bool
    default: false
  verify_timeout:
    description:
      - Seconds to wait for the server to log its devices after a start.
    type: int
    default: 60
attributes:
  check_mode:
    description: Validates everything and predicts the change; runs only C(ollama --version), with O(start) the
      read-only C(systemctl show), and with O(verify) and nothing to change the read-only C(systemctl is-active),
      C(journalctl) and C(GET /api/version).
    support: full
  diff_mode:
    description: Shows the drop-in, the list of backend folders/libraries (where each is) and, with O(environment),
      the settings drop-in, before and after.
    support: full
notes:
  - Paths (executable, libraries, drop-in, record) are resolved inside O(sysroot), and C(ollama), C(systemctl) and
    C(journalctl) are taken from it, so the module runs against simulated hosts unchanged.
  - A package upgrade brings moved backend folders back (mechanism=files); run the module again afterwards. The
    environment mechanism needs no such care.
  - See docs/ollama.md for the release table and the sources of every row.
seealso:
  - module: inferops.amd.hardware_facts
  - name: Ollama GPU documentation
    description: Backends Ollama supports and how it selects them.
    link: https://github.com/ollama/ollama/blob/main/docs/gpu.mdx
"""

EXAMPLES = r"""
- name: Run Ollama on Vulkan (RADV) on an RDNA4 card
  inferops.amd.ollama_backend:
    backend: vulkan
  notify: Restart ollama

- name: Settings and backend, start or restart, and prove it in one task
  inferops.amd.ollama_backend:
    backend: vulkan
    environment:
      OLLAMA_HOST: 127.0.0.1:11434
      OLLAMA_FLASH_ATTENTION: true
      OLLAMA_KV_CACHE_TYPE: q8_0
    start: true
    restart: true
    verify: true

- name: ROCm, moving the Vulkan folder out of the way instead of using the environment
  inferops.amd.ollama_backend:
    backend: rocm
    mechanism: files
  notify: Restart ollama

- name: Undo everything the module did
  inferops.amd.ollama_backend:
    backend: auto
"""

RETURN = r"""
previous_backend:
  description: Backend the drop-in and the moved folders selected before this run (V(auto) when nothing did).
  returned: success
  type: str
  sample: auto
backend:
  description: Backend now selected.
  returned: success
  type: str
  sample: vulkan
mechanism:
  description: Switch used, V(environment) or V(files).
  returned: success
  type: str
  sample: environment
version:
  description: Ollama version planned for.
  returned: success
  type: str
  sample: 0.32.15
release_row:
  description: The row of the release table used (release range, layout, environment per backend, iGPU rule, source).
  returned: success
  type: dict
  sample: {releases: "0.30.1 - 0.99.99", layout: subfolders, igpu: {vulkan: dropped, rocm: dropped unless gfx1151}}
install:
  description: The installation found, after this run.
  returned: success
  type: dict
  contains:
    binary:
      description: The ollama executable.
      type: str
      sample: /usr/bin/ollama
    lib_dir:
      description: Its library folder.
      type: str
      sample: /usr/lib/ollama
    kind:
      description: V(official) (C(/usr/local)), V(distribution) (C(/usr)) or V(custom).
      type: str
      sample: official
    layout:
      description: V(subfolders) or V(flat).
      type: str
      sample: subfolders
    libraries:
      description: Backend folders (flat layout, files), each with C(backend), C(path), C(enabled) and C(moved_to).
      type: list
      elements: dict
      sample: [{backend: rocm, path: /usr/local/lib/ollama/rocm, enabled: true, moved_to: null}]
    rocm_targets:
      description: gfx targets the installed rocBLAS has kernels for (empty when none were found).
      type: list
      elements: str
      sample: [gfx1151, gfx1200, gfx1201]
devices:
  description: The host's AMD GPUs, whether each matters for verification, and its ROCm index.
  returned: success
  type: list
  elements: dict
  sample: [{pci_id: "0000:06:00.0", gfx_target: gfx1201, integrated: false, matters: true, rocm_index: 0}]
moved:
  description: Moves made by this run (mechanism=files, or restoring), each with C(from) and C(to) machine paths.
  returned: success
  type: list
  elements: dict
  sample: [{from: /usr/local/lib/ollama/rocm, to: /usr/local/lib/ollama.inferops-disabled/rocm}]
dropin:
  description: The drop-in, its environment and what happened to it (V(written), V(removed), V(unchanged), V(absent)).
  returned: success
  type: dict
  sample: {path: /etc/systemd/system/ollama.service.d/inferops-backend.conf, state: written,
           environment: {ROCR_VISIBLE_DEVICES: "-1", OLLAMA_VULKAN: "1"}}
settings:
  description: With O(environment), the settings drop-in, its environment and what happened to it (as RV(dropin)).
  returned: when environment is set
  type: dict
  sample: {path: /etc/systemd/system/ollama.service.d/inferops-settings.conf, state: unchanged,
           environment: {OLLAMA_HOST: "127.0.0.1:11434", OLLAMA_FLASH_ATTENTION: "1"}}
service:
  description:
    - With O(start), the service's state before this run (C(LoadState), C(UnitFileState), C(ActiveState) as
      C(systemctl show) printed them) and C(actions), the C(systemctl) verbs this run used (or, in check mode,
      would use) to leave it enabled and running.
  returned: when start is true
  type: dict
  sample: {before: {LoadState: loaded, UnitFileState: disabled, ActiveState: inactive}, actions: [enable, start]}
restart_required:
  description: True when something changed and the service has not been restarted (or started) by this run.
  returned: success
  type: bool
restarted:
  description: True when this run restarted the service (a start of a stopped service is in RV(service)).
  returned: success
  type: bool
verification:
  description:
    - With O(verify), what the last server start logged (version, address, devices, libraries) and C(placements),
      one per host GPU with C(name), C(pci_id), C(library), C(compute), C(type) and C(matters).
    - C(api_url) is where a client on the machine reaches the API, C(api_version) the version it answered with.
  returned: when verify is true and the service runs the current settings
  type: dict
  sample:
    version: 0.32.15
    libraries: [vulkan]
    api_url: http://127.0.0.1:11434
    api_version: 0.32.15
    placements: [{name: "Radeon RX 9070 XT", pci_id: "0000:06:00.0", library: Vulkan, compute: "0.0",
                  type: discrete, matters: true}]
"""

import os
import re
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.inferops.amd.plugins.module_utils.sysroot import module_sysroot, with_sysroot_option
from ansible_collections.inferops.amd.plugins.module_utils import amd_gpu
from ansible_collections.inferops.amd.plugins.module_utils import ollama_install
from ansible_collections.inferops.amd.plugins.module_utils import ollama_backend_plan as planning
from ansible_collections.inferops.amd.plugins.module_utils import ollama_backend_state as state
from ansible_collections.inferops.amd.plugins.module_utils import ollama_log
from ansible_collections.inferops.amd.plugins.module_utils.ollama_api import ApiNotAnswering, client_url, wait_for_version
from ansible_collections.inferops.amd.plugins.module_utils.command_runner import CommandRunner
from ansible_collections.inferops.amd.plugins.module_utils.systemd_dropin import (
    DropinError, render_environment_dropin, settings_values)
from ansible_collections.inferops.amd.plugins.module_utils import systemd_unit

DROPIN_NAME = "inferops-backend.conf"
SETTINGS_NAME = "inferops-settings.conf"
SETTINGS_COMMENT = "Managed by inferops.amd.ollama_backend (environment): do not edit, run the module instead."
UNIT_NAME = re.compile(r"^[A-Za-z0-9:_.\\-]+@?[A-Za-z0-9:_.\\-]*\.service$")


def validate_unit(unit):
    """None, or why ``unit`` is no systemd service name (checked before anything is written)."""
    if not unit or "/" in unit or not UNIT_NAME.match(unit) or unit.startswith("."):
        return ("unit '%s' is not a systemd service name; expected NAME.service (letters, digits, ':', '_', '.', "
                "'-', '\\', no '/'), e.g. ollama.service" % unit)
    return None


def missing_unit(root, unit):
    """None, or why no drop-in may be written for ``unit``: systemd has no unit file by that name.

    A drop-in for a unit that does not exist (``olama.service``) is read by nothing; the unit is
    looked for where systemd looks (systemd_unit.UNIT_SEARCH_PATH), before anything is written.
    """
    if systemd_unit.find_unit_file(root, unit) is not None:
        return None
    names = systemd_unit.unit_file_names(unit)
    return ("unit '%s' not found: no unit file %s in %s (the systemd unit search path, inside sysroot %s); nothing "
            "was written. Check the unit option (default ollama.service), or install the unit first"
            % (unit, " or ".join(names), ", ".join(systemd_unit.UNIT_SEARCH_PATH), root.root))


def dropin_path(unit, name=DROPIN_NAME):
    return "/etc/systemd/system/%s.d/%s" % (unit, name)


def settings_text(environment, backend):
    """(values, drop-in text or None to remove it) for the ``environment`` option; raises DropinError."""
    values = settings_values(environment)
    clashing = planning.backend_switches_in(values, backend)
    if clashing:
        raise DropinError("environment sets %s, which select%s the GPU backend; with backend '%s' only the backend "
                          "drop-in sets %s: choose the backend (and gfx_version_override) instead" % (
                              ", ".join(clashing), "s" if len(clashing) == 1 else "", backend,
                              "it" if len(clashing) == 1 else "them"))
    return values, (render_environment_dropin(values, comment=SETTINGS_COMMENT) if values else None)


def dropin_text(plan):
    """Drop-in for ``plan``, or None when nothing is to be set (``auto``)."""
    if plan.backend == "auto" or not plan.environment:
        return None if plan.backend == "auto" else _with_comment(plan, {})
    return _with_comment(plan, plan.environment)


def _with_comment(plan, environment):
    comment = "\n".join([
        "Managed by inferops.amd.ollama_backend: do not edit, run the module instead.",
        "%s %s" % (planning.BACKEND_MARK, plan.backend),
        "mechanism: %s" % plan.mechanism,
    ])
    return render_environment_dropin(environment, comment=comment)


def unit_listing(install, moves=()):
    """One line per backend unit (``path`` or ``path -> stash``), after applying ``moves``."""
    moved = dict(moves)
    lines = []
    for unit in install.units:
        where = moved.get(unit.current, unit.current)
        lines.append("%s\n" % unit.home if where == unit.home else "%s -> %s\n" % (unit.home, where))
    return "".join(lines)


def kfd_gpu_order(root):
    """PCI addresses of the KFD GPU nodes in node order (the ROCm device numbering)."""
    nodes = sorted((int(n) for n in root.list_dir(amd_gpu.KFD_NODES) if n.isdigit()))
    order = []
    for node in nodes:
        props = amd_gpu.parse_kfd_properties(root.read_text("%s/%d/properties" % (amd_gpu.KFD_NODES, node)))
        if props.get("gfx_target_version") and "location_id" in props:
            loc = props["location_id"]
            order.append("%04x:%02x:%02x.%x" % (props.get("domain", 0), loc >> 8, (loc >> 3) & 0x1F, loc & 0x7))
    return order


def host_devices(root):
    """AMD GPUs with their ROCm index (KFD GPU node order, as ROCR enumerates agents)."""
    gpus = amd_gpu.gather_gpus(root)
    order = kfd_gpu_order(root)
    devices = []
    for gpu in gpus:
        bdf = gpu["pci_address"]
        devices.append({"pci_id": bdf, "gfx_target": gpu["gfx_target"], "integrated": bool(gpu["integrated"]),
                        "name": gpu["name"], "vram_bytes": gpu["vram_bytes"], "rocm_index": order.index(bdf) if bdf in order else None})
    return devices


def read_version(module, root, install):
    if module.params["version"]:
        return module.params["version"]
    executable = root.path(install.binary)
    if not os.access(executable, os.X_OK):
        module.fail_json(msg="%s is not executable, so its version is unknown; which switch works depends on the "
                             "version: set the version option" % install.binary)
    rc, out, err = CommandRunner(root, module.run_command).run([executable, "--version"], check=False)
    version = ollama_install.parse_version(out + "\n" + err)
    if version is None:
        module.fail_json(msg="could not read the Ollama version from '%s --version' (rc=%s): %s; set the version "
                             "option" % (install.binary, rc, (out + err).strip()))
    return version


def run_tool(module, root, name, args):
    tool = root.find_tool(name)
    if tool is None:
        module.fail_json(msg="%s not found in %s (needed to %s)" % (
            name, root.root, "restart the service" if name == "systemctl" else "read the service's journal"))
    return CommandRunner(root, module.run_command).run([tool] + args, check=False)


def read_journal(module, root, unit):
    rc, out, err = run_tool(module, root, "journalctl", ["-u", unit, "-o", "cat", "--no-pager", "-b"])
    if rc != 0:
        module.fail_json(msg="journalctl -u %s failed (rc=%d): %s" % (unit, rc, err.strip()))
    return out


def run_systemctl(module, root, commands):
    """Run each ``systemctl`` command in turn; fail naming the first that fails."""
    for args in commands:
        rc, out, err = run_tool(module, root, "systemctl", args)
        if rc != 0:
            module.fail_json(msg="systemctl %s failed (rc=%d): %s" % (" ".join(args), rc, (err or out).strip()))


def restart_service(module, root, unit):
    run_systemctl(module, root, [["daemon-reload"], ["restart", unit]])


def read_service(module, root, unit):
    """``{"before": properties, "actions": verbs}`` that leave ``unit`` enabled and running; fails when none can."""
    rc, out, err = run_tool(module, root, "systemctl",
                            ["show", unit, "--property=%s" % ",".join(systemd_unit.SHOW_PROPERTIES)])
    if rc != 0:
        module.fail_json(msg="systemctl show %s failed (rc=%d): %s" % (unit, rc, (err or out).strip()))
    properties = systemd_unit.parse_show(out)
    actions, problem = systemd_unit.start_actions(unit, properties)
    if problem:
        module.fail_json(msg="cannot start Ollama: %s" % problem)
    return {"before": properties, "actions": actions}


def bring_up(module, root, unit, actions):
    """Run the verbs of :func:`read_service` (``start`` after a ``daemon-reload``, as a changed unit needs)."""
    commands = []
    if "enable" in actions:
        commands.append(["enable", unit])
    if "start" in actions:
        commands += [["daemon-reload"], ["start", unit]]
    run_systemctl(module, root, commands)


def wait_for_start(module, root, unit, timeout):
    """The running process's start once it has logged its devices; fails at the timeout."""
    deadline = time.time() + timeout
    while True:
        start = ollama_log.current_server_start(read_journal(module, root, unit))
        if start is not None and start.devices:
            return start
        if time.time() >= deadline:
            module.fail_json(msg="no 'inference compute' line from a new start of %s in its journal within %d s; "
                                 "is the service running?" % (unit, timeout))
        time.sleep(0.5)


def verify(module, root, unit, plan, timeout, result, known_active=False):
    """Fail (with ``result``) unless the newest server start runs the devices that matter on the backend.

    ``known_active``: this run's ``systemctl show`` said ActiveState=active and nothing was started or
    restarted since, so ``systemctl is-active`` would only say it again.
    """
    if not known_active:
        rc, out, err = run_tool(module, root, "systemctl", ["is-active", unit])
        if rc != 0:
            module.fail_json(msg="cannot verify: %s is not running (systemctl is-active: %s)" % (
                unit, (out or err).strip() or rc), **result)
    deadline = time.time() + timeout
    start = wait_for_start(module, root, unit, timeout)
    verification = start.as_dict()
    verification["placements"] = ollama_log.placements(start, plan.devices)
    result["verification"] = verification
    if start.address:
        verification["api_url"] = client_url(start.address)
        try:
            verification["api_version"] = wait_for_version(
                lambda url: open_url(url, timeout=5, use_proxy=False).read(), verification["api_url"], deadline)
        except ApiNotAnswering as exc:
            module.fail_json(msg="%s logged its devices but its API does not answer: %s" % (unit, exc), **result)
    if plan.backend == "auto":
        return
    problem = ollama_log.judge(start, plan.backend, plan.devices)
    if problem:
        module.fail_json(msg="Ollama %s did not come up on %s as asked: %s" % (
            start.version or "(unknown version)", plan.backend, problem), **result)


ARGUMENT_SPEC = dict(
    backend=dict(type="str", required=True, choices=list(planning.BACKENDS)),
    gfx_version_override=dict(type="str"),
    mechanism=dict(type="str", default="auto", choices=list(planning.MECHANISMS)),
    binary=dict(type="path"),
    install_dir=dict(type="path"),
    version=dict(type="str"),
    unit=dict(type="str", default="ollama.service"),
    environment=dict(type="dict"),
    start=dict(type="bool", default=False),
    restart=dict(type="bool", default=False),
    verify=dict(type="bool", default=False),
    verify_timeout=dict(type="int", default=60),
)


def validate_options(module):
    """Every check of option values that needs no machine; fails before anything is read or written."""
    params = module.params
    problem = validate_unit(params["unit"])
    if problem:
        module.fail_json(msg=problem)
    if params["verify_timeout"] < 0:
        module.fail_json(msg="verify_timeout %d is negative; expected seconds >= 0" % params["verify_timeout"])
    try:
        gfx = planning.validate_gfx_version(params["gfx_version_override"])
        if params["version"]:
            ollama_install.version_tuple(params["version"])
    except (planning.PlanError, ValueError) as exc:
        module.fail_json(msg=str(exc))
    if gfx and params["backend"] != "rocm":
        module.warn("gfx_version_override only applies to ROCm; ignored for backend '%s'" % params["backend"])
        gfx = None
    return gfx


def load(module):
    """(root, install, version, plan) for the arguments; fails before anything is touched."""
    params = module.params
    gfx = validate_options(module)
    root = module_sysroot(module)
    try:
        install = ollama_install.find_install(root, params["binary"], params["install_dir"])
        record = state.read_state(root, install.stash_dir)
    except (state.StateError, ollama_install.OllamaNotInstalled, ollama_install.UnknownLayout) as exc:
        module.fail_json(msg=str(exc))
    problem = missing_unit(root, params["unit"])
    if problem:
        module.fail_json(msg=problem)
    version = read_version(module, root, install)
    try:
        plan = planning.plan_backend(install, params["backend"], ollama_install.version_tuple(version),
                                     host_devices(root), params["mechanism"], gfx)
    except planning.PlanError as exc:
        module.fail_json(msg=str(exc))
    plan.restores = ollama_install.legacy_renamed(root, install)
    problem = state.check_moves(root, plan.moves + plan.restores)
    if problem:
        module.fail_json(msg="cannot switch %s to %s: %s" % (install.lib_dir, params["backend"], problem))
    for entry in record["moves"]:
        if entry["to"] not in [unit.current for unit in install.units]:
            module.fail_json(msg="%s records %s moved to %s, but it is not there; nothing changed. Put it back "
                                 "by hand and remove the record" % (state.record_path(install.stash_dir),
                                                                    entry["from"], entry["to"]))
    for warning in plan.warnings:
        module.warn(warning)
    return root, install, version, plan


def file_state(old, new):
    """What writing ``new`` (None: removing) over ``old`` does to a drop-in."""
    if old != new:
        return "written" if new is not None else "removed"
    return "unchanged" if new is not None else "absent"


def describe(module, install, version, plan, old_dropin, new_dropin, settings=None):
    """The result dict (and diff) of the planned change, before it is applied.

    ``settings`` is (values, old text, new text) of the settings drop-in, or None when it is left alone.
    """
    path = dropin_path(module.params["unit"])
    dropin_changed = old_dropin != new_dropin
    dropin_state = file_state(old_dropin, new_dropin)
    settings_changed = settings is not None and settings[1] != settings[2]
    moves = plan.moves + plan.restores
    result = dict(
        changed=dropin_changed or bool(moves) or settings_changed,
        previous_backend=planning.configured_backend(install, old_dropin),
        backend=plan.backend, mechanism=plan.mechanism, version=version,
        release_row=plan.row.as_dict(),
        devices=plan.devices,
        moved=[{"from": a, "to": b} for a, b in moves],
        dropin={"path": path, "environment": plan.environment, "state": dropin_state},
        restarted=False,
    )
    if module._diff:
        listing = "%s (GPU backends)" % install.lib_dir
        result["diff"] = [
            {"before_header": path, "after_header": path, "before": old_dropin or "", "after": new_dropin or ""},
            {"before_header": listing, "after_header": listing,
             "before": unit_listing(install), "after": unit_listing(install, plan.moves)},
        ]
    if settings is not None:
        values, old_text, new_text = settings
        settings_path = dropin_path(module.params["unit"], SETTINGS_NAME)
        result["settings"] = {"path": settings_path, "environment": values, "state": file_state(old_text, new_text)}
        if module._diff:
            result["diff"].append({"before_header": settings_path, "after_header": settings_path,
                                   "before": old_text or "", "after": new_text or ""})
    return result


def write_dropin(root, unit, text, name=DROPIN_NAME):
    path = dropin_path(unit, name)
    if text is None:
        root.remove(path)
        folder = root.path(os.path.dirname(path))
        if os.path.isdir(folder) and not os.listdir(folder):
            os.rmdir(folder)
    else:
        root.write_config(path, text, mode=0o644)


class ApplyError(Exception):
    """A write or move failed; what this run had changed before it is put back."""


def apply(module, root, install, plan, new_dropin, settings=None):
    """Write the settings drop-in, then switch the backend; a failure puts back what this run changed."""
    unit = module.params["unit"]
    settings_changed = settings is not None and settings[1] != settings[2]
    try:
        if settings_changed:
            try:
                write_dropin(root, unit, settings[2], SETTINGS_NAME)
            except (IOError, OSError) as exc:
                raise ApplyError("writing %s failed, nothing changed: %s" % (dropin_path(unit, SETTINGS_NAME), exc))
        try:
            apply_backend(root, unit, install, plan, new_dropin)
        except ApplyError:
            if settings_changed:
                write_dropin(root, unit, settings[1], SETTINGS_NAME)
            raise
    except ApplyError as exc:
        module.fail_json(msg=str(exc))


def apply_backend(root, unit, install, plan, new_dropin):
    """Move backends, then write or remove the drop-in; undo the moves if that fails (raises ApplyError)."""
    try:
        for source, target in plan.restores:
            os.rename(root.path(source), root.path(target))
        state.apply_moves(root, plan.moves, install.stash_dir)
    except (OSError, state.StateError) as exc:
        raise ApplyError("moving Ollama backends in %s failed, nothing changed: %s" % (install.lib_dir, exc))
    try:
        write_dropin(root, unit, new_dropin)
    except (IOError, OSError) as exc:
        state.apply_moves(root, [(b, a) for a, b in reversed(plan.moves)], install.stash_dir)
        raise ApplyError("writing %s failed, backend moves undone: %s" % (dropin_path(unit), exc))


def main():
    module = AnsibleModule(argument_spec=with_sysroot_option(ARGUMENT_SPEC), supports_check_mode=True)
    params = module.params
    unit = params["unit"]
    root, install, version, plan = load(module)
    settings = None
    try:
        new_dropin = dropin_text(plan)
        if params["environment"] is not None:
            values, new_settings = settings_text(params["environment"], params["backend"])
            settings = (values, root.read_text(dropin_path(unit, SETTINGS_NAME)), new_settings)
    except DropinError as exc:
        module.fail_json(msg=str(exc))
    service = read_service(module, root, unit) if params["start"] else None
    result = describe(module, install, version, plan, root.read_text(dropin_path(unit)), new_dropin, settings)
    changed = result["changed"]
    if changed and not module.check_mode:
        apply(module, root, install, plan, new_dropin, settings)
        install = ollama_install.find_install(root, params["binary"], params["install_dir"])
        if params["restart"]:
            restart_service(module, root, unit)
            result["restarted"] = True
    started = False
    if service is not None:
        if result["restarted"]:
            service["actions"] = [verb for verb in service["actions"] if verb != "start"]
        if not module.check_mode:
            bring_up(module, root, unit, service["actions"])
        started = "start" in service["actions"]
        result["service"] = service
        result["changed"] = changed or bool(service["actions"])
    result["restart_required"] = changed and not (result["restarted"] or started)
    result["install"] = install.as_dict()

    if params["verify"]:
        if module.check_mode and (changed or started):
            module.warn("verify skipped in check mode: the service does not run the planned settings yet")
        elif result["restart_required"]:
            module.fail_json(msg="backend settings changed in this run but %s was not restarted; restart it "
                                 "(or set restart=true) before verifying" % unit, **result)
        else:
            known_active = (service is not None and not service["actions"] and not result["restarted"]
                            and service["before"].get("ActiveState") == "active")
            verify(module, root, unit, plan, params["verify_timeout"], result, known_active)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
