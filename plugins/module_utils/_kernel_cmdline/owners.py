# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which kernel arguments the collection put on the command line, recorded on the host.

``/var/lib/inferops.amd/kernel_cmdline.json`` maps an owner (a role's concern, such
as ``rdna4_aspm``) to the arguments that owner added::

    {"owners": {"rdna4_aspm": ["pcie_aspm.policy=performance"]}}

An argument is recorded only when this collection added it; one that was already
configured before (the user's own) is never recorded, so it is never removed on the
owner's behalf.  When an owner's request no longer names an argument it recorded,
the argument is removed from the command line (unless another owner still
records it) and from the record.

A released argument stays listed under ``released`` for its owner::

    {"owners": {}, "released": {"rdna4_aspm": ["pcie_aspm.policy=performance"]}}

so that a later run, before the reboot, still sees that the running kernel has an
argument the boot configuration no longer has and reports that a reboot is due
(the run that released it is not the only one that knows).  The list never makes
the module remove anything; it leaves the record when the owner asks for the
argument again.

When an owner's argument replaced the user's own value of the same name
(``pcie_aspm.policy=powersave`` set by hand, ``performance`` asked for), the user's
argument is kept under ``replaced``::

    {"owners": {"rdna4_aspm": ["pcie_aspm.policy=performance"]},
     "replaced": {"rdna4_aspm": ["pcie_aspm.policy=powersave"]}}

and on release it takes the owner's place again instead of the name disappearing:
the user's value stays the user's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import (
    CmdlineError,
    argument_key,
    same_argument,
)

STATE_FILE = "/var/lib/inferops.amd/kernel_cmdline.json"


def read_state(root):
    """``(owners, released, replaced)`` from the record; three empty maps when there is none."""
    text = root.read_text(STATE_FILE)
    if text is None:
        return {}, {}, {}
    try:
        state = json.loads(text)
        maps = (state["owners"], state.get("released", {}), state.get("replaced", {}))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise CmdlineError("%s is not the collection's ownership record ({\"owners\": {...}}); fix or remove it"
                           % STATE_FILE)
    for key, value in zip(("owners", "released", "replaced"), maps):
        if not isinstance(value, dict) or not all(isinstance(args, list) for args in value.values()):
            raise CmdlineError("%s: %s must map names to lists of arguments" % (STATE_FILE, key))
    return maps


def read_owners(root):
    return read_state(root)[0]


def released(owners, owner, present):
    """Arguments ``owner`` recorded that its request no longer names, and no other owner records."""
    others = [arg for name, args in owners.items() if name != owner for arg in args]
    wanted = set(argument_key(arg) for arg in present)
    return [arg for arg in owners.get(owner, [])
            if argument_key(arg) not in wanted and not any(same_argument(arg, other) for other in others)]


def updated_owners(owners, owner, present, added, before):
    """The record after a run: what the owner added now, plus what it had and still asks for."""
    kept = [arg for arg in owners.get(owner, []) if any(same_argument(arg, want) for want in present)]
    new = [arg for arg in added
           if any(same_argument(arg, want) for want in present) and not any(same_argument(arg, old) for old in before)]
    return with_owner(owners, owner, kept + [arg for arg in new if not any(same_argument(arg, have) for have in kept)])


def restorations(replaced_map, owner, released_args):
    """The user's arguments ``owner`` replaced, for the names it releases now: they take its place again."""
    names = set(argument_key(arg) for arg in released_args)
    return [arg for arg in replaced_map.get(owner, []) if argument_key(arg) in names]


def updated_replaced(replaced_map, owner, present, added, before, restored):
    """The user's arguments ``owner`` replaced: the earlier ones it still replaces, plus this run's.

    An argument of ``before`` is the user's when the owner's request replaced it (same
    name, another value) in this run; it is dropped once it was restored.
    """
    wanted = set(argument_key(arg) for arg in present)
    args = [arg for arg in replaced_map.get(owner, []) if argument_key(arg) in wanted and arg not in restored]
    mine = [arg for arg in added if any(same_argument(arg, want) for want in present)]
    for old in before:
        if any(argument_key(old) == argument_key(new) and not same_argument(old, new) for new in mine) \
                and not any(argument_key(old) == argument_key(have) for have in args):
            args.append(old)
    return with_owner(replaced_map, owner, args)


def with_owner(mapping, owner, args):
    """A copy of ``mapping`` (owner -> arguments) with ``owner``'s list set to ``args``, or dropped when empty."""
    result = dict(mapping)
    if args:
        result[owner] = args
    else:
        result.pop(owner, None)
    return result


def pending(released_map, owner, present):
    """What ``owner`` released on an earlier run and does not ask for again."""
    wanted = set(argument_key(arg) for arg in present)
    return [arg for arg in released_map.get(owner, []) if argument_key(arg) not in wanted]


def updated_released(released_map, owner, present, now_released):
    """The released lists after a run: the owner's earlier ones it still does not ask for, plus this run's."""
    args = pending(released_map, owner, present)
    args += [arg for arg in now_released if not any(same_argument(arg, have) for have in args)]
    return with_owner(released_map, owner, args)


def write_state(root, owners, released_map, replaced_map=None):
    state = {"owners": owners}
    if released_map:
        state["released"] = released_map
    if replaced_map:
        state["replaced"] = replaced_map
    root.write_config(STATE_FILE, json.dumps(state, indent=2, sort_keys=True) + "\n")


def write_owners(root, owners):
    write_state(root, owners, {})
