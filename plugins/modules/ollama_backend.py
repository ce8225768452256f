#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ollama_backend
short_description: Select the GPU backend Ollama runs on (Vulkan, ROCm or CPU), or verify that it runs on it
version_added: "0.1.0"
description:
  - With both its ROCm and Vulkan libraries installed, Ollama keeps ROCm for an AMD GPU,
    although Vulkan (RADV) decoded about 10% faster through Ollama (20% in raw llama.cpp) on an
    RX 9070 XT (the RX 9070 XT Ollama article).
  - The module finds how Ollama is installed (official archive with backend folders under
    C(/usr/local/lib/ollama), a distribution's C(/usr/lib/ollama) with folders or flat files), its
    version, and the host's AMD GPUs, and looks the release and layout up in one table
    (C(ollama_release_table), shown with its sources in docs/ollama.md) for what selects each backend.
  - "It does one of two things. Without O(verify) it B(selects) the backend: by default only environment is used,
    C(ROCR_VISIBLE_DEVICES=-1) hides ROCm, C(GGML_VK_VISIBLE_DEVICES=-1) or C(OLLAMA_VULKAN=0) hides Vulkan,
    C(OLLAMA_VULKAN=1) where the release gates Vulkan, C(OLLAMA_IGPU_ENABLE=1) where it drops an integrated GPU
    that matters, C(HSA_OVERRIDE_GFX_VERSION[_<n>]) only for a device whose gfx target the installed ROCm build
    lacks. It goes into the drop-in C(/etc/systemd/system/<unit>.d/inferops-backend.conf), written atomically; the
    vendor unit is never edited. The change takes effect when the service restarts: RV(restart_required) says so,
    and a handler restarts it (M(inferops.amd.systemd_service) with C(state=restarted))."
  - O(mechanism=files) moves whole backend folders (flat layout, the backend's library file) to
    C(<lib_dir>.inferops-disabled) and records each move in C(<lib_dir>.inferops-disabled/inferops-moves.json);
    O(backend=auto) moves everything back, removes the drop-in and the record.
  - With O(verify) it B(verifies) and writes nothing. It fails when the selection does not hold (the drop-in or the
    folders differ from what O(backend) needs), then reads the journal of the running service and judges the devices
    that matter (every discrete AMD GPU, and an integrated one when it is the only AMD GPU or a Strix Halo gfx1151),
    each of which must be in an C(inference compute) line of the backend asked for, and asks the API for its
    version. A failure quotes Ollama's own line (the dropped-iGPU line naming C(OLLAMA_IGPU_ENABLE=1), the
    Vulkan-disabled line) and names the variable that fixes it.
  - Every option is validated before anything is written.
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
        environment).
    type: str
    default: auto
    choices: [auto, environment, files]
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
        run where the module runs (on a tree, whose C(ollama) runs only where the controller set
        C(INFEROPS_SIMULATION=1)). Needed when the version cannot be read, as the switch depends on it.
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
  verify:
    description:
      - Verify instead of selecting; nothing is written, in check mode or not.
      - Fails, naming what would change, when the selection for O(backend) does not hold. Otherwise runs
        C(systemctl is-active <unit>), reads the unit's journal for the current boot
        (C(journalctl -u <unit> -o cat -b)) until the process systemd started last has logged its devices, and
        fails unless every device that matters is on the backend asked for (for V(cpu), no GPU device at all);
        then asks C(GET /api/version) at the address the server logged (a wildcard address on loopback). Waits up
        to O(verify_timeout) for both.
      - On a tree (an O(sysroot) other than V(/)) no service runs unless the controller switched the simulation on
        and the tree carries a C(systemctl); there the server is not verified (RV(verified) is false and RV(msg)
        says why) and the module does not fail for that.
      - In check mode (a run of audit.yml, where the task that selects changed nothing), a selection that does not
        hold yet and a service that does not run are not failures; RV(verified) is false and RV(msg) says what the
        selecting and starting tasks would have changed.
    type: bool
    default: false
  verify_timeout:
    description:
      - Seconds to wait for the server to log its devices and for its API to answer.
    type: int
    default: 60
attributes:
  check_mode:
    description:
      - Validates everything and predicts the change; writes nothing. It runs C(ollama --version) (unless O(version) is
        set) and, with O(verify), the read-only C(systemctl is-active), C(journalctl) and C(GET /api/version), as
        outside check mode.
    support: full
  diff_mode:
    description: Shows the drop-in and the list of backend folders/libraries (where each is), before and after.
    support: full
notes:
  - Paths (executable, libraries, drop-in, record) are resolved inside O(sysroot), and C(ollama), C(systemctl) and
    C(journalctl) are taken from it and run through the collection's command runner (C locale); on a tree they run
    only when the controller set C(INFEROPS_SIMULATION=1) (the tests and the demo do).
  - A package upgrade brings moved backend folders back (mechanism=files); run the module again afterwards. The
    environment mechanism needs no such care.
  - See docs/ollama.md for the release table and the sources of every row.
seealso:
  - module: inferops.amd.hardware_facts
  - module: inferops.amd.systemd_service
  - name: Ollama GPU documentation
    description: Backends Ollama supports and how it selects them.
    link: https://github.com/ollama/ollama/blob/main/docs/gpu.mdx
"""

EXAMPLES = r"""
- name: Run Ollama on Vulkan (RADV) on an RDNA4 card
  inferops.amd.ollama_backend:
    backend: vulkan
  notify: Restart ollama

- name: Apply the restart before verifying
  ansible.builtin.meta: flush_handlers

- name: Check that the running server is on Vulkan
  inferops.amd.ollama_backend:
    backend: vulkan
    verify: true
  register: ollama_verified

- name: ROCm, moving the Vulkan folder out of the way instead of using the environment
  inferops.amd.ollama_backend:
    backend: rocm
    mechanism: files
  notify: Restart ollama

- name: Undo everything the module did
  inferops.amd.ollama_backend:
    backend: auto
  notify: Restart ollama
"""

RETURN = r"""
previous_backend:
  description: Backend the drop-in and the moved folders selected before this run (V(auto) when nothing did).
  returned: success
  type: str
  sample: auto
backend:
  description: Backend now selected (with O(verify), the one asked for, whose selection holds).
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
  sample: {releases: "0.30.1 - 0.32.15", layout: subfolders, igpu: {vulkan: dropped, rocm: dropped unless gfx1151}}
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
  description:
    - Moves made by this run (in check mode, that it would make; with O(verify), that selecting would make), each with
      C(from) and C(to) machine paths.
  returned: success
  type: list
  elements: dict
  sample: [{from: /usr/local/lib/ollama/rocm, to: /usr/local/lib/ollama.inferops-disabled/rocm}]
dropin:
  description:
    - The drop-in, its environment and what this run did to it (in check mode, would do; with O(verify), what
      selecting would do) - V(written), V(removed), V(unchanged) or V(absent).
  returned: success
  type: dict
  sample: {path: /etc/systemd/system/ollama.service.d/inferops-backend.conf, state: written,
           environment: {ROCR_VISIBLE_DEVICES: "-1", OLLAMA_VULKAN: "1"}}
restart_required:
  description:
    - True when the selection changed (in check mode, would change), so the service must restart to run it.
    - Always false with O(verify), which changes nothing.
  returned: success
  type: bool
verified:
  description: With O(verify), true when the running server's log was read and judged (RV(verification)); false on a
    tree where no service runs (RV(msg) says why). Without O(verify), false.
  returned: success
  type: bool
msg:
  description: What the run did, or, with O(verify) on a tree where no service runs, why the server was not verified.
  returned: success
  type: str
  sample: "ollama.service runs on vulkan: every device that matters is in its inference compute lines"
verification:
  description:
    - With O(verify), what the last server start logged (version, address, devices, libraries) and C(placements),
      one per host GPU with C(name), C(pci_id), C(library), C(compute), C(type) and C(matters).
    - C(api_url) is where a client on the machine reaches the API, C(api_version) the version it answered with.
  returned: when verify is true and the server was read
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

from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import module_sysroot, with_sysroot_option
from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import cards as amd_gpu
from ansible_collections.inferops.amd.plugins.module_utils._pci import devices as pci_devices
from ansible_collections.inferops.amd.plugins.module_utils._ollama import install as ollama_install
from ansible_collections.inferops.amd.plugins.module_utils._ollama import plan as planning
from ansible_collections.inferops.amd.plugins.module_utils._ollama import state
from ansible_collections.inferops.amd.plugins.module_utils._ollama import log as ollama_log
from ansible_collections.inferops.amd.plugins.module_utils._ollama.api import ApiNotAnswering, client_url, wait_for_version
from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandError, CommandRunner
from ansible_collections.inferops.amd.plugins.module_utils._systemd.dropins import DropinError, render_environment_dropin
from ansible_collections.inferops.amd.plugins.module_utils._systemd import service as systemd_service
from ansible_collections.inferops.amd.plugins.module_utils._systemd import units as systemd_unit

DROPIN_NAME = "inferops-backend.conf"
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


def dropin_path(unit):
    return "/etc/systemd/system/%s.d/%s" % (unit, DROPIN_NAME)


def dropin_text(plan):
    """Drop-in for ``plan``, or None when nothing is to be set (``auto``)."""
    if plan.backend == "auto":
        return None
    comment = "\n".join([
        "Managed by inferops.amd.ollama_backend: do not edit, run the module instead.",
        "%s %s" % (planning.BACKEND_MARK, plan.backend),
        "mechanism: %s" % plan.mechanism,
    ])
    return render_environment_dropin(plan.environment, comment=comment)


def unit_listing(install, moves=()):
    """One line per backend unit (``path`` or ``path -> stash``), after applying ``moves``."""
    moved = dict(moves)
    lines = []
    for unit in install.units:
        where = moved.get(unit.current, unit.current)
        lines.append("%s\n" % unit.home if where == unit.home else "%s -> %s\n" % (unit.home, where))
    return "".join(lines)


def host_devices(root):
    """AMD GPUs with their ROCm index: their place among the KFD GPU nodes, the order ROCR enumerates agents."""
    kfd_order = list(amd_gpu.kfd_gfx_targets(root))
    return [{"pci_id": gpu["pci_address"], "gfx_target": gpu["gfx_target"], "integrated": bool(gpu["integrated"]),
             "name": gpu["name"], "vram_bytes": gpu["vram_bytes"], "gtt_bytes": gpu["gtt_bytes"],
             # what Ollama's ROCm discovery reads to class it (discover/amd.go readROCmDRMDevice)
             "board_info": root.exists(pci_devices.device_path(gpu["pci_address"]) + "/board_info"),
             "vram_vendor": root.exists(pci_devices.device_path(gpu["pci_address"]) + "/mem_info_vram_vendor"),
             "rocm_index": kfd_order.index(gpu["pci_address"]) if gpu["pci_address"] in kfd_order else None}
            for gpu in amd_gpu.gather_gpus(root)]


def read_version(module, runner, install):
    if module.params["version"]:
        return module.params["version"]
    executable = runner.root.path(install.binary)
    if not os.access(executable, os.X_OK):
        module.fail_json(msg="%s is not executable, so its version is unknown; which switch works depends on the "
                             "version: set the version option" % install.binary)
    try:
        rc, out, err = runner.run([executable, "--version"], check=False)
    except CommandError as exc:
        module.fail_json(msg="cannot read the Ollama version: %s; set the version option" % exc)
    version = ollama_install.parse_version(out + "\n" + err)
    if version is None:
        module.fail_json(msg="could not read the Ollama version from '%s --version' (rc=%s): %s; set the version "
                             "option" % (install.binary, rc, (out + err).strip()))
    return version


ARGUMENT_SPEC = dict(
    backend=dict(type="str", required=True, choices=list(planning.BACKENDS)),
    gfx_version_override=dict(type="str"),
    mechanism=dict(type="str", default="auto", choices=list(planning.MECHANISMS)),
    binary=dict(type="path"),
    install_dir=dict(type="path"),
    version=dict(type="str"),
    unit=dict(type="str", default="ollama.service"),
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


def load(module, runner):
    """(install, version, plan) for the arguments; fails before anything is touched."""
    params = module.params
    gfx = validate_options(module)
    root = runner.root
    try:
        install = ollama_install.find_install(root, params["binary"], params["install_dir"])
        record = state.read_state(root, install.stash_dir)
    except (state.StateError, ollama_install.OllamaNotInstalled, ollama_install.UnknownLayout) as exc:
        module.fail_json(msg=str(exc))
    problem = missing_unit(root, params["unit"])
    if problem:
        module.fail_json(msg=problem)
    version = read_version(module, runner, install)
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
    return install, version, plan


def file_state(old, new):
    """What writing ``new`` (None: removing) over ``old`` does to a drop-in."""
    if old != new:
        return "written" if new is not None else "removed"
    return "unchanged" if new is not None else "absent"


def describe(module, install, version, plan, old_dropin, new_dropin):
    """The result dict (and diff) of the planned change, before it is applied."""
    path = dropin_path(module.params["unit"])
    moves = plan.moves + plan.restores
    changed = old_dropin != new_dropin or bool(moves)
    result = dict(
        changed=changed,
        previous_backend=planning.configured_backend(install, old_dropin),
        backend=plan.backend, mechanism=plan.mechanism, version=version,
        release_row=plan.row.as_dict(),
        devices=plan.devices,
        moved=[{"from": a, "to": b} for a, b in moves],
        dropin={"path": path, "environment": plan.environment, "state": file_state(old_dropin, new_dropin)},
        restart_required=changed,
        verified=False,
        install=install.as_dict(),
    )
    if module._diff:
        listing = "%s (GPU backends)" % install.lib_dir
        result["diff"] = [
            {"before_header": path, "after_header": path, "before": old_dropin or "", "after": new_dropin or ""},
            {"before_header": listing, "after_header": listing,
             "before": unit_listing(install), "after": unit_listing(install, plan.moves)},
        ]
    return result


def pending_changes(result):
    """What selecting the backend would change, as phrases (for the verification's failure)."""
    changes = []
    if result["dropin"]["state"] in ("written", "removed"):
        changes.append("%s would be %s" % (result["dropin"]["path"], result["dropin"]["state"]))
    changes += ["%s would move to %s" % (move["from"], move["to"]) for move in result["moved"]]
    return changes


def write_dropin(root, unit, text):
    path = dropin_path(unit)
    if text is None:
        root.remove(path)
        folder = root.path(os.path.dirname(path))
        if os.path.isdir(folder) and not os.listdir(folder):
            os.rmdir(folder)
    else:
        root.write_config(path, text, mode=0o644)


def apply_selection(module, root, install, plan, new_dropin):
    """Move backends, then write or remove the drop-in; undo the moves if that fails."""
    unit = module.params["unit"]
    try:
        for source, target in plan.restores:
            os.rename(root.path(source), root.path(target))
        state.apply_moves(root, plan.moves, install.stash_dir)
    except (OSError, state.StateError) as exc:
        module.fail_json(msg="moving Ollama backends in %s failed, nothing changed: %s" % (install.lib_dir, exc))
    try:
        write_dropin(root, unit, new_dropin)
    except (IOError, OSError) as exc:
        state.apply_moves(root, [(b, a) for a, b in reversed(plan.moves)], install.stash_dir)
        module.fail_json(msg="writing %s failed, backend moves undone: %s" % (dropin_path(unit), exc))


def no_running_services(module, runner, result):
    """None where the root has a service manager to ask (the rule of systemd_service), else why no service runs."""
    try:
        _systemctl, why_not = systemd_service.service_manager(runner.root, runner)
    except systemd_service.ServiceError as exc:
        module.fail_json(msg="cannot verify: %s" % exc, **result)
    if why_not is None:
        return None
    return "sysroot %s is a tree, and a tree has no running services (%s): the server was not verified" % (
        runner.root.root, why_not)


def run_read(module, runner, argv, result):
    """``(rc, out)`` of a read-only tool run through the command runner; a missing or refused tool fails."""
    try:
        rc, out, err = runner.run(argv, check=False)
    except CommandError as exc:
        module.fail_json(msg="cannot verify: %s" % exc, **result)
    return rc, out or err


def wait_for_start(module, runner, unit, deadline, result):
    """The running process's start once it has logged its devices; fails at the deadline."""
    while True:
        rc, text = run_read(module, runner, ["journalctl", "-u", unit, "-o", "cat", "--no-pager", "-b"], result)
        if rc != 0:
            module.fail_json(msg="journalctl -u %s failed (exit %d): %s" % (unit, rc, text.strip()), **result)
        start = ollama_log.current_server_start(text)
        if start is not None and start.devices:
            return start
        if time.time() >= deadline:
            module.fail_json(msg="no 'inference compute' line from a new start of %s in its journal within %d s; "
                                 "is the service running?" % (unit, module.params["verify_timeout"]), **result)
        time.sleep(0.5)


def verify(module, runner, plan, result):
    """Fail (with ``result``) unless the newest server start runs the devices that matter on the backend."""
    unit = module.params["unit"]
    rc, state_text = run_read(module, runner, ["systemctl", "is-active", unit], result)
    if rc != 0 and module.check_mode:
        # In check mode the task that would start it started nothing (audit.yml): its drift, reported there.
        result["msg"] = "check mode: %s is not running (systemctl is-active: %s); not verified" % (
            unit, state_text.strip() or rc)
        return
    if rc != 0:
        module.fail_json(msg="cannot verify: %s is not running (systemctl is-active: %s)" % (
            unit, state_text.strip() or rc), **result)
    deadline = time.time() + module.params["verify_timeout"]
    start = wait_for_start(module, runner, unit, deadline, result)
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
    if plan.backend != "auto":
        problem = ollama_log.judge(start, plan.backend, plan.devices)
        if problem:
            module.fail_json(msg="Ollama %s did not come up on %s as asked: %s" % (
                start.version or "(unknown version)", plan.backend, problem), **result)
    result["verified"] = True
    result["msg"] = ("%s runs on %s: every device that matters is in its inference compute lines" % (unit, plan.backend)
                     if plan.backend != "auto" else "%s runs; Ollama chose %s" % (
                         unit, ", ".join(start.libraries) or "no device"))


def main():
    module = AnsibleModule(argument_spec=with_sysroot_option(ARGUMENT_SPEC), supports_check_mode=True)
    params = module.params
    unit = params["unit"]
    runner = CommandRunner(module_sysroot(module), module.run_command)
    root = runner.root
    install, version, plan = load(module, runner)
    try:
        new_dropin = dropin_text(plan)
    except DropinError as exc:
        module.fail_json(msg=str(exc))
    result = describe(module, install, version, plan, root.read_text(dropin_path(unit)), new_dropin)

    if params["verify"]:
        # Verifying writes nothing: `dropin` and `moved` say what selecting would do.
        pending = pending_changes(result)
        result.update(changed=False, restart_required=False)
        if pending and module.check_mode:
            # A run in check mode (audit.yml) selected nothing, so the server cannot run the selection yet: that
            # drift is the select task's finding, not a failed verification.
            result["msg"] = "check mode: the selection of %s does not hold yet (%s); the running server was not verified" % (
                plan.backend, "; ".join(pending))
            module.exit_json(**result)
        if pending:
            module.fail_json(msg="the selection of %s does not hold: %s; the running server cannot run it. Select it "
                                 "(verify=false), restart %s, then verify" % (plan.backend, "; ".join(pending), unit),
                             **result)
        why_not = no_running_services(module, runner, result)
        if why_not:
            result["msg"] = why_not
        else:
            verify(module, runner, plan, result)
        module.exit_json(**result)

    if result["changed"] and not module.check_mode:
        apply_selection(module, root, install, plan, new_dropin)
        result["install"] = ollama_install.find_install(root, params["binary"], params["install_dir"]).as_dict()
    if result["changed"]:
        result["msg"] = "%s %s; restart %s to run it" % (
            "would select" if module.check_mode else "selected", plan.backend, unit)
    else:
        result["msg"] = "%s is selected already" % plan.backend
    module.exit_json(**result)


if __name__ == "__main__":
    main()
