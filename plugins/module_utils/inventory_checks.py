# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory values of one host, checked before a run changes anything anywhere.

Two kinds of check, each giving one message per bad value (never a list of every check there is):
- the collection-wide variables no role owns (inferops_*, and the one role value whose allowed range
  an argument spec cannot express), as rules below;
- every role's own variables (those named ``<role>_...``) against that role's ``meta/argument_specs.yml``,
  with ansible-core's ArgumentSpecValidator, the engine of ``validate_argument_spec``.

Plain Python on the controller: the facts play calls it through the ``inventory_problems`` filter, one
task per host where a loop of templated assertions cost a task start per check and host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections.abc import Mapping, Sequence

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

ROLES = ("rdna4", "strix_halo", "ollama", "llama_cpp")
SERVING_STACKS = ("ollama", "llama_cpp")
HOST_CLASSES = ("rdna4_discrete", "strix_halo", "none")
BOOL_WORDS = ("true", "false", "yes", "no", "on", "off", "1", "0")
UNSET = object()


def _is_list(value):
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _text(value):
    """The value as a message shows it: what Jinja's ``string`` filter gives."""
    return str(value)


# name -> (default when unset, test, allowed, what the message shows when unset)
COLLECTION_RULES = {
    # a boolean, or the words: `-e inferops_reboot_allowed=false` arrives as a string
    "inferops_reboot_allowed": (False, lambda value: _text(value).lower() in BOOL_WORDS, "true or false", None),
    "inferops_sysroot": ("/", lambda value: isinstance(value, str) and value.startswith("/"), "an absolute path", None),
    "inferops_reboot_command": (UNSET, lambda value: value is UNSET or _is_list(value), "a list of arguments", "unset"),
    "inferops_host_class": ("none", lambda value: value in HOST_CLASSES,
                            "one of rdna4_discrete, strix_halo, none", "unset"),
    # argument specs have no "0 or more"; -4096 passes type int there
    "strix_halo_gtt_reserve_mib": (0, lambda value: re.match(r"^[0-9]+$", _text(value)) is not None,
                                   "a whole number of MiB, 0 or more", None),
    "inferops_serving": (["ollama"], lambda value: _is_list(value) and all(item in SERVING_STACKS for item in value),
                         "a list of ollama, llama_cpp", None),
    "inferops_benchmark": ({}, lambda value: isinstance(value, Mapping), "a dict (api, url, model, ...)", None),
}


def collection_problems(values):
    """One message per collection-wide variable of ``values`` (a host's variables) that is not allowed."""
    problems = []
    for name, (default, test, allowed, unset_text) in COLLECTION_RULES.items():
        value = values.get(name, UNSET)
        if value is UNSET:
            value = default
        if test(value):
            continue
        shown = unset_text if value is UNSET else _text(value)
        problems.append("%s must be %s (got %s)" % (name, allowed, shown))
    return problems


def role_values(values, role):
    """The variables of ``values`` that belong to ``role`` by their name."""
    prefix = role + "_"
    return dict((name, values[name]) for name in values if name.startswith(prefix))


def role_problems(values, specs, named=()):
    """Messages of ArgumentSpecValidator for each role's variables; ``specs`` maps role -> spec options.

    Variables in ``named`` (already reported by a collection-wide rule) are left out, so that no value is
    named twice."""
    problems = []
    for role in ROLES:
        provided = dict((name, value) for name, value in role_values(values, role).items() if name not in named)
        if not provided:
            continue
        result = ArgumentSpecValidator(specs[role]).validate(provided)
        for error in result.errors:
            # the validator's own text for a misspelt name starts with the name alone
            text = "unknown variable or option " + error.msg if isinstance(error, UnsupportedError) else error.msg
            problems.append("role %s: %s" % (role, text))
    return problems


def inventory_problems(values, specs):
    """Every problem of one host's inventory values, collection-wide first."""
    problems = collection_problems(values)
    named = [problem.split(" ", 1)[0] for problem in problems]
    return problems + role_problems(values, specs, named)
