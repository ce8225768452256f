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
    RX 9070 XT (seed 003_2beb429f78c8fd9f.txt).
  - The module finds how Ollama is installed (official archive with backend folders under
    C(/usr/local/lib/ollama), or a distribution's flat C(/usr/lib/ollama)) and its version, and
    applies the least invasive switch that works there. Where backends live in folders and the
    version honours it (0.12.11 and later) that is the environment (C(OLLAMA_LLM_LIBRARY),
    C(OLLAMA_VULKAN)); otherwise the competing library is renamed to
    C(<name>.inferops-disabled), which switching back undoes.
  - Environment goes into the drop-in C(/etc/systemd/system/<unit>.d/inferops-backend.conf),
    written atomically; the vendor unit is never edited.
  - A change takes effect when the service restarts (C(restart_required) says so). With O(verify)
    the module reads the journal of the running service and fails when the library it logged in
    its C(inference compute) line is not the backend asked for.
  - Check mode runs only C(ollama --version), which changes nothing.
author:
  - inferops.amd contributors (@inferops)
extends_documentation_fragment:
  - inferops.amd.sysroot
options:
  backend:
    description:
      - V(vulkan) and V(rocm) select that GPU backend; V(cpu) keeps every GPU backend out;
        V(auto) removes the module's drop-in and restores every library it disabled, so Ollama
        chooses by itself again.
    type: str
    required: true
    choices: [vulkan, rocm, cpu, auto]
  gfx_version_override:
    description:
      - Value for C(HSA_OVERRIDE_GFX_VERSION) with the ROCm backend (and V(auto)), as
        MAJOR.MINOR.STEPPING, e.g. V(12.0.1) for gfx1201 or V(11.5.1) for gfx1151. ROCm builds
        that lack kernels for the card's exact target need it; seed 003 used V(12.0.0) on a
        gfx1201 RX 9070 XT. Ignored, with a warning, for V(vulkan) and V(cpu).
    type: str
  mechanism:
    description:
      - V(auto) picks the environment switch where the layout and version honour it, renaming
        otherwise. V(environment) and V(rename) force one; forcing V(environment) on a version
        or layout that ignores it is what O(verify) exists to catch.
    type: str
    default: auto
    choices: [auto, environment, rename]
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
        run where the module runs.
    type: str
  unit:
    description:
      - The systemd service that runs C(ollama serve).
    type: str
    default: ollama.service
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
        fail unless the last server start logged C(inference compute) devices of the backend
        asked for. Only the process systemd started last counts (lines after the journal's last
        C(Started) line); the module waits up to O(verify_timeout) for it to log its devices.
        Needs a running service that already runs the current settings; fails when this run
        changed something and O(restart) is off.
    type: bool
    default: false
  verify_timeout:
    description:
      - Seconds to wait for the server to log its devices after a start.
    type: int
    default: 60
attributes:
  check_mode:
    description: Validates everything and predicts the change; runs only C(ollama --version) (and, with O(verify) and
      nothing to change, the read-only C(systemctl is-active) and C(journalctl)).
    support: full
  diff_mode:
    description: Shows the drop-in and the list of GPU libraries (with their disabled names) before and after.
    support: full
notes:
  - Paths (executable, libraries, drop-in) are resolved inside O(sysroot), and C(ollama), C(systemctl) and C(journalctl)
    are taken from it, so the module runs against simulated hosts unchanged.
  - A package upgrade or reinstall brings renamed libraries back; run the module again afterwards.
  - See docs/ollama.md for the sources of the version and layout rules.
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

- name: Switch, restart and prove it in one task
  inferops.amd.ollama_backend:
    backend: vulkan
    restart: true
    verify: true

- name: Back to ROCm with the gfx1201 override
  inferops.amd.ollama_backend:
    backend: rocm
    gfx_version_override: "12.0.1"
  notify: Restart ollama

- name: Undo everything the module did
  inferops.amd.ollama_backend:
    backend: auto
"""

RETURN = r"""
previous_backend:
  description: Backend the drop-in and library state selected before this run (V(auto) when nothing did).
  returned: success
  type: str
  sample: auto
backend:
  description: Backend now selected.
  returned: success
  type: str
  sample: vulkan
mechanism:
  description: Switch used, V(environment) or V(rename).
  returned: success
  type: str
  sample: rename
version:
  description: Ollama version planned for (null when it could not be read).
  returned: success
  type: str
  sample: 0.15.5
install:
  description: The installation found.
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
    layout:
      description: V(subfolders) (official archive) or V(flat) (distribution package).
      type: str
      sample: flat
    libraries:
      description: GPU backend libraries after this run, each with C(backend), C(path) and C(enabled).
      type: list
      elements: dict
      sample: [{backend: rocm, path: /usr/lib/ollama/libggml-hip.so.inferops-disabled, enabled: false}]
renamed:
  description: Libraries renamed, each with C(from) and C(to) machine paths.
  returned: success
  type: list
  elements: dict
  sample: [{from: /usr/lib/ollama/libggml-hip.so, to: /usr/lib/ollama/libggml-hip.so.inferops-disabled}]
dropin:
  description: The drop-in, its environment and what happened to it (V(written), V(removed), V(unchanged), V(absent)).
  returned: success
  type: dict
  sample: {path: /etc/systemd/system/ollama.service.d/inferops-backend.conf, state: written, environment: {OLLAMA_VULKAN: "1"}}
restart_required:
  description: True when something changed and the service has not been restarted by this run.
  returned: success
  type: bool
restarted:
  description: True when this run restarted the service.
  returned: success
  type: bool
verification:
  description: With O(verify), what the last server start logged (version, address, devices, libraries).
  returned: when verify is true and the service runs the current settings
  type: dict
  sample:
    version: 0.15.5
    address: "127.0.0.1:11434"
    libraries: [vulkan]
    devices: [{library: Vulkan, compute: "0.0", description: "AMD Radeon RX 9070 XT (RADV GFX1201)"}]
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.inferops.amd.plugins.module_utils.sysroot import module_sysroot, with_sysroot_option
from ansible_collections.inferops.amd.plugins.module_utils import ollama_install
from ansible_collections.inferops.amd.plugins.module_utils import ollama_backend_plan as planning
from ansible_collections.inferops.amd.plugins.module_utils import ollama_log
from ansible_collections.inferops.amd.plugins.module_utils.command_runner import CommandRunner
from ansible_collections.inferops.amd.plugins.module_utils.systemd_dropin import (
    DropinError, parse_environment, render_environment_dropin)

DROPIN_NAME = "inferops-backend.conf"


def dropin_path(unit):
    return "/etc/systemd/system/%s.d/%s" % (unit, DROPIN_NAME)


def dropin_text(plan):
    """Drop-in for ``plan``, or None when nothing is to be set (``auto``)."""
    if plan.backend == "auto" and not plan.environment:
        return None
    comment = "\n".join([
        "Managed by inferops.amd.ollama_backend: do not edit, run the module instead.",
        "%s %s" % (planning.BACKEND_MARK, plan.backend),
        "mechanism: %s" % plan.mechanism,
    ])
    return render_environment_dropin(plan.environment, comment=comment)


def library_listing(install, renames=()):
    """One line per GPU library (``path``), after applying ``renames``."""
    moved = dict(renames)
    return "".join("%s\n" % moved.get(lib.path, lib.path) for lib in install.libraries)


def read_version(module, root, install):
    if module.params["version"]:
        return module.params["version"]
    executable = root.path(install.binary)
    if not os.access(executable, os.X_OK):
        module.warn("%s is not executable, so its version is unknown; planning as for an old version "
                    "(set the version option to avoid this)" % install.binary)
        return None
    rc, out, err = CommandRunner(root, module.run_command).run([executable, "--version"], check=False)
    version = ollama_install.parse_version(out + "\n" + err)
    if version is None:
        module.warn("could not read the Ollama version from '%s --version' (rc=%s): %s; "
                    "planning as for an unknown old version" % (install.binary, rc, (out + err).strip()))
    return version


def apply_renames(root, renames):
    """Rename library files; undo the ones done when one fails."""
    done = []
    try:
        for source, target in renames:
            os.rename(root.path(source), root.path(target))
            done.append((source, target))
    except OSError:
        for source, target in reversed(done):
            os.rename(root.path(target), root.path(source))
        raise
    return done


def check_renames(root, renames):
    for source, target in renames:
        if not os.path.lexists(root.path(source)):
            return "%s is missing" % source
        if os.path.lexists(root.path(target)):
            return "both %s and %s exist; remove the stale one" % (source, target)
    return None


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


def restart_service(module, root, unit):
    for args in (["daemon-reload"], ["restart", unit]):
        rc, out, err = run_tool(module, root, "systemctl", args)
        if rc != 0:
            module.fail_json(msg="systemctl %s failed (rc=%d): %s" % (" ".join(args), rc, (err or out).strip()))


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


def verify(module, root, unit, backend, timeout, result):
    """Fail (with ``result``) unless the newest server start runs on ``backend``."""
    rc, out, err = run_tool(module, root, "systemctl", ["is-active", unit])
    if rc != 0:
        module.fail_json(msg="cannot verify: %s is not running (systemctl is-active: %s)" % (
            unit, (out or err).strip() or rc), **result)
    start = wait_for_start(module, root, unit, timeout)
    result["verification"] = start.as_dict()
    if backend != "auto" and not ollama_log.backend_matches(start, backend):
        module.fail_json(
            msg="Ollama %s came up on %s, not on %s as asked (its 'inference compute' lines: %s); this version "
                "or layout ignores the %s switch, try mechanism=rename" % (
                    start.version or "(unknown version)", ", ".join(start.libraries) or "nothing", backend,
                    "; ".join("library=%s description=%s" % (d.get("library"), d.get("description", d.get("name")))
                              for d in start.devices), result["mechanism"]),
            **result)


ARGUMENT_SPEC = dict(
    backend=dict(type="str", required=True, choices=list(planning.BACKENDS)),
    gfx_version_override=dict(type="str"),
    mechanism=dict(type="str", default="auto", choices=list(planning.MECHANISMS)),
    binary=dict(type="path"),
    install_dir=dict(type="path"),
    version=dict(type="str"),
    unit=dict(type="str", default="ollama.service"),
    restart=dict(type="bool", default=False),
    verify=dict(type="bool", default=False),
    verify_timeout=dict(type="int", default=60),
)


def load(module):
    """(root, install, version, plan) for the arguments; fails before anything is touched."""
    params = module.params
    try:
        gfx = planning.validate_gfx_version(params["gfx_version_override"])
        if params["version"]:
            ollama_install.version_tuple(params["version"])
        root = module_sysroot(module)
        install = ollama_install.find_install(root, params["binary"], params["install_dir"])
    except (planning.PlanError, ValueError,
            ollama_install.OllamaNotInstalled, ollama_install.UnknownLayout) as exc:
        module.fail_json(msg=str(exc))
    if gfx and params["backend"] in ("vulkan", "cpu"):
        module.warn("gfx_version_override only applies to ROCm; ignored for backend '%s'" % params["backend"])
    version = read_version(module, root, install)
    try:
        plan = planning.plan_backend(install, params["backend"],
                                     ollama_install.version_tuple(version) if version else None,
                                     params["mechanism"], gfx)
    except planning.PlanError as exc:
        module.fail_json(msg=str(exc))
    problem = check_renames(root, plan.renames)
    if problem:
        module.fail_json(msg="cannot switch %s to %s: %s" % (install.lib_dir, params["backend"], problem))
    return root, install, version, plan


def describe(module, install, version, plan, old_dropin, new_dropin):
    """The result dict (and diff) of the planned change, before it is applied."""
    path = dropin_path(module.params["unit"])
    dropin_changed = old_dropin != new_dropin
    if dropin_changed:
        state = "written" if new_dropin is not None else "removed"
    else:
        state = "unchanged" if new_dropin is not None else "absent"
    result = dict(
        changed=dropin_changed or bool(plan.renames),
        previous_backend=planning.configured_backend(install, parse_environment(old_dropin or ""), old_dropin),
        backend=plan.backend, mechanism=plan.mechanism, version=version,
        renamed=[{"from": a, "to": b} for a, b in plan.renames],
        dropin={"path": path, "environment": plan.environment, "state": state},
        restarted=False,
    )
    if module._diff:
        libraries = "%s (GPU libraries)" % install.lib_dir
        result["diff"] = [
            {"before_header": path, "after_header": path, "before": old_dropin or "", "after": new_dropin or ""},
            {"before_header": libraries, "after_header": libraries,
             "before": library_listing(install), "after": library_listing(install, plan.renames)},
        ]
    return result


def apply(module, root, install, plan, new_dropin):
    """Rename libraries, then write or remove the drop-in; undo the renames if that fails."""
    path = dropin_path(module.params["unit"])
    try:
        apply_renames(root, plan.renames)
    except OSError as exc:
        module.fail_json(msg="renaming Ollama libraries in %s failed, nothing changed: %s" % (install.lib_dir, exc))
    try:
        if new_dropin is None:
            root.remove(path)
        else:
            root.write_config(path, new_dropin, mode=0o644)
    except (IOError, OSError) as exc:
        apply_renames(root, [(b, a) for a, b in reversed(plan.renames)])
        module.fail_json(msg="writing %s failed, library renames undone: %s" % (path, exc))


def main():
    module = AnsibleModule(argument_spec=with_sysroot_option(ARGUMENT_SPEC), supports_check_mode=True)
    params = module.params
    unit = params["unit"]
    root, install, version, plan = load(module)
    try:
        new_dropin = dropin_text(plan)
    except DropinError as exc:
        module.fail_json(msg=str(exc))
    result = describe(module, install, version, plan, root.read_text(dropin_path(unit)), new_dropin)
    changed = result["changed"]
    if changed and not module.check_mode:
        apply(module, root, install, plan, new_dropin)
        install = ollama_install.find_install(root, install.binary, install.lib_dir)
        if params["restart"]:
            restart_service(module, root, unit)
            result["restarted"] = True
    result["restart_required"] = changed and not result["restarted"]
    result["install"] = install.as_dict()

    if params["verify"]:
        if module.check_mode and changed:
            module.warn("verify skipped in check mode: the service does not run the planned settings yet")
        elif result["restart_required"]:
            module.fail_json(msg="backend settings changed in this run but %s was not restarted; restart it "
                                 "(or set restart=true) before verifying" % unit, **result)
        else:
            verify(module, root, unit, plan.backend, params["verify_timeout"], result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
