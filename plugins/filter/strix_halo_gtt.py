# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: strix_halo_gtt
short_description: GTT size and kernel arguments for a Strix Halo host
version_added: 0.1.0
description:
  - Takes C(ansible_facts.inferops_amd) and returns how much memory the iGPU may map (GTT) and the kernel
    arguments that set it (C(ttm.pages_limit), plus C(amdgpu.gttsize) on kernels older than 6.15, which deprecated it).
  - On a host whose amdgpu comes from AMD's amdgpu-dkms (C(readiness.ttm_module) V(amdttm) in the facts) the argument is
    C(amdttm.pages_limit), as that driver uses AMD's renamed TTM module, and C(ttm.pages_limit) would set one nobody uses.
  - GTT = installed memory (MemTotal + UMA carve-out, rounded up to 4 GiB) minus the reserve.
    The 128 GB machine (MemTotal 129449 MiB) with the default 4 GiB reserve gives 125353 MiB / 32090368 pages.
author:
  - inferops.amd contributors (@inferops)
positional: reserve_mib, emit_gttsize
options:
  _input:
    description: The C(inferops_amd) facts from M(inferops.amd.hardware_facts).
    type: dict
    required: true
  reserve_mib:
    description:
      - Memory left to the OS, in MiB, at least 1024 and less than MemTotal; anything else is an error that names the
        value and what is allowed.
      - GTT pages are RAM the GPU may pin, so the reserve is all the OS is sure to keep; under 1 GiB (0 makes GTT all
        of MemTotal) the GPU can starve the host.
      - This is the one check of the strix_halo role's C(strix_halo_gtt_reserve_mib) (its argument spec says only
        C(int)), made on the controller when the role computes its kernel arguments, before its first change.
    type: int
    default: 4096
  emit_gttsize:
    description: Whether to emit C(amdgpu.gttsize) too (a boolean, or its word such as C(true)); C(auto) does it on kernels older than 6.15.
    type: raw
    default: auto
"""

EXAMPLES = r"""
- name: Compute the memory arguments
  ansible.builtin.set_fact:
    gtt_plan: "{{ ansible_facts.inferops_amd | inferops.amd.strix_halo_gtt(4096) }}"
"""

RETURN = r"""
_value:
  description: C(installed_mib), C(gtt_mib), C(pages_limit) and C(kernel_args) (a list of C(name=value)).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.inferops.amd.plugins.plugin_utils.strix_halo_memory import MemoryPlanError, plan_gtt


def strix_halo_gtt(facts, reserve_mib=4096, emit_gttsize="auto"):
    gpus = [gpu for gpu in facts.get("gpus", []) if gpu.get("integrated")]
    uma = gpus[0].get("vram_bytes") if gpus else 0
    try:
        reserve = int(reserve_mib)
    except (TypeError, ValueError):
        raise AnsibleFilterError("strix_halo_gtt: the reserve must be a whole number of MiB, got '%s'" % (reserve_mib,))
    try:
        return plan_gtt(facts.get("memory_total_bytes"), uma, (facts.get("kernel") or {}).get("release"),
                        reserve, emit_gttsize, ttm_module=(facts.get("readiness") or {}).get("ttm_module") or "ttm")
    except MemoryPlanError as exc:
        raise AnsibleFilterError("strix_halo_gtt: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"strix_halo_gtt": strix_halo_gtt}
