# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GRUB defaults: /etc/default/grub and /etc/default/grub.d/*.cfg, parsed and edited.

``grub-mkconfig`` (which Debian's ``update-grub`` runs) sources
``/etc/default/grub`` and then every ``/etc/default/grub.d/*.cfg`` in name
order, so a drop-in may replace ``GRUB_CMDLINE_LINUX_DEFAULT`` (``VAR="..."``)
or extend it (``VAR="$VAR ..."``).  10_linux writes
``root=... ro ${GRUB_CMDLINE_LINUX} ${GRUB_CMDLINE_LINUX_DEFAULT}`` into each
normal menu entry, so the configured arguments are the fold of both chains.

Where edits go (the "effective assignment" rule):

* an argument that is already configured is replaced or removed where it
  is, in whichever file and variable holds it;
* a new argument goes to the assignment that the final value of
  ``GRUB_CMDLINE_LINUX_DEFAULT`` starts from: the last one that sets the
  variable outright (usually in /etc/default/grub; on Ubuntu cloud images a
  grub.d file).  Later drop-ins only extend that value, so none can undo it,
  and a user's own drop-ins are left alone.

The files come as lossless text (``SysRoot.read_config``: every byte, CRLF and
Latin-1 included, comes back on writing).  Lines are split at ``\n`` only, as
the shell splits them; a ``\r`` before it stays with the line ending.  Lines
other than the edited assignments stay byte for byte, an assignment whose
arguments do not change is not rewritten (its spacing and ``${VAR}`` spelling
stay), and an edited assignment keeps its quoting style, ``export``,
indentation, reference spelling, trailing comment and line ending.  Values this code cannot evaluate without a shell (command
substitution, other variables, multi-line values) are refused with the file
and line, never guessed.
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

DEFAULT_FILE = "/etc/default/grub"
DROPIN_DIR = "/etc/default/grub.d"
LINUX = "GRUB_CMDLINE_LINUX"
LINUX_DEFAULT = "GRUB_CMDLINE_LINUX_DEFAULT"
_ASSIGNMENT = re.compile(r"^(?P<indent>[ \t]*)(?P<export>export[ \t]+)?(?P<var>GRUB_CMDLINE_LINUX(?:_DEFAULT)?)="
                         r"(?P<value>(?:\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s#\"']+)?)(?P<trail>[ \t]*(?:#.*)?)$")
_UNTERMINATED = re.compile(r"^[ \t]*(?:export[ \t]+)?GRUB_CMDLINE_LINUX(?:_DEFAULT)?=")
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


def parse_defaults(files):
    """Assignments of both variables in ``[(path, text)]`` (source order)."""
    found = []
    for path, text in files:
        depth = 0
        for index, full_line in enumerate(split_lines(text)):
            line = line_body(full_line)[0]
            match = _ASSIGNMENT.match(line)
            depth += block_depth_change(line)
            if match and depth > 0:
                raise CmdlineError("%s line %d: %s is set inside a shell block (if/case/for); which value GRUB uses "
                                   "depends on the condition, edit it by hand" % (path, index + 1, match.group("var")))
            if match:
                found.append(Assignment(path, index, match))
            elif _UNTERMINATED.match(line):
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


class GrubDefaults:
    """The text of /etc/default/grub and its drop-ins, and the edits planned on them."""

    def __init__(self, files):
        self.files = list(files)
        self.lines = dict((path, split_lines(text)) for path, text in files)
        assignments = parse_defaults(self.files)
        self.chain = effective_chain(assignments, LINUX) + effective_chain(assignments, LINUX_DEFAULT)
        self.default_chain = [item for item in self.chain if item.var == LINUX_DEFAULT]

    @classmethod
    def read(cls, root):
        text = root.read_config(DEFAULT_FILE)
        if text is None:
            raise CmdlineError("%s does not exist" % DEFAULT_FILE)
        files = [(DEFAULT_FILE, text)]
        for name in root.list_dir(DROPIN_DIR):
            if name.endswith(".cfg"):
                path = "%s/%s" % (DROPIN_DIR, name)
                dropin = root.read_config(path)
                if dropin is not None:
                    files.append((path, dropin))
        return cls(files)

    def configured(self):
        values = self.values()
        return values[LINUX] + values[LINUX_DEFAULT]

    def values(self):
        """``{variable: [arguments]}`` as the shell builds them: ``"$VAR x"`` appends, ``"x $VAR"`` prepends."""
        result = {}
        for var in (LINUX, LINUX_DEFAULT):
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
            lines = self.lines[DEFAULT_FILE]
            # a new line ends like the file's other lines (CRLF in a CRLF file)
            ending = line_body(lines[0])[1] if lines and line_body(lines[0])[1] else "\n"
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += ending
            lines.append('%s="%s"%s' % (LINUX_DEFAULT, _escape_double(join_cmdline(new_line_args)), ending))
        changed = {}
        for path, text in self.files:
            new = "".join(self.lines[path])
            if new != old[path]:
                changed[path] = (old[path], new)
        return changed
