# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ollama_backend moved out of Ollama's search path, recorded on the host.

``mechanism=files`` moves whole backend folders (a flat layout: the backend's
library file) from ``<lib_dir>`` to ``<lib_dir>.inferops-disabled``, on the
same filesystem, so a move is one rename(2).  Each move is recorded in that
folder's :data:`RECORD_NAME` *before* it is made, so an interrupted run still
knows what to put back; ``backend: auto`` moves every recorded entry back and
removes the record and the emptied folder, leaving the tree as it was.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

RECORD_NAME = "inferops-moves.json"


def record_path(stash_dir):
    return os.path.join(stash_dir, RECORD_NAME)


class StateError(Exception):
    """The record or a move cannot be trusted; nothing further is changed."""


def read_state(root, stash_dir):
    path = record_path(stash_dir)
    text = root.read_text(path)
    if not text:
        return {"moves": []}
    try:
        state = json.loads(text)
    except ValueError as exc:
        raise StateError("%s is not valid JSON (%s); fix or remove it by hand" % (path, exc))
    if not isinstance(state.get("moves"), list):
        raise StateError("%s has no list of moves; fix or remove it by hand" % path)
    return state


def write_state(root, state, stash_dir):
    path = record_path(stash_dir)
    if state["moves"]:
        root.write_config(path, json.dumps(state, indent=2, sort_keys=True) + "\n", mode=0o644)
        return
    root.remove(path)
    folder = root.path(stash_dir)
    if os.path.isdir(folder) and not os.listdir(folder):
        os.rmdir(folder)


def check_moves(root, moves):
    """None, or why the moves cannot be made (checked before anything changes)."""
    for source, target in moves:
        if not os.path.lexists(root.path(source)):
            return "%s is missing" % source
        if os.path.lexists(root.path(target)):
            return "both %s and %s exist; remove the stale one" % (source, target)
    return None


def _record(state, origin, destination):
    """Add a move, or drop the entry when the move puts a recorded unit back."""
    for entry in state["moves"]:
        if entry["to"] == origin and entry["from"] == destination:
            state["moves"].remove(entry)
            return
    state["moves"].append({"from": origin, "to": destination})


def apply_moves(root, moves, stash_dir):
    """Make ``moves`` (recording each first); undo the done ones when one fails."""
    state = read_state(root, stash_dir)
    done = []
    current = None
    try:
        for current in moves:
            source, target = current
            parent = os.path.dirname(root.path(target))
            if not os.path.isdir(parent):
                os.makedirs(parent, 0o755)
            _record(state, origin=source, destination=target)
            write_state(root, state, stash_dir)
            os.rename(root.path(source), root.path(target))
            done.append((source, target))
    except OSError:
        if current is not None and current not in done:
            _record(state, origin=current[1], destination=current[0])
        for source, target in reversed(done):
            os.rename(root.path(target), root.path(source))
            _record(state, origin=target, destination=source)
        write_state(root, state, stash_dir)
        raise
    write_state(root, state, stash_dir)
    return done
