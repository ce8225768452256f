"""Copy a recorded host into a scratch root that tests and the demo may change.

The recorded trees under tests/fixtures/hosts/<profile>/root are never
written to.  A scratch host is a copy of one of them plus:

* the simulation marker (.inferops-simulation.json, from the profile's
  simulation.json), the settings of the simulated kernel
  (tests/simulation/sysfs.py) and boot (tests/simulation/simulated_boot.py);
* the tree's kernel attribute writer at the collection's ATTRIBUTE_WRITER
  (/usr/libexec/inferops/sysfs-write): the stand-in
  tests/simulation/tools/sysfs-write, which answers attribute writes as the
  kernel would, so that the collection writes the tree like a machine
  (with INFEROPS_SIMULATION=1 on the controller);
* the simulated tools the profile lists (update-grub, grubby, ryzenadj...),
  copied from tests/simulation/tools/ into the tree's /usr/sbin, where the
  modules look for them;
* a record of how every volatile attribute reads after boot, so that a
  simulated reboot can put them back.

PROFILE is a recorded profile's name or a capture archive made by
inferops.amd.hardware_capture (a path ending in .tar.gz): the archive is
extracted into DEST and gets a simulation marker and the attribute writer, so
the replayed host behaves like a kernel (brackets move, writes are checked)
instead of being a plain tree that is only read.

A capture is data, and replaying one runs nothing from it.  The archive must be
of the format this file reads (CAPTURE_FORMAT; an older capture is refused with
a message that says to capture again); members that are executable, setuid,
devices, hard links, below a symlink, named twice, the simulation marker, the
attribute writer's place, or symlinks leading out of DEST are refused before
anything is written (a chain of links is checked again, resolved, after
extraction).  Each recorded tool,
an empty file at its place (the manifest's "tool_paths"), becomes the stand-in
tests/simulation/tools/recorded-tool, which answers the recorded read-only
command from .inferops-capture/tools/<name>.json and refuses everything else.

Usage: python tests/simulation/scratch_host.py PROFILE DEST     (DEST must not exist or be empty)
       python tests/simulation/scratch_host.py CAPTURE.tar.gz DEST
       scratch_host.py --list
"""

import argparse
import json
import os
import re
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

from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import ATTRIBUTE_WRITER  # noqa: E402
from tests.simulation import simulated_boot  # noqa: E402

# The capture format this replay reads: plugins/module_utils/_host/capture.py's FORMAT, kept equal by
# tests/unit/simulation/test_scratch_host.py, so that a new format cannot pass unread.
CAPTURE_FORMAT = 2
MANIFEST = ".inferops-capture/manifest.json"
RECORDED_TOOL = "recorded-tool"
ATTRIBUTE_WRITER_STAND_IN = "sysfs-write"
TOOL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


def profiles():
    return sorted(name for name in os.listdir(FIXTURE_HOSTS)
                  if os.path.isdir(os.path.join(FIXTURE_HOSTS, name, "root")))


def profile_config(profile):
    path = os.path.join(FIXTURE_HOSTS, profile, "simulation.json")
    with open(path, "r", encoding="utf-8") as handle:
        return json.load(handle)


LAUNCHER = """#!%(interpreter)s
# Simulated %(name)s for this tree: runs %(source)s
import os, sys
os.environ.setdefault("INFEROPS_SYSROOT", %(root)r)
sys.path.insert(0, %(tools)r)
# argv[0] stays this file, as after a real exec (runpy would replace it with the source path).
sys.argv[0] = %(target)r
with open(%(source)r) as handle:
    code = compile(handle.read(), %(source)r, "exec")
exec(code, {"__name__": "__main__", "__file__": %(source)r, "TOOL_NAME": %(name)r})
"""


def install_tool(dest, name, folder="/usr/sbin"):
    """Install a simulated tool into the tree as a launcher of tests/simulation/tools/<name>.

    The launcher pins INFEROPS_SYSROOT to the tree, so the tool acts on the tree
    whoever runs it, and lets the tools import tests/simulation/tools/simtool.py.
    """
    target_dir = os.path.join(dest, folder.lstrip("/"))
    os.makedirs(target_dir, exist_ok=True)
    return write_launcher(dest, os.path.join(target_dir, name), name, name)


def write_launcher(dest, target, name, stand_in, interpreter="/usr/bin/env python3"):
    """Write at ``target`` a launcher of tests/simulation/tools/<stand_in> that runs as tool ``name``."""
    source = os.path.join(TOOLS, stand_in)
    if not os.path.isfile(source):
        raise SystemExit("simulated tool '%s' does not exist in %s" % (stand_in, TOOLS))
    with open(target, "w") as handle:
        handle.write(LAUNCHER % {"name": name, "source": source, "root": os.path.abspath(dest), "tools": TOOLS,
                                 "target": target, "interpreter": interpreter})
    os.chmod(target, 0o755)
    return target


def install_attribute_writer(dest):
    """Install the stand-in kernel attribute writer at ATTRIBUTE_WRITER of the tree ``dest``; return its path."""
    folder = os.path.dirname(ATTRIBUTE_WRITER).lstrip("/")
    os.makedirs(os.path.join(dest, folder), exist_ok=True)
    if os.path.realpath(os.path.join(dest, folder)) != os.path.join(os.path.realpath(dest), folder):
        raise SystemExit("refusing to install the attribute writer: %s of %s is reached through a symlink"
                         % (os.path.dirname(ATTRIBUTE_WRITER), dest))
    target = os.path.join(dest, ATTRIBUTE_WRITER.lstrip("/"))
    if os.path.lexists(target):
        raise SystemExit("refusing to install the attribute writer: %s already exists in %s" % (ATTRIBUTE_WRITER, dest))
    # One process per attribute write: this interpreter without site-packages (the stand-in needs the standard
    # library only) starts in a fraction of the time of a PATH lookup of python3 through a version manager's shim.
    interpreter = "%s -S" % sys.executable if sys.executable and " " not in sys.executable else "/usr/bin/env python3"
    return write_launcher(dest, target, ATTRIBUTE_WRITER_STAND_IN, ATTRIBUTE_WRITER_STAND_IN, interpreter)


def scratch_additions(profile):
    """Paths (relative to the tree) that a scratch copy of ``profile`` adds to the recorded tree on purpose.

    The simulation marker, the tools' launchers and the attribute writer with the
    folders the recorded tree lacks for it; the tests that compare a scratch host
    with its recording leave these out.
    """
    added = {simulated_boot.MARKER}
    tools = profile_config(profile).get("tools", {})
    added.update(os.path.join(folder.strip("/"), name) for name, folder in tools.items())
    recorded = os.path.join(FIXTURE_HOSTS, profile, "root")
    path = ATTRIBUTE_WRITER.lstrip("/")
    while path and not os.path.lexists(os.path.join(recorded, os.path.dirname(path))):
        path = os.path.dirname(path)
    added.add(path)
    return added


def is_capture(profile):
    return profile.endswith((".tar.gz", ".tgz")) and os.path.isfile(profile)


def capture_manifest(archive, handle):
    """The manifest of an open capture archive, refused unless it is of CAPTURE_FORMAT."""
    try:
        info = handle.getmember(MANIFEST)
    except KeyError:
        raise SystemExit("%s is not a capture: no %s in it" % (archive, MANIFEST))
    try:
        manifest = json.loads(handle.extractfile(info).read().decode("utf-8")) if info.isfile() else None
    except (AttributeError, ValueError, UnicodeDecodeError):
        manifest = None
    if not isinstance(manifest, dict):
        raise SystemExit("%s is not a capture: %s is not a JSON object" % (archive, MANIFEST))
    found = manifest.get("format")
    if found == CAPTURE_FORMAT:
        return manifest
    if isinstance(found, int) and not isinstance(found, bool) and found < CAPTURE_FORMAT:
        raise SystemExit("capture %s is format %d, made by an older inferops.amd whose captures held shell scripts "
                         "in place of tools; this replay reads format %d only, where a capture is data: capture the "
                         "host again with this collection" % (archive, found, CAPTURE_FORMAT))
    raise SystemExit("capture %s is format %r; this replay reads format %d" % (archive, found, CAPTURE_FORMAT))


def _leaves_tree(relative):
    return os.path.isabs(relative) or relative == ".." or relative.startswith("../")


def member_refusal(member):
    """Why one capture member may not be extracted, or None."""
    name = member.name
    if not name or name != os.path.normpath(name) or _leaves_tree(name) or name == ".":
        return "captures hold relative machine paths"
    if not (member.isdir() or member.isfile() or member.issym()):
        return "captures hold folders, files and symlinks only"
    if not member.issym() and member.mode & (0o7111 if member.isfile() else 0o7000):
        return "executable or special mode bits (%04o): a capture is data" % member.mode
    if name == simulated_boot.MARKER:
        return "the replay writes the simulation marker itself; a capture never holds one"
    if name == ATTRIBUTE_WRITER.lstrip("/"):
        return "the replay installs the attribute writer itself; a capture never holds one"
    if member.issym() and _leaves_tree(os.path.normpath(os.path.join(os.path.dirname(name), member.linkname))):
        return "the symlink to %s leaves the tree" % member.linkname
    return None


def check_members(archive, members):
    """Refuse (SystemExit) the archive when one of its members may not be extracted."""
    seen, links = set(), set()
    for member in members:
        reason = member_refusal(member) or (member.name in seen and "it appears more than once")
        if reason:
            raise SystemExit("refusing capture member %r of %s: %s" % (member.name, archive, reason))
        seen.add(member.name)
        if member.issym():
            links.add(member.name)
    for member in members:
        parts = member.name.split("/")
        below = ["/".join(parts[:count]) for count in range(1, len(parts)) if "/".join(parts[:count]) in links]
        if below:
            raise SystemExit("refusing capture member %r of %s: it lies below the symlink %s; a capture stores "
                             "members at their resolved place" % (member.name, archive, below[0]))


def check_tool_paths(archive, manifest, members):
    """Refuse the archive unless every recorded tool's place is an empty file member and its name a file name."""
    tool_paths = manifest.get("tool_paths", {})
    if not isinstance(tool_paths, dict):
        raise SystemExit("refusing capture %s: its manifest's tool_paths is not a map of path to name" % archive)
    files = dict((member.name, member) for member in members if member.isfile())
    for machine_path, name in sorted(tool_paths.items()):
        if not isinstance(name, str) or not TOOL_NAME.match(name):
            raise SystemExit("refusing tool name %r of %s: a tool name is a file name" % (name, archive))
        member = files.get(machine_path[1:]) if machine_path.startswith("/") else None
        if member is None or member.size != 0:
            raise SystemExit("refusing tool path %r of %s: a tool's place in a capture is an empty file member, "
                             "not a symlink, a folder or a file with content" % (machine_path, archive))
    return tool_paths


def links_leaving(dest):
    """Symlinks of the extracted tree that resolve outside it (a chain of links inside can still lead out)."""
    top = os.path.realpath(dest)
    for folder, folders, files in os.walk(dest):
        for name in folders + files:
            path = os.path.join(folder, name)
            real = os.path.realpath(path)
            if os.path.islink(path) and real != top and not real.startswith(top + os.sep):
                yield os.path.relpath(path, dest)


def empty_folder(dest):
    for name in os.listdir(dest):
        path = os.path.join(dest, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)


def extract_capture(archive, dest):
    """Extract a capture into ``dest``; return its manifest.

    Everything is checked before the first byte is written; what is refused
    after extraction (a chain of links leading out) empties ``dest`` again.
    """
    with tarfile.open(archive, "r:gz") as handle:
        manifest = capture_manifest(archive, handle)
        members = handle.getmembers()
        check_members(archive, members)
        check_tool_paths(archive, manifest, members)
        for member in members:
            # Owned by whoever replays it (as root, tarfile would chown to the archive's owner names).
            member.uid, member.gid, member.uname, member.gname = os.getuid(), os.getgid(), "", ""
        os.makedirs(dest, exist_ok=True)
        try:
            if hasattr(tarfile, "data_filter"):
                handle.extractall(dest, members=members, numeric_owner=True, filter="tar")
            else:
                handle.extractall(dest, members=members, numeric_owner=True)
        except (OSError, tarfile.TarError) as exc:
            empty_folder(dest)
            raise SystemExit("refusing capture %s: it does not extract as a tree: %s" % (archive, exc))
    leaving = sorted(links_leaving(dest))
    if leaving:
        empty_folder(dest)
        raise SystemExit("refusing capture %s: the symlink %s leaves the tree" % (archive, leaving[0]))
    return manifest


def install_recorded_tools(dest, manifest):
    """Put the stand-in tests/simulation/tools/recorded-tool at each recorded tool's place (checked before)."""
    for machine_path, name in sorted(manifest.get("tool_paths", {}).items()):
        target = os.path.join(dest, machine_path.lstrip("/"))
        if os.path.islink(target) or not os.path.isfile(target):
            raise SystemExit("recorded tool %s did not extract as a file at %s" % (name, target))
        write_launcher(dest, target, name, RECORDED_TOOL)


def make_scratch_host(profile, dest):
    """Create a scratch copy of ``profile`` (a profile name or a capture archive) at ``dest``; return ``dest``."""
    if is_capture(profile):
        if os.path.exists(dest) and os.listdir(dest):
            raise SystemExit("refusing to extract into non-empty %s" % dest)
        manifest = extract_capture(profile, dest)
        with open(os.path.join(dest, simulated_boot.MARKER), "w", encoding="utf-8") as handle:
            json.dump({"capture": os.path.basename(profile)}, handle, indent=2, sort_keys=True)
        install_recorded_tools(dest, manifest)
        install_attribute_writer(dest)
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
    install_attribute_writer(dest)
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
