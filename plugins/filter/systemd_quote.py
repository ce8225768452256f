# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: systemd_quote
short_description: Quote a command line or environment variables for a systemd unit file
version_added: 0.2.0
description:
  - The unit-file quoting of the collection's modules, for templates, so that a unit written by a role and one
    written by a module say the same thing to systemd.
  - A list is a command (the executable, then each argument) and becomes the value of C(ExecStart=) (or any
    C(Exec*=) setting), as systemd.service(5) "Command lines" reads it. C(%) is doubled (a specifier otherwise) and
    C($) is doubled (an environment variable reference otherwise); a word holding white space, quotes, C(\) or
    C(;) is double-quoted with C(\) and C(") escaped, so no argument is split or expanded.
  - A dictionary is environment variables and becomes a list of C(Environment=) values, one a variable, sorted by
    name. Each is C("NAME=value") with C(\) and C(") escaped and C(%) doubled; C($) stays as it is, because
    systemd does not expand variables in C(Environment=) (systemd.exec(5)). Null or empty values are left out
    and booleans become C(1) or C(0).
author:
  - inferops.amd contributors (@inferops)
options:
  _input:
    description: The command (a list of words) or the environment variables (a dictionary).
    type: raw
    required: true
"""

EXAMPLES = r"""
# In a unit file template:
#   {% for value in service_environment | inferops.amd.systemd_quote %}
#   Environment={{ value }}
#   {% endfor %}
#   ExecStart={{ ['/usr/bin/llama-server', '--model', model_path] | inferops.amd.systemd_quote }}
- name: Show how systemd would be given a command
  ansible.builtin.debug:
    msg: "ExecStart={{ ['/usr/bin/env', 'GREETING=$HOME at 100%', 'x'] | inferops.amd.systemd_quote }}"
  # ExecStart=/usr/bin/env "GREETING=$$HOME at 100%%" x
"""

RETURN = r"""
_value:
  description:
    - For a list, the command line (a string).
    - For a dictionary, the C(Environment=) values (a list of strings).
  type: raw
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence

from ansible_collections.inferops.amd.plugins.module_utils._systemd.dropins import (
    DropinError, quote_assignment, settings_values)
from ansible_collections.inferops.amd.plugins.module_utils._systemd.units import quote_exec_argv


def systemd_quote(value):
    if isinstance(value, dict):
        try:
            values = settings_values(value)
            return [quote_assignment(name, values[name]) for name in sorted(values)]
        except DropinError as exc:
            raise AnsibleFilterError("systemd_quote: %s" % exc)
    if is_sequence(value):
        if not value:
            raise AnsibleFilterError("systemd_quote: a command needs at least the executable, got an empty list")
        words = [str(word) for word in value]
        if any("\n" in word or "\r" in word for word in words):
            raise AnsibleFilterError("systemd_quote: a command word holds a line break, which a unit file line cannot "
                                     "carry: %r" % [word for word in words if "\n" in word or "\r" in word][0])
        return quote_exec_argv(words)
    raise AnsibleFilterError("systemd_quote expects a list (a command) or a dictionary (environment variables), "
                             "got %s" % type(value).__name__)


class FilterModule(object):
    def filters(self):
        return {"systemd_quote": systemd_quote}
