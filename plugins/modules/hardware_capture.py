#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: hardware_capture
short_description: Record the files and tool outputs the collection reads into a replayable .tar.gz
version_added: 0.1.0
description:
  - Records, from a host, exactly what the collection's modules read (sysfs and procfs attributes, PCI links,
    the KFD topology, bootloader files, the collection's own persisted files, which tools are installed) and the
    output of C(ryzenadj --info) and C(ollama --version), into a C(.tar.gz) at O(dest).
  - The list is not hand-written. The collection's own readers run over the host with a recording root and every
    path they touch is a candidate; a deny list (homes, C(/root), keys, C(shadow), credentials, C(/var), EFI
    variables) wins over an allow list, so no secret can enter. Lines setting a GRUB password are removed.
  - Members are machine paths (C(sys/bus/pci/devices/0000:03:00.0)); sysfs symlinks stay symlinks, so
    C(readlink -f) works in the extracted tree, and extracting the archive gives a tree that works as O(sysroot).
  - Libraries and kernel images keep only their name (empty files). Executables are recorded as data only, never
    copied, as an empty, non-executable file at their path (listed in the manifest's C(tool_paths)) and the argv,
    exit status and output of their read-only command in C(.inferops-capture/tools/<name>.json). No member of the
    archive is executable, so replaying a capture runs nothing from it.
  - C(.inferops-capture/manifest.json) in the archive holds the kernel release, the date, the collection version,
    the host class, what was left out and why (counts per rule), and a digest of the content.
  - See docs/capture.md for sending a capture with a bug report.
author:
  - inferops.amd contributors (@inferops)
extends_documentation_fragment:
  - inferops.amd.sysroot
options:
  dest:
    description:
      - Path of the archive to write, on the host. Its folder must exist. Written atomically, mode C(0600).
      - When an archive is already there and its content digest equals the new capture, it is left alone.
    type: path
    required: true
attributes:
  check_mode:
    description: Reads everything and reports what would be recorded; no archive is written.
    support: full
  diff_mode:
    description: No diff; the result lists what the archive holds.
    support: none
notes:
  - Reads only. The tools run are C(ryzenadj --info) and C(ollama --version), and only when installed.
  - On a live host values such as C(/proc/meminfo) change between runs, so a new capture usually differs from the
    last one and the module reports C(changed).
seealso:
  - module: inferops.amd.hardware_facts
"""

EXAMPLES = r"""
- name: Record this host for a bug report
  inferops.amd.hardware_capture:
    dest: /var/tmp/inferops-capture.tar.gz

- name: Fetch every host's capture to the controller (what playbook inferops.amd.capture does)
  ansible.builtin.fetch:
    src: /var/tmp/inferops-capture.tar.gz
    dest: "captures/{{ inventory_hostname }}.tar.gz"
    flat: true
"""

RETURN = r"""
dest:
  description: Path of the archive.
  returned: always
  type: str
  sample: /var/tmp/inferops-capture.tar.gz
manifest:
  description: The manifest stored in the archive as C(.inferops-capture/manifest.json).
  returned: always
  type: dict
  sample:
    format: 2
    captured_at: "2026-12-01T22:30:00Z"
    collection_version: 0.2.0
    kernel_release: 6.12.57+deb13-amd64
    host_class: rdna4_discrete
    files: 212
    refused: {"not on the allowlist": 3}
    payload_sha256: 9f2c...
refused:
  description: Machine paths the readers touched that were kept out, with the rule that kept each out.
  returned: always
  type: dict
  sample: {"/etc/passwd": "not on the allowlist"}
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.inferops.amd.plugins.module_utils._host import capture as hardware_capture
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import module_sysroot, with_sysroot_option


def main():
    module = AnsibleModule(
        argument_spec=with_sysroot_option(dict(
            dest=dict(type="path", required=True),
        )),
        supports_check_mode=True,
    )
    root = module_sysroot(module)
    dest = module.params["dest"]
    if os.path.isdir(dest):
        module.fail_json(msg="dest %s is a folder; give the path of the .tar.gz to write" % dest)
    inside = os.path.abspath(dest)
    if root.root != "/" and (inside + os.sep).startswith(root.root + os.sep):
        module.fail_json(msg="dest %s is inside sysroot %s; the capture would record itself" % (dest, root.root))

    def run_tool(path, argv):
        return module.run_command([path] + list(argv), environ_update=root.tool_environment())

    try:
        capture, manifest = hardware_capture.build(root.root, run_tool)
    except hardware_capture.CaptureError as exc:
        module.fail_json(msg=str(exc))
    previous = hardware_capture.read_manifest(dest) if os.path.exists(dest) else None
    changed = not previous or previous.get("payload_sha256") != manifest["payload_sha256"]
    if changed and not module.check_mode:
        try:
            hardware_capture.write_archive(capture, manifest, dest, int(time.time()))
        except (hardware_capture.CaptureError, IOError, OSError) as exc:
            module.fail_json(msg="could not write %s: %s" % (dest, exc))
    if not changed:
        manifest = previous
    module.exit_json(changed=changed, dest=dest, manifest=manifest, refused=capture.refused)


if __name__ == "__main__":
    main()
