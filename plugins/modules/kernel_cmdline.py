#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kernel_cmdline
short_description: Keep arguments on the kernel command line of GRUB, grubby, systemd-boot, kernelstub, rpm-ostree or bootc hosts
version_added: 0.1.0
description:
  - Makes arguments present on (or absent from) the kernel command line the bootloader uses at the next boot, and
    reports whether the running kernel still lacks them (RV(reboot_required)).
  - Every tuning of this collection that must survive a reboot ends here, for example C(pcie_aspm.policy=performance)
    on RDNA4 hosts (llama.cpp discussion 21043) or C(iommu=pt) and C(ttm.pages_limit=...) on Strix Halo
    (the strix_halo_vllm performance page).
  - "Nothing is trusted to this module's own parsing: the GRUB defaults are also sourced by a real C(/bin/sh) (clean
    environment, from inside O(sysroot)) before and after the edit, and the module refuses, naming the file and line,
    when the shell reads them differently; after the change it reads back what will really boot (every normal entry's
    C(linux) line of the regenerated grub.cfg, the systemd-boot entries' C(options), the tools' own queries) and, when
    a managed argument is wrong or an unmanaged one vanished, puts every file back and fails naming the file."
  - "GRUB (Debian, Ubuntu, Arch): edits C(/etc/default/grub) and C(/etc/default/grub.d/*.cfg) in place. An argument
    already configured is replaced or removed where it is (either C(GRUB_CMDLINE_LINUX) or C(GRUB_CMDLINE_LINUX_DEFAULT),
    in whichever file). A new argument goes to the assignment the final C(GRUB_CMDLINE_LINUX_DEFAULT) starts from: the
    last file that sets it outright (not C(VAR=\"$VAR ...\")), usually C(/etc/default/grub). Drop-ins sourced later only
    extend that value, so none can undo the change, and the user's own drop-ins stay untouched. Every other line, comment
    and the quoting style are kept. Then C(update-grub) runs (else C(grub-mkconfig -o) or C(grub2-mkconfig -o) with the
    host's grub.cfg); when it fails every edited file and grub.cfg are put back and the module fails with the tool's
    error output. C(GRUB_ENABLE_BLSCFG=true) is refused (the BLS entries boot; use C(grubby))."
  - The tool-driven backends read the arguments back after the call and fail (with C(changed=true), as the tool may
    have applied part of it) when the managed ones did not land.
  - "grubby (Fedora, RHEL): reads C(grubby --info=ALL) and, only when an entry differs, runs
    C(grubby --update-kernel=ALL --args=... --remove-args=...); RV(added)/RV(removed) and the read-back cover every
    entry."
  - "kernelstub (Pop!_OS): reads C(/etc/kernelstub/configuration) and, only when it differs, runs
    C(kernelstub --delete-options ... --add-options ...). The module never writes that file itself; when kernelstub
    fails or its result reads back wrong, the configuration and the C(loader/entries/Pop_OS-*.conf) entries it
    rewrites are put back byte for byte."
  - "rpm-ostree (Fedora Atomic, Bazzite, bootc): reads C(rpm-ostree kargs) and, only when it differs, runs
    C(rpm-ostree kargs --delete-if-present=... --append-if-missing=...), which stages a deployment for the next boot;
    waits while another rpm-ostree transaction is in progress."
  - "systemd-boot: entries written by kernel-install get their options from C(/etc/kernel/cmdline), which is edited,
    then C(kernel-install add <version> <image>) runs for each kernel that already has such an entry. Entries written
    by hand (Arch's C(arch.conf)) have their C(options) lines edited in place: the default entry and every entry that is
    not a fallback. Only the managed arguments' bytes change (CRLF endings, Latin-1 comments and spacing stay).
    Boot counting names (C(<token>-<version>+3.conf), C(+2-1.conf)) are kernel-install's entries; when
    C(/etc/kernel/tries) makes kernel-install write the entry under a new counter, the older file of that kernel is
    removed (with a backup). Unified kernel images that kernel-install builds with ukify (C(layout=uki) in its
    C(install.conf) or C(install.conf.d/*.conf), C(<token>-<version>.efi) in C(EFI/Linux)) are rebuilt the same way
    and each UKI's C(.cmdline) section is read back from its bytes; other UKIs (C(EFI/Linux/*.efi) kernel-install did
    not name, a mkinitcpio C(_uki=) preset, C(layout=uki) beside type #1 entries), a signed UKI that ukify would not
    sign again, and managed arguments in C(/etc/kernel/cmdline.d) or C(/etc/cmdline.d) are refused.
    On any failure every entry and file is restored and entries created meanwhile are removed."
  - "sdboot-manage (CachyOS with systemd-boot): the generated entries take C(LINUX_OPTIONS) of C(/etc/sdboot-manage.conf),
    which is edited in place (bash reads it; a missing assignment gets a C(LINUX_OPTIONS=\"...\") line), proven with a
    real C(bash) before and after, then C(sdboot-manage gen) runs and every generated entry is read back. An argument
    edited into an entry by hand (which the next generation would drop) and one sdboot-manage writes itself (C(root=),
    C(resume=) ...) are refused. Fallback entries keep C(LINUX_FALLBACK_OPTIONS). On failure the configuration, every
    entry and C(loader.conf) are put back byte for byte."
  - "bootc (image mode): the arguments go into the image, a file of the module's own,
    C(/usr/lib/bootc/kargs.d/90-inferops-amd.toml), in the root it is given (an image tree, or C(/) of a Containerfile
    build); bootc applies them on C(bootc upgrade) or C(switch). Arguments of the image's other kargs.d files are never
    edited; removing or replacing one is refused naming its file. A booted bootc host without rpm-ostree is refused (no
    per-machine kernel argument API in bootc). RV(reboot_required) is false: the image's hosts boot it, not this one."
  - Arguments with quotes, spaces or C(=) in the value (C(acpi_osi="!Windows 2020"), C(amdgpu.ppfeaturemask=0xffffffff))
    round-trip unchanged; a value with spaces and no quotes is written as C(name="value"). Both quoting styles the kernel
    accepts compare equal. grubby and kernelstub split at spaces, so they refuse values with spaces.
  - Parameter names compare with C(-) and C(_) alike, as the kernel does (C(parameq()) in kernel/params.c).
  - Bad input (not a list, an empty argument or name, a name with spaces, a line break or any other control character
    (below 0x20, or 0x7f), shell or GRUB script characters, an argument both present and absent, two values for one name,
    a boot-critical name in O(present) or O(absent)) fails naming the argument, before anything is read or touched.
author:
  - inferops.amd contributors (@inferops)
extends_documentation_fragment:
  - inferops.amd.sysroot
options:
  present:
    description:
      - Arguments that must be on the command line, as C(name) or C(name=value).
      - A C(name=value) replaces any other value of the same name (and drops duplicates of that name) instead of adding a
        second one, so C(ttm.pages_limit=32505856) updates an older C(ttm.pages_limit=...).
      - A list of strings. A single string is refused rather than split by guesswork (so the type is C(raw)).
      - 'Values may not contain shell or GRUB script characters (C($ ` \ '' ; & | < > ( ) { } * ? [ ] #)) or control
        characters (a byte below 0x20, such as a tab or an escape, or 0x7f).'
      - "Boot-critical names (as listed under O(absent)) are refused unless O(allow_boot_critical=true): a C(name=value)
        replaces the value the host boots with, so C(root=/dev/sdz9) would silently point the host at another disk."
    type: raw
    default: []
  absent:
    description:
      - Arguments to remove. A bare C(name) removes that name with any value; C(name=value) removes only that exact
        argument. A list of strings, like O(present).
      - Boot-critical names (C(root), C(ro), C(rw), C(rootflags), C(init), C(cryptdevice), C(resume), C(rd.luks.uuid),
        C(rd.lvm.lv) and the like) are refused unless O(allow_boot_critical=true).
    type: raw
    default: []
  allow_boot_critical:
    description:
      - Allow O(present) and O(absent) to name an argument the host may need to find, unlock or resume its root file system
        (C(root), C(ro), C(rw), C(rootflags), C(rootfstype), C(init), C(cryptdevice), C(resume), C(rd.luks.uuid),
        C(rd.lvm.lv), C(systemd.machine_id) and the like). Setting one replaces the host's own value, removing one may
        leave the host unbootable.
    type: bool
    default: false
  owner:
    description:
      - Record the arguments this task adds under this name in C(/var/lib/inferops.amd/kernel_cmdline.json) on the host.
      - On later runs with the same owner, an argument the owner recorded but no longer lists in O(present) is removed
        (unless another owner records it too). Arguments that were on the command line before are never recorded, so
        they are never removed on an owner's behalf.
      - When an argument of the owner replaced the user's own value of the same name (C(pcie_aspm.policy=powersave)
        set by hand), the user's argument is recorded too, and on release it takes the owner's place again, so the
        name keeps the user's value instead of disappearing.
    type: str
  bootloader:
    description:
      - Which backend holds the command line. C(auto) looks in this order for rpm-ostree (C(/run/ostree-booted) and the
        tool), a bootc image (C(/ostree) a link to C(sysroot/ostree), C(/sysroot), C(/usr/lib/ostree/prepare-root.conf),
        and C(/usr/lib/bootc) or the C(bootc) tool), kernelstub (tool and C(/etc/kernelstub/configuration)),
        sdboot-manage (C(/etc/sdboot-manage.conf), the tool and a boot loader folder), grubby, GRUB (C(/etc/default/grub) and
        C(update-grub)/C(grub-mkconfig)/C(grub2-mkconfig)), systemd-boot (a C(loader/loader.conf) or a C(loader/entries)
        folder in C(/boot), C(/efi) or C(/boot/efi)), and fails naming all of them when none is found.
    type: str
    default: auto
    choices: [auto, grub, grubby, systemd_boot, sdboot_manage, kernelstub, rpm_ostree, bootc_kargs]
  backup:
    description:
      - Before editing a file (GRUB defaults, C(/etc/kernel/cmdline), a loader entry, C(/etc/sdboot-manage.conf), the
        bootc kargs.d file), copy its bytes to C(<file>.<pid>.<YYYY-MM-DD@HH-MM-SS>~) next to it, Ansible's own
        C(backup) naming with C(-) for C(:), which the vfat file system of an ESP refuses. The copy never ends in C(.cfg), so GRUB does not source it.
      - When the change fails, the files are put back byte for byte and read back; only then are the backups removed.
        A file that cannot be put back keeps its backup, and the failure names both.
      - The tool-driven backends (grubby, kernelstub, rpm-ostree) edit nothing themselves and make no backup; rpm-ostree
        keeps the previous deployment anyway.
    type: bool
    default: true
attributes:
  check_mode:
    description:
      - Predicts C(changed), RV(configured), RV(reboot_required) and the diff; writes nothing and runs no tool that changes
        anything. The read-only queries C(grubby --info) and C(rpm-ostree kargs) still run, as they are how the current
        arguments are known.
    support: full
  diff_mode:
    description: Shows each edited file before and after (GRUB, systemd-boot), or the command line before and after for the
      tool-driven backends.
    support: full
notes:
  - RV(reboot_required) compares only the arguments this task names (in O(present) and O(absent)) between RV(configured)
    and RV(running), so arguments managed elsewhere, C(BOOT_IMAGE=) or C(initrd=) never cause a reboot from here.
  - Tools are looked up inside O(sysroot) (C(/usr/local/sbin), C(/usr/sbin), C(/usr/bin), ...) and always run with an
    argument list, never through a shell.
  - See docs/kernel-cmdline.md in the collection for the backends, reboot detection and backups.
seealso:
  - module: inferops.amd.pcie_aspm
"""

EXAMPLES = r"""
- name: Keep PCIe links awake across reboots
  inferops.amd.kernel_cmdline:
    present:
      - pcie_aspm.policy=performance
  register: cmdline

- name: Reboot when the running kernel lacks it
  ansible.builtin.reboot:
  when: cmdline.reboot_required

- name: Strix Halo (128 GB) memory arguments, replacing older values and dropping the deprecated one
  inferops.amd.kernel_cmdline:
    present:
      - iommu=pt
      - ttm.pages_limit=32505856
      - transparent_hugepage=always
    absent:
      - amdgpu.gttsize

- name: Force a backend instead of detecting it
  inferops.amd.kernel_cmdline:
    present:
      - iommu=pt
    bootloader: grubby
"""

RETURN = r"""
bootloader:
  description: The backend that holds the command line.
  returned: always
  type: str
  sample: grub
configured:
  description:
    - The arguments the bootloader will use at the next boot, after the change (predicted in check mode).
    - For GRUB the words of C(GRUB_CMDLINE_LINUX) and C(GRUB_CMDLINE_LINUX_DEFAULT) (GRUB adds C(root=) and C(ro) itself);
      for grubby the default entry's C(root=) and C(args); otherwise the tool's or file's whole list.
  returned: always
  type: list
  elements: str
  sample: [quiet, pcie_aspm.policy=performance]
running:
  description: The arguments of the running kernel, from C(/proc/cmdline).
  returned: always
  type: list
  elements: str
  sample: [BOOT_IMAGE=/boot/vmlinuz-6.12.57+deb13-amd64, root=UUID=0c6f3b1e-5a7d-4d8e-9b2f-3e1a6c9d8f72, ro, quiet]
reboot_required:
  description: True exactly when the arguments named in O(present) and O(absent) differ between RV(configured) and RV(running).
    With O(owner), the arguments that owner released on this or an earlier run count too, so a run after the one that
    removed them, before the reboot, still reports the reboot.
  returned: always
  type: bool
  sample: true
added:
  description: Arguments put on the configured command line by this run (predicted in check mode).
  returned: always
  type: list
  elements: str
  sample: [pcie_aspm.policy=performance]
removed:
  description: Arguments taken off (including old values replaced by a new one).
  returned: always
  type: list
  elements: str
  sample: [ttm.pages_limit=15466496]
commands:
  description: The bootloader commands that ran (in check mode, would run), as argument lists.
  returned: always
  type: list
  elements: list
  sample: [[/usr/sbin/update-grub]]
backup_file:
  description: The backup of the edited file (the first one when several GRUB files were edited).
  returned: when a backup was made
  type: str
  sample: /etc/default/grub.12345.2026-11-22@20-15-00~
released:
  description: Arguments O(owner) had recorded and no longer asks for, removed by this run.
  returned: always
  type: list
  elements: str
  sample: [pcie_aspm.policy=performance]
restored:
  description: The user's own arguments that O(owner) had replaced and that this run put back in place of a released one.
  returned: always
  type: list
  elements: str
  sample: [pcie_aspm.policy=powersave]
backup_files:
  description: Every backup made.
  returned: when a backup was made
  type: list
  elements: str
  sample: [/etc/default/grub.12345.2026-11-22@20-15-00~]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline import arguments as kernel_cmdline
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.run import (
    BOOTLOADERS, KernelCmdlineRunError, run_change)
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import module_sysroot, with_sysroot_option


def main():
    module = AnsibleModule(
        argument_spec=with_sysroot_option(dict(
            present=dict(type="raw", default=[]),
            absent=dict(type="raw", default=[]),
            allow_boot_critical=dict(type="bool", default=False),
            owner=dict(type="str"),
            bootloader=dict(type="str", default="auto", choices=list(BOOTLOADERS)),
            backup=dict(type="bool", default=True),
        )),
        supports_check_mode=True,
    )
    try:
        present, absent = kernel_cmdline.validate_request(module.params["present"], module.params["absent"],
                                                          module.params["allow_boot_critical"])
    except kernel_cmdline.KernelArgumentError as exc:
        module.fail_json(msg=str(exc), changed=False)
    try:
        result = run_change(module_sysroot(module), module.run_command, present, absent,
                            owner=module.params["owner"], bootloader=module.params["bootloader"],
                            backup=module.params["backup"], check_mode=module.check_mode, diff=module._diff)
    except KernelCmdlineRunError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
