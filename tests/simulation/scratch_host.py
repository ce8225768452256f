"""Copy a recorded host into a scratch root that tests and the demo may change.

The recorded trees under tests/fixtures/hosts/<profile>/root are never
written to.  A scratch host is a copy of one of them plus:

* the simulation marker (.inferops-simulation.json, from the profile's
  simulation.json), which turns on the kernel behaviour of
  the simulated sysfs and boot of tests/simulation/simulated_boot.py;
* the simulated tools the profile lists (update-grub, grubby, ryzenadj...),
  copied from tests/simulation/tools/ into the tree's /usr/sbin, where the
  modules look for them;
* a record of how every volatile attribute reads after boot, so that a
  simulated reboot can put them back.

PROFILE is a recorded profile's name or a capture archive made by
inferops.amd.hardware_capture (a path ending in .tar.gz): the archive is
extracted into DEST and gets an empty simulation marker, so the replayed host
behaves like a kernel (brackets move, writes are checked) instead of being a
plain tree that is only read.  Its recorded tools stay the replay scripts the
capture put in their place.

Usage: python tests/simulation/scratch_host.py PROFILE DEST     (DEST must not exist or be empty)
       python tests/simulation/scratch_host.py CAPTURE.tar.gz DEST
       scratch_host.py --list
"""

import argparse
import json
import os
import shutil
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FIXTURE_HOSTS = os.path.join(REPO, "tests", "fixtures", "hosts")
TOOLS = os.path.join(HERE, "tools")
COLLECTIONS = os.path.join(REPO, ".build", "collections")

if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from tests.simulation import simulated_boot  # noqa: E402


def profiles():
    return sorted(name for name in os.listdir(FIXTURE_HOSTS)
                  if os.path.isdir(os.path.join(FIXTURE_HOSTS, name, "root")))


def profile_config(profile):
    path = os.path.join(FIXTURE_HOSTS, profile, "simulation.json")
    with open(path, "r", encoding="utf-8") as handle:
        return json.load(handle)


LAUNCHER = """#!/usr/bin/env python3
# Simulated %(name)s for this tree: runs %(source)s
import os, sys
os.environ.setdefault("INFEROPS_SYSROOT", %(root)r)
sys.path.insert(0, %(tools)r)
# argv[0] stays this file, as after a real exec (runpy would replace it with the source path).
sys.argv[0] = %(target)r
with open(%(source)r) as handle:
    code = compile(handle.read(), %(source)r, "exec")
exec(code, {"__name__": "__main__", "__file__": %(source)r})
"""


def install_tool(dest, name, folder="/usr/sbin"):
    """Install a simulated tool into the tree as a launcher of tests/simulation/tools/<name>.

    The launcher pins INFEROPS_SYSROOT to the tree, so the tool acts on the tree
    whoever runs it, and lets the tools import tests/simulation/tools/simtool.py.
    """
    source = os.path.join(TOOLS, name)
    if not os.path.isfile(source):
        raise SystemExit("simulated tool '%s' does not exist in %s" % (name, TOOLS))
    target_dir = os.path.join(dest, folder.lstrip("/"))
    os.makedirs(target_dir, exist_ok=True)
    target = os.path.join(target_dir, name)
    with open(target, "w") as handle:
        handle.write(LAUNCHER % {"name": name, "source": source, "root": os.path.abspath(dest), "tools": TOOLS,
                                 "target": target})
    os.chmod(target, 0o755)
    return target


def is_capture(profile):
    return profile.endswith((".tar.gz", ".tgz")) and os.path.isfile(profile)


def extract_capture(archive, dest):
    """Extract a capture into ``dest``, refusing members that would land outside it."""
    with tarfile.open(archive, "r:gz") as handle:
        members = handle.getmembers()
        for member in members:
            name = os.path.normpath(member.name)
            if name.startswith(("/", "..")) or not (member.isdir() or member.isfile() or member.issym()):
                raise SystemExit("refusing capture member %r of %s: captures hold relative machine paths, "
                                 "folders, files and symlinks only" % (member.name, archive))
            if member.issym() and (member.linkname.startswith("/") or os.path.normpath(
                    os.path.join(os.path.dirname(name), member.linkname)).startswith("..")):
                raise SystemExit("refusing symlink %s -> %s in %s: it leaves the tree" % (member.name, member.linkname, archive))
        if hasattr(tarfile, "data_filter"):
            handle.extractall(dest, members=members, filter="tar")
        else:
            handle.extractall(dest, members=members)


def make_scratch_host(profile, dest):
    """Create a scratch copy of ``profile`` (a profile name or a capture archive) at ``dest``; return ``dest``."""
    if is_capture(profile):
        if os.path.exists(dest) and os.listdir(dest):
            raise SystemExit("refusing to extract into non-empty %s" % dest)
        os.makedirs(dest, exist_ok=True)
        extract_capture(profile, dest)
        with open(os.path.join(dest, simulated_boot.MARKER), "w", encoding="utf-8") as handle:
            json.dump({"capture": os.path.basename(profile)}, handle, indent=2, sort_keys=True)
        simulated_boot.load(dest).record_boot_state()
        return dest
    if profile not in profiles():
        raise SystemExit("unknown host profile '%s'; known: %s" % (profile, ", ".join(profiles())))
    if os.path.exists(dest) and os.listdir(dest):
        raise SystemExit("refusing to copy into non-empty %s" % dest)
    if os.path.exists(dest):
        os.rmdir(dest)
    shutil.copytree(os.path.join(FIXTURE_HOSTS, profile, "root"), dest, symlinks=True)
    config = profile_config(profile)
    tools = config.pop("tools", {})
    with open(os.path.join(dest, simulated_boot.MARKER), "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=2, sort_keys=True)
    for name, folder in sorted(tools.items()):
        install_tool(dest, name, folder)
    simulated_boot.load(dest).record_boot_state()
    return dest


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", nargs="?")
    parser.add_argument("dest", nargs="?")
    parser.add_argument("--list", action="store_true", help="list the recorded host profiles")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(profiles()))
        return 0
    if not args.profile or not args.dest:
        parser.error("PROFILE and DEST are required")
    profile = os.path.abspath(args.profile) if is_capture(args.profile) else args.profile
    make_scratch_host(profile, os.path.abspath(args.dest))
    print(args.dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
