# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A configuration file's bytes as text that gives every byte back.

The files the collection edits belong to the user: a CRLF line ending, a Latin-1
comment or a missing final newline must survive an edit of another line, and a
failed change must put back exactly the bytes that were there.  So a file is read
as bytes and decoded as UTF-8 with ``surrogateescape`` (PEP 383): a byte that is
not UTF-8 becomes a lone surrogate that encodes back to that byte, and nothing
translates line endings.  Lines are split at ``\\n`` alone, as the shell and
systemd's parsers split them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

ENCODING = "utf-8"
ERRORS = "surrogateescape"
_LINE = re.compile(r"[^\n]*\n|[^\n]+$")


def decode(data):
    """Text of ``data`` (bytes) that :func:`encode` turns back into the same bytes."""
    return data.decode(ENCODING, ERRORS)


def encode(text):
    """Bytes of ``text`` from :func:`decode` (bytes pass through)."""
    return text if isinstance(text, bytes) else text.encode(ENCODING, ERRORS)


def printable(text):
    """``text`` with its undecodable bytes shown as U+FFFD, for messages and diffs."""
    return encode(text).decode(ENCODING, "replace")


def split_lines(text):
    """Lines of ``text`` with their endings, split at ``\\n`` only.

    ``str.splitlines`` also splits at ``\\r``, form feeds and other characters
    that a shell or systemd reads as part of a line.
    """
    return _LINE.findall(text)


def line_body(line):
    """``(body, ending)``: a line from :func:`split_lines` without ``\\n`` or ``\\r\\n``, and that ending."""
    for ending in ("\r\n", "\n"):
        if line.endswith(ending):
            return line[:-len(ending)], ending
    return line, ""
