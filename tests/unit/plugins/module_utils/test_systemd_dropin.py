"""systemd drop-in Environment= rendering and parsing (systemd.syntax(7) quoting)."""

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._systemd.dropins import (
    DropinError, parse_environment, quote_assignment, render_environment_dropin, split_words)


def test_render_sorts_variables_and_quotes_each_assignment():
    text = render_environment_dropin({"OLLAMA_VULKAN": "1", "HSA_OVERRIDE_GFX_VERSION": "12.0.1"}, comment="managed")
    assert text == ('# managed\n[Service]\nEnvironment="HSA_OVERRIDE_GFX_VERSION=12.0.1"\n'
                    'Environment="OLLAMA_VULKAN=1"\n')


@pytest.mark.parametrize("value, word", [
    ("a b", '"K=a b"'),
    ('say "hi"', '"K=say \\"hi\\""'),
    ("C:\\path", '"K=C:\\\\path"'),
    ("100%", '"K=100%%"'),
    ("$HOME", '"K=$HOME"'),
    ("", '"K="'),
])
def test_quote_assignment_escapes_what_systemd_would_misread(value, word):
    assert quote_assignment("K", value) == word


@pytest.mark.parametrize("value", ["a b", 'say "hi"', "C:\\path", "100%", "$HOME", "", "0.0.0.0:11434", "x'y"])
def test_render_then_parse_gives_the_values_back(value):
    assert parse_environment(render_environment_dropin({"K": value})) == {"K": value}


@pytest.mark.parametrize("name", ["1ABC", "A-B", "", "A B"])
def test_bad_names_are_refused(name):
    with pytest.raises(DropinError, match="not a valid environment variable name"):
        quote_assignment(name, "x")


def test_line_breaks_are_refused():
    with pytest.raises(DropinError, match="line break"):
        quote_assignment("K", "a\nb")


def test_parse_reads_several_assignments_per_line_and_later_ones_win():
    text = ("[Unit]\nEnvironment=IGNORED=1\n[Service]\nEnvironment=A=1 \"B=two words\" 'C=3'\n"
            "# comment\nEnvironment=A=4\nExecStart=/usr/bin/ollama serve\n")
    assert parse_environment(text) == {"A": "4", "B": "two words", "C": "3"}


def test_empty_environment_resets_the_list():
    assert parse_environment("[Service]\nEnvironment=A=1\nEnvironment=\nEnvironment=B=2\n") == {"B": "2"}


def test_unterminated_quote_is_an_error():
    with pytest.raises(DropinError, match="unterminated"):
        split_words('"A=1')
