# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Everything hardware_facts reports, gathered in one pass over a SysRoot."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import cards as amd_gpu
from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import readiness
from ansible_collections.inferops.amd.plugins.module_utils._host import system as host_system
from ansible_collections.inferops.amd.plugins.module_utils._ollama import install as ollama_install
from ansible_collections.inferops.amd.plugins.module_utils._pci import aspm as pcie_aspm
from ansible_collections.inferops.amd.plugins.module_utils._host import tuned as tuned_state
from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandError, CommandRunner
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import AttributeWriteError


def aspm_facts(root, cmdline, probe):
    """The ASPM policy, what it offers, and whether it can be changed.

    The policy file itself does not say that firmware keeps ASPM control, and
    neither do missing per-link files.  With ``probe`` the active policy is
    written back (:func:`pcie_aspm.probe_policy_lock`), a kernel no-op that
    answers EPERM only when ASPM is disabled; without it, ``changeable``
    reflects only what can be read (``pcie_aspm=off``, file permissions).
    """
    try:
        policy = pcie_aspm.read_policy(root)
    except pcie_aspm.AspmPolicyError as exc:
        return {"policy": None, "available": [], "changeable": False, "reason": str(exc), "probed": False}
    facts = {"policy": policy.active, "available": list(policy.available),
             "changeable": True, "reason": None, "probed": False}
    if "pcie_aspm=off" in cmdline:
        facts.update(changeable=False, reason="pcie_aspm=off is on the kernel command line")
    elif not os.access(root.path(pcie_aspm.POLICY_PATH), os.W_OK):
        facts.update(changeable=False, reason="%s is not writable by this user" % pcie_aspm.POLICY_PATH)
    elif probe and root.can_write_attributes:
        facts["probed"] = True
        try:
            locked = pcie_aspm.probe_policy_lock(root, policy)
        except AttributeWriteError as exc:
            locked = str(exc)
        if locked:
            facts.update(changeable=False, reason=locked)
    return facts


# The executables the roles need to know about before they act: read here, in the one module
# run the facts play makes anyway, instead of a stat per executable per role (docs/benchmarks.md).
TOOLS = ("ollama", "systemctl", "tuned-adm", "ryzenadj")


def tools(root):
    """{name: machine path of the executable, or None} for each of TOOLS."""
    found = {}
    for name in TOOLS:
        real = root.find_tool(name)
        found[name] = root.machine_path(real) if real else None
    return found


def ollama_version(root, executable):
    """The version of the root's ollama ``executable`` (a machine path, or None), as ``ollama --version`` prints it.

    None when there is no executable, when it printed no version or failed, and where the root's code may
    not run (a tree without INFEROPS_SIMULATION=1: a tree is data, so its Ollama's version is unknown). Run
    only where an ollama was found, through the command runner (the root's own executable, C locale).
    """
    if executable is None or not root.may_run_tree_code:
        return None
    try:
        dummy, out, err = CommandRunner(root, root.run_command).run([root.real_path(executable), "--version"],
                                                                    check=False)
    except CommandError:
        return None
    return ollama_install.parse_version(out + "\n" + err)


def gather(root, probe_aspm=False):
    gpus = amd_gpu.gather_gpus(root)
    system = host_system.gather_system(root)
    found_tools = tools(root)
    facts = {
        "host_class": amd_gpu.classify_host(gpus),
        "gpus": gpus,
        "aspm": aspm_facts(root, system["kernel"]["cmdline"], probe_aspm),
        "ryzenadj_installed": found_tools["ryzenadj"] is not None,
        "tools": found_tools,
        "ollama_version": ollama_version(root, found_tools["ollama"]),
        "tuned": tuned_state.read(root) if found_tools["tuned-adm"] else None,
        "sysroot": root.root,
    }
    facts.update(system)
    facts["readiness"] = readiness.gather(root, gpus, system["kernel"]["release"])
    return facts
