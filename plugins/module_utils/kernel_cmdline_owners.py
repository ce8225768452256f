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
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.inferops.amd.plugins.module_utils.kernel_cmdline import (
    CmdlineError,
    argument_key,
    same_argument,
)

STATE_FILE = "/var/lib/inferops.amd/kernel_cmdline.json"


def read_owners(root):
    text = root.read_text(STATE_FILE)
    if text is None:
        return {}
    try:
        owners = json.loads(text)["owners"]
    except (ValueError, KeyError, TypeError):
        raise CmdlineError("%s is not the collection's ownership record ({\"owners\": {...}}); fix or remove it"
                           % STATE_FILE)
    if not isinstance(owners, dict) or not all(isinstance(args, list) for args in owners.values()):
        raise CmdlineError("%s: owners must map names to lists of arguments" % STATE_FILE)
    return owners


def released(owners, owner, present):
    """Arguments ``owner`` recorded that its request no longer names, and no other owner records."""
    others = [arg for name, args in owners.items() if name != owner for arg in args]
    wanted = set(argument_key(arg) for arg in present)
    return [arg for arg in owners.get(owner, []) if argument_key(arg) not in wanted and
            not any(same_argument(arg, other) for other in others)]


def updated_owners(owners, owner, present, added, before):
    """The record after a run: what the owner added now, plus what it had and still asks for."""
    kept = [arg for arg in owners.get(owner, []) if any(same_argument(arg, want) for want in present)]
    new = [arg for arg in added if any(same_argument(arg, want) for want in present)
           and not any(same_argument(arg, old) for old in before)]
    result = dict(owners)
    args = kept + [arg for arg in new if not any(same_argument(arg, have) for have in kept)]
    if args:
        result[owner] = args
    else:
        result.pop(owner, None)
    return result


def write_owners(root, owners):
    root.write_config(STATE_FILE, json.dumps({"owners": owners}, indent=2, sort_keys=True) + "\n")
