# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shell variables that hold kernel arguments, in files a shell sources: parsed and edited in place.

GRUB's defaults (``GRUB_CMDLINE_LINUX``/``_DEFAULT``, sourced by grub-mkconfig's ``/bin/sh``),
sdboot-manage's ``LINUX_OPTIONS`` (``/etc/sdboot-manage.conf``, sourced by ``bash``) and
limine-entry-tool's ``KERNEL_CMDLINE[default]`` (``/etc/default/limine``, bash) are all one shape:
a chain of assignments over one or more files in source order, where ``VAR="..."`` sets the
variable outright and ``VAR="$VAR ..."`` / ``VAR="... $VAR"`` (and in bash ``VAR+=" ..."``)
extend it.  The value the tool uses is the fold of the chain.

Where edits go (the "effective assignment" rule):

* an argument that is already configured is replaced or removed where it
  is, in whichever file and variable holds it;
* a new argument goes to the assignment that the final value of the target
  variable starts from: the last one that sets it outright.  Later files only
  extend that value, so none can undo it, and a user's own drop-ins are left alone.

The files come as lossless text (``SysRoot.read_config``: every byte, CRLF and
Latin-1 included, comes back on writing).  Lines are split at ``\n`` only, as
the shell splits them; a ``\r`` before it stays with the line ending.  Lines
other than the edited assignments stay byte for byte, an assignment whose
arguments do not change is not rewritten (its spacing and ``${VAR}`` spelling
stay), and an edited assignment keeps its quoting style, ``export``,
indentation, reference spelling, trailing comment and line ending.  Values this code cannot
evaluate without a shell (command substitution, other variables, multi-line values, a bash
``+=`` that glues a word to the previous value) are refused with the file and line, never guessed.
Each backend proves this reading against the real shell where the host may run code.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.inferops.amd.plugins.module_utils._host.config_text import line_body, split_lines
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import (
    CmdlineError,
    argument_key,
    join_cmdline,
    matches_absent,
    same_argument,
    split_cmdline,
)

_VALUE = r"(?P<value>(?:\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s#\"']+)?)(?P<trail>[ \t]*(?:#.*)?)$"


def assignment_patterns(variables, append=False):
    """``(assignment, start of one)`` regular expressions for ``variables`` (bash ``+=`` too with ``append``)."""
    names = "|".join(re.escape(name) for name in variables)
    operator = r"\+?=" if append else "="
    assignment = re.compile(r"^(?P<indent>[ \t]*)(?P<export>export[ \t]+)?(?P<var>%s)(?P<op>%s)%s"
                            % (names, operator, _VALUE))
    start = re.compile(r"^[ \t]*(?:export[ \t]+)?(?:%s)%s" % (names, operator))
    return assignment, start


_DQ_ESCAPABLE = '"\\$`'
_BLOCK_OPEN = ("if", "case", "for", "while", "until")
_BLOCK_CLOSE = ("fi", "esac", "done")
# Words after which the shell expects a command again (so a keyword there opens or closes a block).
_COMMAND_AFTER = ("then", "do", "else", "elif", "{", "!")


def block_depth_change(line):
    """How many shell blocks (if/case/for/while/until) ``line`` opens minus how many it closes.

    Only words in command position count: ``if x; then y; fi`` on one line opens and closes.
    """
    if line.lstrip().startswith("#"):
        return 0
    change = 0
    for command in re.split(r";;|;|&&|\|\||\|", line):
        words = command.split()
        while words and words[0] in _COMMAND_AFTER:
            words = words[1:]
        if words:
            change += int(words[0] in _BLOCK_OPEN) - int(words[0] in _BLOCK_CLOSE)
    return change


class Assignment:
    """One ``VAR=value`` line: where it is, how it is quoted, and its arguments."""

    def __init__(self, path, index, match):
        self.path = path
        self.index = index
        self.var = match.group("var")
        self.appends = match.group("op") == "+="
        self.indent = match.group("indent")
        self.export = match.group("export") or ""
        self.trail = match.group("trail")
        raw = match.group("value")
        self.quote = raw[:1] if raw[:1] in ('"', "'") else ""
        text = _unquote(raw, path, index)
        self.ref = None
        self.ref_text = "$" + self.var
        words = text.split()
        refs = ("$" + self.var, "${%s}" % self.var)
        if self.quote != "'" and words and words[0] in refs:
            self.ref, self.ref_text, text = "start", words[0], text.strip()[len(words[0]):]
        elif self.quote != "'" and words and words[-1] in refs:
            self.ref, self.ref_text, text = "end", words[-1], text.strip()[:-len(words[-1])]
        if self.appends:
            if text and not text[:1].isspace():
                raise CmdlineError("%s line %d: %s+=%s glues its first word to the value before it; edit it by hand"
                                   % (path, index + 1, self.var, raw))
            self.ref, self.ref_text = "start", None
        if self.quote != "'" and ("$" in text or "`" in text):
            raise CmdlineError("%s line %d: %s uses a shell expression (%s); edit it by hand or move the expression "
                               "out of the line" % (path, index + 1, self.var, raw))
        self.args = split_cmdline(text)
        self.original_args = list(self.args)

    @property
    def extends(self):
        return self.ref is not None

    @property
    def edited(self):
        return self.args != self.original_args

    def render(self):
        """The assignment's line without its ending."""
        text = join_cmdline(self.args)
        ref = self.ref_text
        if self.appends:
            value = '"%s"' % _escape_double(" " + text if text else "") if self.quote != "'" or "'" in text else \
                "' %s'" % text if text else "''"
            return "%s%s%s+=%s%s" % (self.indent, self.export, self.var, value, self.trail)
        if self.ref == "start":
            text = (ref + " " + text).strip()
        elif self.ref == "end":
            text = (text + " " + ref).strip()
        if self.ref or self.quote == '"' or (self.quote == "'" and "'" in text) or (not self.quote and not _bare_ok(text)):
            value = '"%s"' % _escape_double(text, keep_ref=ref if self.ref else None)
        elif self.quote == "'":
            value = "'%s'" % text
        else:
            value = text
        return "%s%s%s=%s%s" % (self.indent, self.export, self.var, value, self.trail)


def _bare_ok(text):
    return bool(re.match(r"^[A-Za-z0-9_.,:/=+@%-]+$", text))


def _unquote(raw, path, index):
    if raw.startswith('"'):
        body = raw[1:-1]
        return re.sub(r"\\([%s])" % re.escape(_DQ_ESCAPABLE), r"\1", body)
    if raw.startswith("'"):
        return raw[1:-1]
    if "\\" in raw:
        raise CmdlineError("%s line %d: cannot read the unquoted value %s" % (path, index + 1, raw))
    return raw


def _escape_double(text, keep_ref=None):
    escaped = re.sub(r"([%s])" % re.escape(_DQ_ESCAPABLE), r"\\\1", text)
    if keep_ref:
        escaped = escaped.replace("\\" + keep_ref, keep_ref, 1)
    return escaped


def parse_assignments(files, variables, append=False):
    """Assignments of ``variables`` in ``[(path, text)]`` (source order)."""
    assignment, start = assignment_patterns(variables, append)
    found = []
    for path, text in files:
        depth = 0
        for index, full_line in enumerate(split_lines(text)):
            line = line_body(full_line)[0]
            match = assignment.match(line)
            depth += block_depth_change(line)
            if match and depth > 0:
                raise CmdlineError("%s line %d: %s is set inside a shell block (if/case/for); which value is used "
                                   "depends on the condition, edit it by hand" % (path, index + 1, match.group("var")))
            if match:
                found.append(Assignment(path, index, match))
            elif start.match(line):
                raise CmdlineError("%s line %d: cannot parse %s (multi-line or unusual quoting); edit it by hand"
                                   % (path, index + 1, line.strip()))
    return found


def effective_chain(assignments, var):
    """The assignments the final value of ``var`` is built from, in order."""
    chain = []
    for item in assignments:
        if item.var == var:
            chain = chain + [item] if item.extends else [item]
    return chain


class ShellAssignments:
    """Assignments of ``variables`` over ``files`` (source order) and the edits planned on them.

    A new argument goes to the chain of ``target``; where ``target`` is never assigned, a
    ``target="..."`` line is appended to ``main_file``.  ``append``: the files are bash, where
    ``VAR+=" ..."`` extends the variable.
    """

    def __init__(self, files, variables, target, main_file, append=False):
        self.files = list(files)
        self.variables = tuple(variables)
        self.target = target
        self.main_file = main_file
        self.lines = dict((path, split_lines(text)) for path, text in files)
        assignments = parse_assignments(self.files, self.variables, append)
        self.chain = [item for var in self.variables for item in effective_chain(assignments, var)]
        self.default_chain = [item for item in self.chain if item.var == target]

    def configured(self):
        values = self.values()
        return [arg for var in self.variables for arg in values[var]]

    def values(self):
        """``{variable: [arguments]}`` as the shell builds them: ``"$VAR x"`` appends, ``"x $VAR"`` prepends."""
        result = {}
        for var in self.variables:
            value = []
            for item in self.chain:
                if item.var != var:
                    continue
                value = (value + item.args if item.ref == "start" else
                         item.args + value if item.ref == "end" else list(item.args))
            result[var] = value
        return result

    def texts_after(self, changed):
        """``[(path, text)]`` of every file once ``changed`` (from :meth:`plan`) is applied."""
        return [(path, changed[path][1] if path in changed else text) for path, text in self.files]

    def plan(self, present, absent):
        """``{path: (old text, new text)}`` for the files that change."""
        for item in self.chain:
            item.args = [arg for arg in item.args if not any(matches_absent(arg, gone) for gone in absent)]
        appended = []
        for arg in present:
            places = [(item, i) for item in self.chain for i, old in enumerate(item.args)
                      if argument_key(old) == argument_key(arg)]
            if len(places) == 1 and same_argument(places[0][0].args[places[0][1]], arg):
                continue
            if places:
                first_item, first_i = places[0]
                for item, i in reversed(places[1:]):
                    del item.args[i]
                first_item.args[first_i] = arg
            else:
                appended.append(arg)
        if appended and self.default_chain:
            self.default_chain[0].args += appended
        return self._changed_files(appended if not self.default_chain else [])

    def _changed_files(self, new_line_args):
        old = dict(self.files)
        for item in self.chain:
            if item.edited:
                ending = line_body(self.lines[item.path][item.index])[1]
                self.lines[item.path][item.index] = item.render() + ending
        if new_line_args:
            lines = self.lines[self.main_file]
            # a new line ends like the file's other lines (CRLF in a CRLF file)
            ending = line_body(lines[0])[1] if lines and line_body(lines[0])[1] else "\n"
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += ending
            lines.append('%s="%s"%s' % (self.target, _escape_double(join_cmdline(new_line_args)), ending))
        changed = {}
        for path, text in self.files:
            new = "".join(self.lines[path])
            if new != old[path]:
                changed[path] = (old[path], new)
        return changed
