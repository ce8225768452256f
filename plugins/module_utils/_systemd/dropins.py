# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd drop-in files that carry ``Environment=`` settings for a service.

A drop-in (``/etc/systemd/system/<unit>.d/<name>.conf``) is how settings are
added to a unit without editing the vendor's unit file, which an upgrade
would overwrite.  This file renders and parses the ``[Service]`` section's
``Environment=`` lines with systemd's own quoting rules (systemd.syntax(7),
systemd.exec(7)):

* each assignment is one word; a word holding spaces is double-quoted, and
  inside double quotes ``\\`` and ``"`` are backslash-escaped;
* ``%`` starts a specifier in unit files, so a literal ``%`` is ``%%``;
* ``$`` is not expanded in ``Environment=`` (only in ``Exec*=``), so it
  needs no escaping;
* an empty ``Environment=`` resets every assignment made before it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "s": " "}


class DropinError(ValueError):
    """A name or value that systemd cannot carry, or a line it cannot parse."""


def quote_assignment(name, value):
    """``Environment=`` word for ``name=value``, quoted the way systemd reads it."""
    if not ENV_NAME.match(name or ""):
        raise DropinError("'%s' is not a valid environment variable name (letters, digits, '_', not starting with a digit)" % name)
    value = "" if value is None else str(value)
    if "\n" in value or "\r" in value:
        raise DropinError("the value of %s holds a line break, which an Environment= line cannot carry" % name)
    text = ("%s=%s" % (name, value)).replace("%", "%%")
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"%s"' % text


def settings_values(environment):
    """``{name: text}`` of ``environment`` without null or empty values (a role variable set to null is no
    setting), booleans as ``1``/``0`` as the services the collection configures read them."""
    values = {}
    for name, value in environment.items():
        if value is None or str(value) == "":
            continue
        if isinstance(value, bool):
            value = "1" if value else "0"
        values[str(name)] = str(value)
    return values


def render_environment_dropin(environment, comment=None):
    """Text of a drop-in that sets ``environment`` (a dict), one line per variable.

    Variables are sorted so that the same settings always give the same
    bytes, which keeps the file idempotent and its diff readable.
    """
    lines = []
    if comment:
        lines.extend("# " + line if line else "#" for line in comment.splitlines())
    lines.append("[Service]")
    for name in sorted(environment):
        lines.append("Environment=" + quote_assignment(name, environment[name]))
    return "\n".join(lines) + "\n"


def split_words(text):
    """Split an ``Environment=`` value into unquoted words (systemd's extract_first_word)."""
    words = []
    i, length = 0, len(text)
    while i < length:
        while i < length and text[i] in " \t":
            i += 1
        if i >= length:
            break
        word = []
        quote = None
        while i < length:
            char = text[i]
            if quote is None and char in " \t":
                break
            if char == "\\" and i + 1 < length:
                word.append(ESCAPES.get(text[i + 1], text[i + 1]))
                i += 2
                continue
            if quote is None and char in "\"'":
                quote = char
            elif char == quote:
                quote = None
            else:
                word.append(char)
            i += 1
        if quote is not None:
            raise DropinError("unterminated %s quote in Environment=%s" % (quote, text))
        words.append("".join(word))
    return words


def parse_environment(text):
    """The environment a unit or drop-in text sets in its ``[Service]`` section.

    Later assignments win; an empty ``Environment=`` clears the ones before it.
    """
    environment = {}
    section = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        if section != "Service" or "=" not in line:
            continue
        key, value = line.split("=", 1)
        if key.strip() != "Environment":
            continue
        value = value.strip()
        if not value:
            environment = {}
            continue
        for word in split_words(value.replace("%%", "\0")):
            word = word.replace("\0", "%")
            if "=" not in word:
                continue
            name, val = word.split("=", 1)
            environment[name] = val
    return environment
