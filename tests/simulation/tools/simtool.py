"""What every simulated system tool shares: finding its host tree, logging the call, the failure knob.

A simulated tool runs on behalf of one simulated host.  Installed into a scratch
tree by tests/simulation/scratch_host.py, it is started through a launcher that
sets INFEROPS_SYSROOT to the tree and puts this folder on sys.path; run from
here directly, INFEROPS_SYSROOT must be set, or the tool looks for the
simulation marker above the path it was started as.

Every call is appended as a JSON line ({"tool", "argv", "time"}) to
<root>/var/log/inferops-sim/tools.log, which tests read to see what a module ran.

Failure knob: a tool named in the marker's "fail_tools" map ({"update-grub":
"message"}) or in the environment variable INFEROPS_SIM_FAIL (comma-separated
names) exits 1 with the message on stderr before touching anything.
"""

import json
import os
import sys
import time

MARKER = ".inferops-simulation.json"
TOOLS_LOG = "var/log/inferops-sim/tools.log"


def find_root(name):
    """The simulated host's root folder; exits with a message when there is none."""
    env = os.environ.get("INFEROPS_SYSROOT")
    if env:
        return os.path.abspath(env)
    folder = os.path.dirname(os.path.realpath(sys.argv[0]))
    while folder != "/":
        if os.path.isfile(os.path.join(folder, MARKER)):
            return folder
        folder = os.path.dirname(folder)
    sys.exit("simulated %s: no %s above %s and INFEROPS_SYSROOT is not set" % (name, MARKER, sys.argv[0]))


def marker(root):
    """The simulation settings of the host (its marker file)."""
    with open(os.path.join(root, MARKER), encoding="utf-8") as handle:
        return json.load(handle)


def log_call(root, name, argv):
    path = os.path.join(root, TOOLS_LOG)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"tool": name, "argv": argv, "time": time.time()}) + "\n")


def fail_if_asked(root, name):
    failing = marker(root).get("fail_tools", {})
    env_failing = [item.strip() for item in os.environ.get("INFEROPS_SIM_FAIL", "").split(",") if item.strip()]
    if name in failing or name in env_failing:
        sys.stderr.write("%s\n" % failing.get(name, "%s: simulated failure (INFEROPS_SIM_FAIL)" % name))
        sys.exit(1)


def start(name, argv):
    """Find the root, log the call, apply the failure knob; return the root."""
    root = find_root(name)
    log_call(root, name, argv)
    fail_if_asked(root, name)
    return root


def split_args(text):
    """A kernel command line split at spaces outside double quotes (the quotes kept).

    The tools keep their own copy of this rule rather than the collection's
    parser, so that a bug in the parser under test is not mirrored by its fakes.
    """
    args, current, quoted = [], [], False
    for char in text.strip():
        if char == '"':
            quoted = not quoted
        if char.isspace() and not quoted:
            if current:
                args.append("".join(current))
                current = []
            continue
        current.append(char)
    if current:
        args.append("".join(current))
    return args
