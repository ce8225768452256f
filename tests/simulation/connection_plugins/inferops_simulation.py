# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection of the simulated hosts: the controller, with the machine's power commands for the host's tree.

Test machinery, not part of the collection (tests/ is left out of the build). The controller brings it in:
`make demo`, `make bench-fleet` and tests/conftest.py put this folder on ANSIBLE_CONNECTION_PLUGINS, and
inventory/simulated sets ``ansible_connection: inferops_simulation``. See docs/simulation.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = """
    name: inferops_simulation
    short_description: Run a simulated host's tasks on the controller, and reboot the host's tree
    description:
        - Every command and module runs on the controller, as with the C(local) connection; the tasks act on the
          host's tree through C(inferops_sysroot).
        - The commands C(ansible.builtin.reboot) sends are answered for the host's tree, so that the same reboot
          task runs on a real and on a simulated host. The boot id is the tree's
          C(/proc/sys/kernel/random/boot_id) (before the first simulated reboot, the tree's boot count); the
          reboot action's search for C(shutdown) finds C(/usr/sbin/shutdown); running it reboots the tree with
          C(tests/simulation/fleet.py reboot ROOT), which writes a new boot id. A C(shutdown) listed in the
          tree's C(fail_tools) (simulation marker) exits 1 with that message and reboots nothing.
        - Refuses to connect unless the controller set C(INFEROPS_SIMULATION=1).
        - The transport is not C(local), which the reboot action refuses (it would reboot the controller).
    author: inferops.amd contributors (@inferops)
    options:
        sysroot:
            description: The host's tree, a simulated host made by C(tests/simulation/fleet.py reset).
            type: str
            vars:
                - name: inferops_sysroot
        become_success_timeout:
            type: int
            default: 10
            description: The same option of the C(local) connection (ansible-core 2.19).
            vars:
                - name: ansible_local_become_success_timeout
        become_strip_preamble:
            type: bool
            default: true
            description: The same option of the C(local) connection (ansible-core 2.19).
            vars:
                - name: ansible_local_become_strip_preamble
    extends_documentation_fragment:
        - connection_pipelining
"""

import ast
import json
import os
import re
import shlex
import subprocess
import sys

from ansible.errors import AnsibleConnectionFailure
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.connection.local import Connection as LocalConnection
from ansible.utils.display import Display

display = Display()

HERE = os.path.dirname(os.path.abspath(__file__))
FLEET = os.path.join(os.path.dirname(HERE), "fleet.py")
MARKER = ".inferops-simulation.json"
BOOT_ID = "/proc/sys/kernel/random/boot_id"
# What the reboot action finds for its shutdown command (ansible.builtin.reboot: SHUTDOWN_COMMANDS).
POWER_COMMANDS = {"shutdown": "/usr/sbin/shutdown", "reboot": "/usr/sbin/reboot"}
# Never run on the controller, whatever folder they are named in.
POWER_OFF = ("halt", "poweroff")
SHELLS = ("/bin/sh", "/bin/bash", "sh", "bash")
# The module arguments in an AnsiballZ payload: `params='...'` (ansible-core 2.19), `ANSIBALLZ_PARAMS = '...'`
# (2.17, 2.18); both a Python literal of the JSON text.
PARAMS = re.compile(r"""(?:\bparams=|\bANSIBALLZ_PARAMS = )('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


def inner_command(cmd):
    """The words of ``cmd`` without the ``/bin/sh -c '... && sleep 0'`` the action plugins wrap it in."""
    if not isinstance(cmd, (str, bytes)):
        return []
    try:
        words = shlex.split(to_text(cmd))
        if len(words) == 3 and words[0] in SHELLS and words[1] == "-c":
            words = shlex.split(re.sub(r"\s*&&\s*sleep 0\s*$", "", words[2]))
    except ValueError:  # not a command line these answers are for
        return []
    return words


def module_arguments(in_data):
    """The arguments of the module a pipelined payload runs, or None when ``in_data`` is no module."""
    if not in_data:
        return None
    found = PARAMS.search(to_text(in_data, errors="surrogate_or_strict"))
    if not found:
        return None
    try:
        return json.loads(ast.literal_eval(found.group(1))).get("ANSIBLE_MODULE_ARGS")
    except (ValueError, SyntaxError, AttributeError):
        return None


def power_command_search(arguments):
    """The command name the reboot action looks for with the find module, or None for any other module run."""
    if not isinstance(arguments, dict) or arguments.get("_ansible_module_name") not in (
            "find", "ansible.legacy.find", "ansible.builtin.find"):
        return None
    patterns = arguments.get("patterns")
    if arguments.get("file_type") == "any" and isinstance(patterns, list) and len(patterns) == 1 \
            and patterns[0] in POWER_COMMANDS:
        return patterns[0]
    return None


class Connection(LocalConnection):
    """The local connection, answering the reboot action for the host's tree."""

    transport = "inferops_simulation"
    # Module payloads come through stdin, where the reboot action's find is recognised (never a file).
    always_pipeline_modules = True

    def _connect(self):
        if os.environ.get("INFEROPS_SIMULATION") != "1":
            raise AnsibleConnectionFailure(
                "the inferops_simulation connection runs only when the controller sets INFEROPS_SIMULATION=1 "
                "(make demo and the tests do); a real host needs a real connection")
        return super(Connection, self)._connect()

    def _root(self):
        root = self.get_option("sysroot")
        if not root or not os.path.isabs(root) or not os.path.isfile(os.path.join(root, MARKER)):
            raise AnsibleConnectionFailure(
                "inferops_sysroot of a simulated host must be a simulated tree made by tests/simulation/fleet.py "
                "reset (got %r)" % root)
        return root

    def _marker(self):
        with open(os.path.join(self._root(), MARKER)) as handle:
            return json.load(handle)

    def exec_command(self, cmd, in_data=None, sudoable=True):
        search = power_command_search(module_arguments(in_data))
        if search:
            return self._found(search)
        words = inner_command(cmd) if not in_data else []
        if words == ["cat", BOOT_ID]:
            return self._boot_id()
        # By name, whatever the folder: the controller's own shutdown must never run for a simulated host.
        if words and os.path.basename(words[0]) in POWER_COMMANDS:
            return self._reboot(words)
        if words and os.path.basename(words[0]) in POWER_OFF:
            return 1, b"", to_bytes("%s: a simulated host only reboots\n" % words[0])
        return super(Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)

    def _found(self, name):
        """The find module's answer: the simulated machine has the power command at its systemd place."""
        self._connect()
        display.vvv("inferops_simulation: the reboot action's %s is %s" % (name, POWER_COMMANDS[name]), host=self._play_context.remote_addr)
        result = {"changed": False, "files": [{"path": POWER_COMMANDS[name]}], "matched": 1, "examined": 1,
                  "skipped_paths": {}, "msg": "found by the inferops_simulation connection"}
        return 0, to_bytes(json.dumps(result)), b""

    def _boot_id(self):
        self._connect()
        path = os.path.join(self._root(), BOOT_ID.lstrip("/"))
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                return 0, handle.read(), b""
        # A recorded tree has no /proc/sys/kernel/random; the first simulated reboot writes it.
        return 0, to_bytes("inferops-simulated-boot-%d\n" % self._marker().get("boot_count", 0)), b""

    def _reboot(self, words):
        self._connect()
        root = self._root()
        name = os.path.basename(words[0])
        failure = (self._marker().get("fail_tools") or {}).get(name)
        if failure:
            return 1, b"", to_bytes(failure + "\n")
        display.vvv("inferops_simulation: %s reboots %s" % (" ".join(words), root), host=self._play_context.remote_addr)
        proc = subprocess.run([sys.executable, FLEET, "reboot", root], capture_output=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr
