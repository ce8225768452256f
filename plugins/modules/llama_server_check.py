#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: llama_server_check
short_description: Prove which ggml backend and device a running llama-server loaded
version_added: 0.2.0
description:
  - "Reads the journal of the llama-server unit for the current boot (C(journalctl -u <unit> -o cat -b)), keeps the lines
    of the process systemd started last, and finds the backend libraries it loaded (C(load_backend: loaded Vulkan
    backend from ...)), the devices the model was placed on (C(using device Vulkan0 (...))) and the offloaded layers."
  - Waits for C(GET /health) to answer 200 and reads C(GET /props) (C(model_path), C(model_alias)).
  - Fails unless the model runs on O(backend) (the first device's name, C(Vulkan0), C(ROCm0); no device means CPU).
  - Changes nothing; check mode runs the same read-only checks.
author:
  - inferops.amd contributors (@inferops)
extends_documentation_fragment:
  - inferops.amd.sysroot
options:
  url:
    description: Base URL of the server, for example V(http://127.0.0.1:8080).
    type: str
    required: true
  backend:
    description: Backend the model must run on.
    type: str
    choices: [vulkan, rocm, cpu]
    required: true
  unit:
    description: systemd unit whose journal is read.
    type: str
    default: llama-server.service
  timeout:
    description: Seconds to wait for the server to log that it listens and to answer C(/health) (model load included).
    type: int
    default: 120
attributes:
  check_mode:
    description: Only reads the journal and the server's endpoints, so check mode runs the same check.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
notes:
  - C(journalctl) is taken from O(sysroot), so the module runs unchanged against simulated hosts.
"""

EXAMPLES = r"""
- name: Prove llama-server runs on Vulkan
  inferops.amd.llama_server_check:
    url: http://127.0.0.1:8080
    backend: vulkan
"""

RETURN = r"""
verified:
  description: Whether the model runs on O(backend).
  returned: always
  type: bool
backend:
  description: Backend the model runs on (V(vulkan), V(rocm), V(cpu)).
  returned: success
  type: str
device:
  description: The device, for example C(Vulkan0 (AMD Radeon AI PRO R9700 (RADV GFX1201))), or C(CPU).
  returned: success
  type: str
backends_loaded:
  description: Backend libraries the process loaded (C(name), C(library)).
  returned: success
  type: list
  elements: dict
devices:
  description: GPU devices the model uses (C(name), C(description), C(id), C(free_mib)).
  returned: success
  type: list
  elements: dict
offloaded:
  description: Layers offloaded to the GPU (C(layers), C(of)), or null.
  returned: success
  type: dict
model_path:
  description: C(/props) C(model_path).
  returned: success
  type: str
model:
  description: C(/props) C(model_alias).
  returned: success
  type: str
url:
  description: The URL checked.
  returned: success
  type: str
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.inferops.amd.plugins.module_utils._llama_server import log as llama_server_log
from ansible_collections.inferops.amd.plugins.module_utils._benchmark.api import BenchmarkError, http_json
from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandError, CommandRunner
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import module_sysroot, with_sysroot_option


def read_journal(module, root, unit):
    """The unit's log of this boot, through the command runner (C locale; a tree's journalctl runs only simulated)."""
    runner = CommandRunner(root, module.run_command)
    if runner.find("journalctl") is None:
        module.fail_json(msg="journalctl not found in %s (needed to read %s's log)" % (root.root, unit))
    try:
        _rc, out, _err = runner.run(["journalctl", "-u", unit, "-o", "cat", "--no-pager", "-b"])
    except CommandError as exc:
        module.fail_json(msg="reading %s's log failed: %s" % (unit, exc))
    return out


def health(url):
    try:
        status, dummy, dummy2 = http_json(url + "/health", timeout=5)
    except BenchmarkError:
        return False
    return status == 200


def main():
    module = AnsibleModule(
        argument_spec=with_sysroot_option(dict(
            url=dict(type="str", required=True),
            backend=dict(type="str", required=True, choices=["vulkan", "rocm", "cpu"]),
            unit=dict(type="str", default="llama-server.service"),
            timeout=dict(type="int", default=120),
        )),
        supports_check_mode=True,
    )
    root = module_sysroot(module)
    url = module.params["url"].rstrip("/")
    deadline = time.monotonic() + module.params["timeout"]
    while True:
        found = llama_server_log.parse(llama_server_log.current_run(read_journal(module, root, module.params["unit"])))
        if found["listening"] is not None and health(url):
            break
        if time.monotonic() > deadline:
            module.fail_json(msg="llama-server (%s) did not come up at %s within %ds: %s" % (
                module.params["unit"], url, module.params["timeout"],
                "it never logged that it listens" if found["listening"] is None else "/health never answered 200"),
                verified=False, backends_loaded=found["backends"])
        time.sleep(0.5)
    try:
        status, props, text = http_json(url + "/props", timeout=10)
    except BenchmarkError as exc:
        module.fail_json(msg=str(exc), verified=False)
    props = props if status == 200 and isinstance(props, dict) else {}
    verified, reason = llama_server_log.check(found, module.params["backend"])
    result = dict(
        changed=False, verified=verified, backend=llama_server_log.serving_backend(found),
        device=llama_server_log.serving_device(found), backends_loaded=found["backends"],
        devices=found["devices"], offloaded=found["offloaded"], model_path=props.get("model_path"),
        model=props.get("model_alias"), url=url,
    )
    if not verified:
        module.fail_json(msg="llama-server at %s: %s" % (url, reason), **result)
    module.exit_json(msg=reason, **result)


if __name__ == "__main__":
    main()
