# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running the system tools a module drives: found below sysroot, C locale, checked exit code.

Every call goes through :class:`CommandRunner` so that

* the tool is the one installed in the sysroot (on a live host that is the
  host's own; on a tree, the tree's own, which runs only with the switch below), never
  whatever happens to be on the controller's PATH;
* its output is in the C locale (``LC_ALL=C``), because modules parse it
  (``grubby --info``, ``rpm-ostree kargs``) and compare error texts;
* argv is always a list (``AnsibleModule.run_command`` without a shell), and every word reaches the
  tool as written: ``expand_user_and_vars=False``, so a ``~`` or ``$NAME`` in a user's value is not
  expanded by run_command;
* a failure reads the same everywhere: ``<argv> failed (exit N): <stderr>``;
* nothing runs on a tree (any sysroot but ``/``) unless the controller set
  ``INFEROPS_SIMULATION=1``: a tree is data (``SysRoot.refuse_tree_code``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import TOOL_FOLDERS, SysRootError
C_LOCALE = {"LC_ALL": "C", "LANG": "C", "LANGUAGE": "C"}


class CommandError(Exception):
    """A tool is missing or exited non-zero; ``rc``, ``out``, ``err`` hold what it said."""

    def __init__(self, argv, rc=None, out="", err="", missing=False, refused=None):
        self.argv = list(argv)
        self.rc = rc
        self.out = out or ""
        self.err = err or ""
        self.missing = missing
        self.refused = refused
        super(CommandError, self).__init__(self.describe())

    def describe(self):
        if self.refused:
            return self.refused
        if self.missing:
            return "%s is not installed (looked in %s)" % (self.argv[0], ", ".join(TOOL_FOLDERS))
        said = (self.err or self.out).strip() or "no output"
        return "%s failed (exit %d): %s" % (" ".join(self.argv), self.rc, said)


class CommandRunner:
    """Find and run tools of one sysroot.

    ``run_command`` is ``AnsibleModule.run_command`` (or anything with its
    signature: ``argv, environ_update=, expand_user_and_vars=, handle_exceptions=, cwd=`` returning
    ``(rc, out, err)``).
    """

    def __init__(self, root, run_command):
        self.root = root
        self._run_command = run_command
        self.calls = []

    def find(self, name):
        """Real path of tool ``name`` inside the sysroot, or None."""
        return self.root.find_tool(name)

    def require(self, name):
        tool = self.find(name)
        if tool is None:
            raise CommandError([name], missing=True)
        return tool

    def environment(self):
        env = dict(C_LOCALE)
        env.update(self.root.tool_environment())
        return env

    def run(self, argv, check=True, cwd=None, environ=None):
        """``(rc, out, err)`` of ``argv``; CommandError when ``check`` and the exit code is not 0.

        A bare tool name as ``argv[0]`` is looked up inside the sysroot.  ``environ`` adds to the
        environment (the C locale and the sysroot's variable win over it).
        """
        argv = list(argv)
        if "/" not in argv[0]:
            argv[0] = self.require(argv[0])
        try:
            self.root.refuse_tree_code(" ".join(argv))
        except SysRootError as exc:
            raise CommandError(argv, refused=str(exc))
        self.calls.append(argv)
        extra = {"cwd": cwd} if cwd is not None else {}
        try:
            # handle_exceptions=False: a tool that cannot start (wrong architecture, no interpreter) is this
            # module's CommandError, not run_command's own fail_json.
            env = dict(environ or {})
            env.update(self.environment())
            rc, out, err = self._run_command(argv, environ_update=env, expand_user_and_vars=False,
                                             handle_exceptions=False, **extra)
        except OSError as exc:
            raise CommandError(argv, rc=-1, err="cannot start it: %s" % exc)
        if check and rc != 0:
            raise CommandError(argv, rc, out, err)
        return rc, out, err
