# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""udev rule files that re-apply sysfs attributes when a device appears.

A rule is one line of comma-separated ``KEY<op>"value"`` pairs (udev(7)):
match keys (``ACTION=="add"``, ``KERNELS=="0000:03:00.0"``) and assignments
(``ATTR{power_dpm_force_performance_level}="manual"``).  udev runs the
``ATTR{}`` writes of a matching rule in the order they are written, which is
what lets one rule set ``manual`` before the profile that needs it.

The collection owns whole files (``/etc/udev/rules.d/90-inferops-*.rules``):
it renders them from a list of rules and parses its own files back to learn
what is persisted.  Parsing accepts any well-formed rule line; a line that is
not one raises :class:`UdevRuleError` so a hand-edited file is never silently
rewritten into something else.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandError, CommandRunner

RULES_DIR = "/etc/udev/rules.d"
MATCH_OPERATORS = ("==", "!=")
_PAIR = re.compile(r'\s*([A-Z_]+(?:\{[^}"]*\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(,|$)')


class UdevRuleError(ValueError):
    """A rule file line that is not a udev rule."""


class UdevRule:
    """One rule: ordered ``(key, operator, value)`` triples."""

    def __init__(self, pairs, comment=None):
        self.pairs = list(pairs)
        self.comment = comment

    def __eq__(self, other):
        return isinstance(other, UdevRule) and self.pairs == other.pairs

    def __repr__(self):
        return "UdevRule(%r)" % (self.pairs,)

    def match_value(self, key):
        """Value of the first ``key==`` match, or None."""
        for pair_key, operator, value in self.pairs:
            if pair_key == key and operator == "==":
                return value
        return None

    def attributes(self):
        """``[(attribute, value), ...]`` of the ``ATTR{}=`` assignments, in order."""
        return [(key[5:-1], value) for key, operator, value in self.pairs
                if key.startswith("ATTR{") and operator == "="]

    def render(self):
        line = ", ".join('%s%s"%s"' % pair for pair in self.pairs)
        if self.comment:
            return "# %s\n%s\n" % (self.comment, line)
        return line + "\n"


def attribute_rule(matches, attributes, comment=None):
    """A rule of ``matches`` (``[(key, value)]``, all ``==``) setting ``attributes`` in order."""
    pairs = [(key, "==", value) for key, value in matches]
    pairs += [("ATTR{%s}" % name, "=", value) for name, value in attributes]
    return UdevRule(pairs, comment)


def parse_rule_line(line):
    """The pairs of one rule line; raises :class:`UdevRuleError` on anything else."""
    pairs = []
    position = 0
    text = line.rstrip()
    while position < len(text):
        match = _PAIR.match(text, position)
        if not match:
            raise UdevRuleError("not a udev rule (at column %d): %r" % (position + 1, line))
        pairs.append((match.group(1), match.group(2), match.group(3)))
        position = match.end()
    if not pairs:
        raise UdevRuleError("empty udev rule: %r" % line)
    return pairs


def parse_rules(text):
    """Every rule of a rules file; the comment line right above a rule is kept with it."""
    rules = []
    comment = None
    for number, line in enumerate((text or "").splitlines(), 1):
        stripped = line.strip()
        if not stripped:
            comment = None
            continue
        if stripped.startswith("#"):
            comment = stripped.lstrip("#").strip()
            continue
        try:
            rules.append(UdevRule(parse_rule_line(stripped), comment))
        except UdevRuleError as exc:
            raise UdevRuleError("line %d: %s" % (number, exc))
        comment = None
    return rules


def render_rules(header_lines, rules):
    """A whole rules file: ``#`` header, a blank line, then one block per rule."""
    text = "".join("# %s\n" % line if line else "#\n" for line in header_lines)
    return text + "".join("\n" + rule.render() for rule in rules)


def rules_path(name):
    """Machine path of a rules file called ``name`` in /etc/udev/rules.d."""
    return "%s/%s" % (RULES_DIR, name)


class RulesFileChange:
    """Outcome of :func:`sync_rules_file`: what the file held and holds."""

    def __init__(self, path, before, after):
        self.path = path
        self.before = before
        self.after = after

    @property
    def changed(self):
        return self.before != self.after

    def diff(self):
        return {
            "before_header": self.path if self.before is not None else "%s (absent)" % self.path,
            "after_header": self.path if self.after is not None else "%s (absent)" % self.path,
            "before": self.before or "",
            "after": self.after or "",
        }


def sync_rules_file(root, path, content, check_mode):
    """Make ``path`` hold ``content`` (remove it when ``content`` is None).

    The file is replaced atomically; nothing is written in check mode.
    """
    before = root.read_text(path) if root.exists(path) else None
    change = RulesFileChange(path, before, content)
    if change.changed and not check_mode:
        try:
            if content is None:
                root.remove(path)
            else:
                root.write_config(path, content, mode=0o644)
        except (IOError, OSError) as exc:
            raise UdevRuleError("cannot %s %s: %s" % ("remove" if content is None else "write", path, exc))
    return change


def reload_udev(root, run_command):
    """Tell udevd to re-read its rules (``udevadm control --reload``).

    ``run_command`` is ``AnsibleModule.run_command``.  Returns the argv that
    ran, or None when the root has no udevadm (a tree without udev, where
    the rules are read at the next boot anyway).  Raises :class:`UdevRuleError`
    when udevadm fails.
    """
    udevadm = root.find_tool("udevadm")
    if udevadm is None:
        return None
    argv = [udevadm, "control", "--reload"]
    try:
        CommandRunner(root, run_command).run(argv)
    except CommandError as exc:
        raise UdevRuleError(str(exc))
    return argv


def install_rules_file(root, path, content, check_mode, run_command):
    """:func:`sync_rules_file`, then have udevd re-read its rules when the file changed.

    Returns ``(change, reloaded)``: the :class:`RulesFileChange` and whether
    udevadm ran.  Raises :class:`UdevRuleError` when udevadm fails after the
    file was written.
    """
    change = sync_rules_file(root, path, content, check_mode)
    reloaded = False
    if change.changed and not check_mode:
        try:
            reloaded = reload_udev(root, run_command) is not None
        except UdevRuleError as exc:
            failure = UdevRuleError("the rules file was written but udev did not reload: %s" % exc)
            # The file is on disk: the caller must report a change although it fails.
            failure.file_written = True
            raise failure
    return change, reloaded
