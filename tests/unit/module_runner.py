"""Run a module's main() in-process the way Ansible would, and return its result.

Uses ansible-core's own test hook (ansible.module_utils.testing, 2.19 and
later) to hand the arguments to AnsibleModule; on older cores, which lack it,
the same buffer that hook patches (basic._ANSIBLE_ARGS, read by
basic._load_params).  exit_json/fail_json end in SystemExit, whose printed
JSON is the module's result.
"""

import contextlib
import importlib
import io
import json
from contextlib import redirect_stdout
from unittest import mock

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    @contextlib.contextmanager
    def patch_module_args(args=None):
        buffer = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()
        with mock.patch.object(basic, "_ANSIBLE_ARGS", buffer):
            yield


class ModuleFailed(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


def run_module(name, args, check_mode=False, diff=False, expect_failure=False):
    """Run inferops.amd.<name> with ``args``; return the result dict.

    Raises ModuleFailed when the module failed and ``expect_failure`` is
    false; returns the failure result when it is true.
    """
    module = importlib.import_module("ansible_collections.inferops.amd.plugins.modules." + name)
    module_args = dict(args)
    module_args["_ansible_check_mode"] = check_mode
    module_args["_ansible_diff"] = diff
    out = io.StringIO()
    with patch_module_args(module_args), redirect_stdout(out):
        try:
            module.main()
        except SystemExit:
            pass
    result = json.loads(out.getvalue())
    if result.get("failed") and not expect_failure:
        raise ModuleFailed(result)
    if expect_failure and not result.get("failed"):
        raise AssertionError("module %s succeeded but a failure was expected: %r" % (name, result))
    return result


def run_on_root(name, root, **args):
    """:func:`run_module` with ``sysroot=root``; ``check_mode``, ``diff`` and ``expect_failure`` come from ``args``."""
    flags = dict((key, args.pop(key)) for key in ("check_mode", "diff", "expect_failure") if key in args)
    return run_module(name, dict(args, sysroot=root), **flags)
