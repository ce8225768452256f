#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: llama_server_info
short_description: What an installed llama-server offers, from its own --version, --help and --list-devices
version_added: 0.3.0
description:
  - Runs the installed C(llama-server) with C(--version), C(--help) and C(--list-devices), in the C locale and with
    O(environment), and returns its build, the options it offers (with their choices) and the devices its backends
    list, in their order (C(Vulkan0), C(ROCm0), ...).
  - With O(arguments), also says which of them this build does not offer (an older build, a removed option) and
    which values are outside an option's choices, so a caller can refuse them before a service crash-loops on them.
  - Changes nothing and fails only when the binary is missing or does not run. On a tree (O(sysroot) not V(/))
    nothing of the tree runs unless the controller sets C(INFEROPS_SIMULATION=1); there it returns C(ran=false).
author:
  - inferops.amd contributors (@inferops)
extends_documentation_fragment:
  - inferops.amd.sysroot
options:
  binary:
    description: Machine path of C(llama-server).
    type: path
    required: true
  environment:
    description:
      - Environment the binary runs with, as the service would run it; it decides which devices a backend lists
        (ggml-vulkan leaves CPU-type devices such as llvmpipe out unless C(GGML_VK_VISIBLE_DEVICES) names them).
    type: dict
    default: {}
  arguments:
    description: Arguments to check against the options this build offers.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    description: Only runs the binary's read-only commands, so check mode runs them too.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
notes:
  - The texts parsed are llama.cpp's C(common/arg.cpp) (C(common_params_print_usage), the C(--list-devices) handler)
    as releases b11434 and b11669 print them; see C(plugins/module_utils/_llama_server/binary.py).
"""

EXAMPLES = r"""
- name: What the installed llama-server offers
  inferops.amd.llama_server_info:
    binary: /usr/bin/llama-server
    environment:
      GGML_VK_VISIBLE_DEVICES: "0"
    arguments: [--load-mode, dio, --spec-type, draft-mtp]
  register: llama_server

- name: The first Vulkan device
  ansible.builtin.debug:
    msg: "{{ llama_server.devices | selectattr('backend', '==', 'vulkan') | map(attribute='name') | first }}"
"""

RETURN = r"""
ran:
  description: Whether the binary ran (false on a tree without the simulation switch; every other value is then empty).
  returned: always
  type: bool
version:
  description: The version C(--version) reports, for example C(0.7.0), or null.
  returned: always
  type: str
build:
  description: The build number C(--version) reports (llama.cpp's release C(b<build>); 0 for a build outside git), or null.
  returned: always
  type: int
options:
  description: Every option name this build offers (short and long), without those it keeps only to say they were removed.
  returned: always
  type: list
  elements: str
choices:
  description: The values of each option that lists them, by its names, for example C(--load-mode) and C(--spec-type).
  returned: always
  type: dict
devices:
  description: The devices C(--list-devices) lists (C(name), C(backend), C(description), C(total_mib), C(free_mib)).
  returned: always
  type: list
  elements: dict
unknown:
  description: The option names in O(arguments) this build does not offer.
  returned: always
  type: list
  elements: str
bad_choices:
  description: Values in O(arguments) outside their option's choices (C(option), C(value), C(choices)).
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.inferops.amd.plugins.module_utils._llama_server import binary as llama_server_binary
from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandError, CommandRunner
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import module_sysroot, with_sysroot_option


def main():
    module = AnsibleModule(
        argument_spec=with_sysroot_option(dict(
            binary=dict(type="path", required=True),
            environment=dict(type="dict", default={}),
            arguments=dict(type="list", elements="str", default=[]),
        )),
        supports_check_mode=True,
    )
    root = module_sysroot(module)
    binary = module.params["binary"]
    if not binary.startswith("/"):
        module.fail_json(msg="binary must be an absolute machine path, got '%s'" % binary)
    empty = dict(changed=False, ran=False, version=None, build=None, options=[], choices={}, devices=[], unknown=[],
                 bad_choices=[])
    if not root.may_run_tree_code:
        module.exit_json(msg="not run: sysroot %s is a tree and INFEROPS_SIMULATION is not 1" % root.root, **empty)
    real = root.real_path(binary)
    if not root.exists(binary):
        module.fail_json(msg="no llama-server at %s on %s" % (binary, root.root), **empty)
    environment = dict((str(name), str(value)) for name, value in module.params["environment"].items())
    runner = CommandRunner(root, module.run_command)
    try:
        version_rc, version_out, version_err = runner.run([real, "--version"], check=False, environ=environment)
        dummy, help_text, dummy2 = runner.run([real, "--help"], environ=environment)
        dummy, devices_text, dummy2 = runner.run([real, "--list-devices"], environ=environment)
    except CommandError as exc:
        module.fail_json(msg="llama-server at %s does not run: %s" % (binary, exc), **empty)
    options = llama_server_binary.parse_help(help_text)
    if not options:
        module.fail_json(msg="%s --help lists no options: is it llama.cpp's llama-server?" % binary, **empty)
    found = llama_server_binary.parse_version(version_err + "\n" + version_out if version_rc == 0 else "")
    arguments = module.params["arguments"]
    module.exit_json(
        changed=False, ran=True, version=found["version"], build=found["build"],
        options=sorted(name for name, entry in options.items() if not entry["removed"]),
        choices=dict((name, entry["choices"]) for name, entry in options.items() if entry["choices"]),
        devices=llama_server_binary.parse_devices(devices_text),
        unknown=llama_server_binary.unknown_arguments(options, arguments),
        bad_choices=[dict(option=option, value=value, choices=choices)
                     for option, value, choices in llama_server_binary.bad_choices(options, arguments)],
    )


if __name__ == "__main__":
    main()
