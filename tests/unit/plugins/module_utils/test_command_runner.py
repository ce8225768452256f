"""One way to run a system tool (module_utils/_host/command_runner.py)."""

import os
import subprocess

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandError, CommandRunner
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot


def real_run_command(argv, environ_update=None, cwd=None, **kwargs):
    """What AnsibleModule.run_command does for a list argv: no shell, env merged."""
    env = dict(os.environ, **(environ_update or {}))
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def tool(tmp_path, folder, name, body):
    path = tmp_path / folder.lstrip("/") / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def test_a_bare_name_is_the_tool_below_the_sysroot_and_runs_in_the_c_locale(tmp_path):
    inside = tool(tmp_path, "/usr/sbin", "probe", 'echo "$LC_ALL $LANG $INFEROPS_SYSROOT $0"\n')
    runner = CommandRunner(SysRoot(str(tmp_path)), real_run_command)
    _rc, out, _err = runner.run(["probe"])
    assert out.split() == ["C", "C", str(tmp_path), inside]
    assert runner.calls == [[inside]]


def test_the_first_folder_wins(tmp_path):
    tool(tmp_path, "/usr/bin", "probe", "echo usr-bin\n")
    tool(tmp_path, "/usr/local/sbin", "probe", "echo local\n")
    assert CommandRunner(SysRoot(str(tmp_path)), real_run_command).run(["probe"])[1] == "local\n"


def test_a_failure_names_argv_exit_code_and_stderr(tmp_path):
    tool(tmp_path, "/usr/bin", "broken", "echo out; echo 'no space left' >&2; exit 3\n")
    runner = CommandRunner(SysRoot(str(tmp_path)), real_run_command)
    with pytest.raises(CommandError) as caught:
        runner.run(["broken", "--flag"])
    assert str(caught.value) == "%s/usr/bin/broken --flag failed (exit 3): no space left" % tmp_path
    assert caught.value.rc == 3 and caught.value.out == "out\n"
    assert runner.run(["broken"], check=False)[0] == 3


def test_stdout_is_the_message_when_stderr_is_empty(tmp_path):
    tool(tmp_path, "/usr/bin", "quiet", "echo only-stdout; exit 1\n")
    with pytest.raises(CommandError, match="failed \\(exit 1\\): only-stdout$"):
        CommandRunner(SysRoot(str(tmp_path)), real_run_command).run(["quiet"])


def test_a_missing_tool_says_where_it_was_looked_for(tmp_path):
    with pytest.raises(CommandError, match="^grubby is not installed \\(looked in /usr/local/sbin, .*/bin\\)$"):
        CommandRunner(SysRoot(str(tmp_path)), real_run_command).require("grubby")


def test_a_tool_of_the_controller_is_not_used_for_a_sysroot(tmp_path):
    assert CommandRunner(SysRoot(str(tmp_path)), real_run_command).find("sh") is None


def test_words_reach_the_tool_unexpanded(tmp_path):
    """run_command is told not to expand "~" and "$NAME": a user's value reaches the tool as written."""
    seen = {}

    def recording_run_command(argv, **kwargs):
        seen.update(kwargs, argv=argv)
        return 0, "", ""

    CommandRunner(SysRoot("/"), recording_run_command).run(["/bin/true", "$HOME", "~root"])
    assert seen["argv"] == ["/bin/true", "$HOME", "~root"]
    assert seen["expand_user_and_vars"] is False


def test_a_tool_that_cannot_start_is_a_command_error(tmp_path):
    """An executable the kernel refuses (here: not a program at all) fails as the runner's CommandError,
    naming it, instead of run_command's own exit."""
    broken = tmp_path / "broken-tool"
    broken.write_bytes(b"\x7fELF\x00not a program")
    broken.chmod(0o755)
    with pytest.raises(CommandError, match="broken-tool.*cannot start it"):
        CommandRunner(SysRoot("/"), real_run_command).run([str(broken)])
