"""One unit-file quoting: the llama-server template and the modules' unit files say the same to systemd.

The ExecStart= and Environment= lines are read back with the simulated systemctl's own reading of systemd's
syntax (quotes, C escapes, %% specifiers, $$, ${NAME} and $NAME), which is independent of the quoting under test.
"""

import importlib.machinery
import importlib.util
import os
import sys

import jinja2
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.inferops.amd.plugins.filter.systemd_quote import systemd_quote
from ansible_collections.inferops.amd.plugins.module_utils._systemd import units as systemd_unit

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
TOOLS = os.path.join(REPO, "tests", "simulation", "tools")
TEMPLATES = os.path.join(REPO, "roles", "llama_cpp", "templates")
# What systemd would put in the environment of the service: each reference in the words below would pick it up.
ENV = {"HOME": "/root", "MODEL": "expanded value"}
ARGV = ["/usr/bin/llama-server", "--alias", "$HOME", "--api-key", "a${MODEL}b", "--x", "$$", "--y", "100%",
        "--z", "two words", "--q", 'say "hi"', "--b", "back\\slash", "--s", "semi;colon", "--e", "", "--sq", "it's"]


@pytest.fixture(scope="module")
def stand_in():
    """tests/simulation/tools/systemctl as a module (its parsing functions need no host)."""
    sys.path.insert(0, TOOLS)
    try:
        loader = importlib.machinery.SourceFileLoader("simulated_systemctl", os.path.join(TOOLS, "systemctl"))
        spec = importlib.util.spec_from_loader(loader.name, loader)
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    finally:
        sys.path.remove(TOOLS)
    return module


def render_template(argv, environment):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), keep_trailing_newline=True)
    env.filters["inferops.amd.systemd_quote"] = systemd_quote
    return env.get_template("llama-server.service.j2").render(
        ansible_managed="managed", __llama_cpp_alias="tiny", llama_cpp_user="llama-server",
        llama_cpp_group="llama-server", llama_cpp_environment=environment, __llama_cpp_binary=argv[0],
        __llama_cpp_args=argv[1:])


def values(text, key):
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(key + "=")]


def test_the_parser_expands_dollar_references_so_unquoted_dollars_would_be_lost(stand_in):
    """The reason for the rule: systemd expands $NAME and ${NAME} in Exec lines, quoted or not."""
    assert stand_in.command_argv('/bin/x "$HOME" "a${MODEL}b" "$$"', ENV) == ["/bin/x", "/root", "aexpanded valueb", "$"]


def test_template_and_module_write_the_same_exec_start_and_systemd_reads_back_the_argv(stand_in):
    template_line, = values(render_template(ARGV, {}), "ExecStart")
    module_line = systemd_unit.quote_exec_argv(ARGV)
    assert template_line == module_line
    assert "$$HOME" in template_line and "100%%" in template_line
    assert stand_in.command_argv(template_line, ENV) == ARGV
    assert stand_in.command_argv(module_line, ENV) == ARGV


def test_environment_keeps_dollar_and_percent_as_written(stand_in):
    environment = {"RADV_PERFTEST": "nogttspill", "PROMPT": 'costs $5 at 100% "now"', "SLASH": "a\\b",
                   "UNSET": None, "EMPTY": "", "FLAG": True}
    text = render_template(ARGV, environment)
    lines = values(text, "Environment")
    assert len(lines) == 4, "null and empty values are left out"
    parsed = stand_in.unit_environment({"Service": {"Environment": lines}})
    assert parsed == {"RADV_PERFTEST": "nogttspill", "PROMPT": 'costs $5 at 100% "now"', "SLASH": "a\\b", "FLAG": "1"}


def test_user_and_group_are_written_on_every_root():
    text = render_template(ARGV, {})
    assert values(text, "User") == ["llama-server"] and values(text, "Group") == ["llama-server"]


@pytest.mark.parametrize("value, words", [
    ([], "at least the executable"), (["/bin/x", "a\nb"], "line break"), ("/bin/x --flag", "expects a list"),
    ({"1BAD": "x"}, "not a valid environment variable name"),
])
def test_what_a_unit_line_cannot_carry_is_refused(value, words):
    with pytest.raises(AnsibleFilterError, match=words):
        systemd_quote(value)
