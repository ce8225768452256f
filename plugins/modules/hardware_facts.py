#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: hardware_facts
short_description: Gather AMD GPU, PCIe ASPM, CPU and kernel facts for LLM inference tuning
version_added: 0.1.0
description:
  - Returns C(ansible_facts.inferops_amd), the facts the roles of this collection decide on.
  - Classifies the host as C(rdna4_discrete) (Radeon AI PRO R9700, RX 9070 XT/9070, gfx1200/gfx1201),
    C(strix_halo) (Ryzen AI Max, Radeon 8060S, gfx1151) or C(none).
  - Reports every AMD GPU with its PCI address, DRM card, ids and marketing name when known, gfx target from
    the KFD topology, whether it is integrated, VRAM and GTT size, PCIe link speed and width, the bridges from
    the root port down to it, performance level, active power profile and power cap.
  - Unknown AMD device ids are reported and classified by gfx target. A missing file gives C(null), never an error.
  - Cheap by design; it reads a few dozen small files (see docs/benchmarks.md for its cost). The one program it runs
    is the machine's own C(ollama --version), only where an ollama executable was found and the machine's code may
    run (on C(/), or on a tree with E(INFEROPS_SIMULATION=1) on the controller), to report RV(ansible_facts.inferops_amd.ollama_version).
author:
  - inferops.amd contributors (@inferops)
extends_documentation_fragment:
  - inferops.amd.sysroot
options:
  probe_aspm:
    description:
      - Opt-in. Write the already-active ASPM policy back to find out whether the kernel accepts policy writes.
      - Firmware that keeps ASPM control may show nothing in sysfs; the kernel refuses the policy write with EPERM.
        Writing the bracketed word back is a no-op in the kernel otherwise, but it is a write, so a facts module
        only makes it when asked.
      - When asked, the probe is also made in check mode (it is the only way to learn the answer and changes nothing).
      - Never made on a plain tree (an O(sysroot) other than C(/) without an attribute writer that may run, such as an
        extracted capture), as no kernel is behind its files; C(aspm.probed) stays C(false).
      - When not probed, C(aspm.changeable) reflects what can be seen (file present and writable, no C(pcie_aspm=off)
        and no other evidence of a lock); without evidence of a lock it predicts that a change would be accepted.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check mode and return the facts; the ASPM probe is made only with O(probe_aspm=true).
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
  facts:
    description: Returns its results as C(ansible_facts.inferops_amd).
    support: full
notes:
  - Read-only by default. With O(probe_aspm=true) it writes the value the ASPM policy file already holds.
seealso:
  - module: inferops.amd.pcie_aspm
"""

EXAMPLES = r"""
- name: Gather inference hardware facts
  inferops.amd.hardware_facts:

- name: Show the host class and GPUs
  ansible.builtin.debug:
    msg: "{{ ansible_facts.inferops_amd.host_class }}: {{ ansible_facts.inferops_amd.gpus | map(attribute='name') | list }}"

- name: Gather facts from an extracted capture (a plain tree; nothing is written there)
  inferops.amd.hardware_facts:
    sysroot: /srv/captures/r9700_desktop

- name: Ask the kernel whether it accepts ASPM policy writes (a no-op write of the active policy)
  inferops.amd.hardware_facts:
    probe_aspm: true
"""

RETURN = r"""
ansible_facts:
  description: Facts under the key C(inferops_amd).
  returned: always
  type: dict
  contains:
    inferops_amd:
      description: Hardware facts of the host.
      returned: always
      type: dict
      contains:
        host_class:
          description: C(rdna4_discrete), C(strix_halo) or C(none).
          type: str
          sample: rdna4_discrete
        gpus:
          description: Every AMD display device.
          type: list
          elements: dict
          sample:
            - pci_address: "0000:03:00.0"
              drm_card: card1
              vendor_id: "0x1002"
              device_id: "0x7551"
              name: Radeon AI PRO R9700 (Navi 48)
              known: true
              gfx_target: gfx1201
              integrated: false
              vram_bytes: 34342961152
              gtt_bytes: 33553727488
              pcie_link: {current_speed: 32.0 GT/s PCIe, current_width: 16, max_speed: 32.0 GT/s PCIe, max_width: 16}
              root_port: "0000:00:01.1"
              bridges:
                - {address: "0000:00:01.1", vendor_id: "0x1022", device_id: "0x14db"}
              performance_level: auto
              power_profile: BOOTUP_DEFAULT
              power_cap: {current_w: 300, min_w: 210, max_w: 300, default_w: 300}
        aspm:
          description: Global PCIe ASPM policy, the policies offered, and whether it can be changed (with the reason when not).
          type: dict
          sample: {policy: default, available: [default, performance, powersave, powersupersave], changeable: true, reason: null, probed: true}
        cpu:
          description: CPU model name, vendor, family and logical CPU count.
          type: dict
          sample: {model: AMD RYZEN AI MAX+ 395 w/ Radeon 8060S, vendor: AuthenticAMD, family: 26, logical_cpus: 32}
        memory_total_bytes:
          description: MemTotal from /proc/meminfo in bytes.
          type: int
          sample: 135737884672
        kernel:
          description: Running kernel release and command line as a list of arguments.
          type: dict
          sample: {release: 6.12.57+deb13-amd64, cmdline: [BOOT_IMAGE=/boot/vmlinuz-6.12.57+deb13-amd64, ro, quiet]}
        ryzenadj_installed:
          description: Whether a C(ryzenadj) executable is installed.
          type: bool
        tools:
          description:
            - For each of C(ollama), C(systemctl), C(tuned-adm) and C(ryzenadj), the path (on the machine) of the
              executable found first in C(/usr/local/sbin), C(/usr/local/bin), C(/usr/sbin), C(/usr/bin), C(/sbin),
              C(/bin), or V(null). The roles decide from it what to configure without a probe of their own.
          type: dict
          sample: {ollama: /usr/local/bin/ollama, systemctl: /usr/bin/systemctl, tuned-adm: null, ryzenadj: null}
        ollama_version:
          description:
            - The version of the ollama executable in RV(ansible_facts.inferops_amd.tools) (C(X.Y.Z), with any
              pre-release suffix), as C(ollama --version) prints it. Its own version (C(client version is)) wins over a
              running server's (C(ollama version is)), which may be an older process.
            - V(null) when no ollama was found, when it printed no version, and on a tree whose code may not run. A
              tree is data; without E(INFEROPS_SIMULATION=1) on the controller nothing of it runs, so its version is
              unknown.
          type: str
          sample: "0.32.15"
        tuned:
          description:
            - The tuned profile selected in C(/etc/tuned/active_profile) (V(null) when none) and whether the tuned daemon
              runs (its PID file names a live process), as C(tuned-adm active) reads them without D-Bus.
              V(null) when tuned-adm is not installed.
            - A profile whose daemon does not run is only a preset, not in effect.
          type: dict
          sample: {profile: balanced, running: true}
        readiness:
          description:
            - What the serving stack needs from the kernel, firmware and driver (plugins/module_utils/_amdgpu/readiness.py
              names each source), and C(missing), a sentence for each thing that is not there.
            - C(gfx1151_cwsr) - the Strix Halo KFD node's C(cwsr_size) and C(ctl_stack_size) (the export that came with the
              gfx1151 CWSR fix, kernels 6.12.64, 6.18.4, 6.19 and later; V(null) without a gfx1151 node).
            - C(firmware) - the installed AMD GPU firmware package and its linux-firmware release, where the package
              database is a file (dpkg, pacman); V(null) elsewhere. Release 20251125 hangs gfx1151.
            - C(amdgpu_dkms) and C(ttm_module) - whether amdgpu comes from AMD's amdgpu-dkms, whose TTM module is
              C(amdttm) (its parameters C(amdttm.pages_limit), not C(ttm.pages_limit)).
          type: dict
          sample:
            gfx1151_cwsr: {node: "1", present: false, cwsr_size: null, ctl_stack_size: null}
            firmware: {package: firmware-amd-graphics, version: 20251111-1~bpo13+1, release: "20251111"}
            amdgpu_dkms: false
            ttm_module: ttm
            missing: ["the kernel lacks the gfx1151 CWSR fix, and ROCm work can hang (6.17.7-300.fc43.x86_64: ...)"]
        sysroot:
          description:
            - The root these facts were read from. The roles act on this root when C(inferops_sysroot) is not set,
              so C(module_defaults) alone points every task of a role at the same tree.
          type: str
          sample: /
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.inferops.amd.plugins.module_utils._host.facts import gather
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import module_sysroot, with_sysroot_option


def main():
    module = AnsibleModule(
        argument_spec=with_sysroot_option(dict(
            probe_aspm=dict(type="bool", default=False),
        )),
        supports_check_mode=True,
    )
    root = module_sysroot(module)
    # A plain tree has no kernel to ask; SysRoot would refuse the write anyway.
    facts = gather(root, probe_aspm=module.params["probe_aspm"] and root.can_write_attributes)
    module.exit_json(changed=False, ansible_facts={"inferops_amd": facts})


if __name__ == "__main__":
    main()
