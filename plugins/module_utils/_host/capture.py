# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record what the collection reads from a machine into a replayable archive.

The list of files is not written down by hand: :func:`recorded_paths` runs the
collection's own read-only code (the facts, the link, power and bootloader
readers, tool discovery) over a :class:`SysRoot` with a
:class:`~sysroot.PathRecorder`, and every machine path it touched or listed is
a candidate.  Each candidate then has to pass :func:`refusal`: a deny list
(homes, keys, shadow, credentials...) that wins over everything, then an allow
list that says how the path is kept:

* ``content``: the file's bytes (sysfs/procfs attributes, bootloader files,
  the collection's own persisted files);
* ``name``: an empty file of the same name (libraries, kernel images: the
  collection only looks at their names, and they are big);
* ``tool``: the executable's presence only, as an empty, non-executable
  (0644) file at its path, listed in the manifest's ``tool_paths``; the
  output of the tool's read-only command (``ryzenadj --info``,
  ``ollama --version``) is recorded as data in
  ``.inferops-capture/tools/<name>.json`` (argv, rc, stdout, stderr).

A capture is data: no member is executable (content files lose their
execute bits too) and none is a script standing in for a tool, so replaying
a capture, even a crafted one, has nothing of it to run.  A tool stays an
empty file at its place rather than being left out because the readers ask
two different questions of it.  Those that only look at the place keep
working on an extracted capture (:func:`ollama_install.find_install` finds
the install and its library folder next to the binary, ``tar tvf`` shows
where each tool was).  Tool discovery, :meth:`SysRoot.find_tool`, asks
whether there is something to run and requires the execute bit: it finds
nothing, which is the truth of an extracted capture, so facts say no tool
there and a module that needs one says it is not installed instead of
running a file of the archive.  Turning a capture into a host whose tools
answer is the replay's work, outside the collection (the source tree's test
suite installs stand-ins at ``tool_paths`` that read the JSON records).

Archive members are machine paths (``sys/bus/pci/devices/0000:03:00.0``),
sysfs symlinks stay symlinks (an absolute target is rewritten relative, so it
resolves inside the extracted tree), and ``.inferops-capture/manifest.json``
says what was recorded.  Extracting the archive gives a tree that works as
``sysroot``; it is a plain tree (no kernel behind it), so it is only read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import io
import json
import os
import re
import stat
import tarfile
import tempfile

from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import cards as amd_gpu
from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import power as amdgpu_power
from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import power_rules as amdgpu_power_rules
from ansible_collections.inferops.amd.plugins.module_utils._host import facts as hardware_inventory
from ansible_collections.inferops.amd.plugins.module_utils._ollama import install as ollama_install
from ansible_collections.inferops.amd.plugins.module_utils._pci import links as pcie_links
from ansible_collections.inferops.amd.plugins.module_utils._ryzenadj import unit as ryzenadj_unit
from ansible_collections.inferops.amd.plugins.module_utils._host import tuned as tuned_state
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders import detect as bootloader_detect
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders import grub as bootloader_grub
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders import grub_defaults
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders import systemd_boot as bootloader_systemd_boot
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import PathRecorder, SysRoot, SysRootError

# Kept equal to galaxy.yml's version by tests/unit/plugins/module_utils/test_hardware_capture.py
# (a module runs from a zip and cannot read the collection's MANIFEST.json).
COLLECTION_VERSION = "0.2.0"
# 2: tools are empty 0644 files plus .inferops-capture/tools/<name>.json (1 had replay shell scripts).
FORMAT = 2
META_DIR = ".inferops-capture"
MANIFEST = META_DIR + "/manifest.json"
# No attribute or bootloader file the collection reads comes near this; bigger files keep their name only.
MAX_CONTENT_BYTES = 256 * 1024

# Read-only commands whose output the collection parses, by tool name.
TOOL_COMMANDS = {"ryzenadj": ["--info"], "ollama": ["--version"]}
# Tools the modules look up (find_tool); their presence decides what a module does.
LOOKED_UP_TOOLS = ("ryzenadj", "udevadm", "systemctl", "tuned-adm", "kernel-install", "ollama")

# The deny list wins over the allow list, for the touched path and for every
# place a symlink leads to.
DENIED_PREFIXES = (
    "/home/", "/root/", "/etc/shadow", "/etc/gshadow", "/etc/ssh/", "/etc/ssl/private/", "/etc/sudoers",
    "/etc/NetworkManager/system-connections/", "/etc/wpa_supplicant/", "/var/", "/tmp/", "/run/user/",
    "/sys/firmware/efi/efivars/", "/sys/kernel/security/", "/sys/kernel/debug/",
)
DENIED_NAME = re.compile(r"key|secret|token|passw|shadow|credential|\.pem$|\.p12$|id_rsa|id_ed25519|id_ecdsa",
                         re.IGNORECASE)

_TOOL_DIRS = ("/usr/local/sbin/", "/usr/local/bin/", "/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/")
# (machine path prefix, how it is kept); the first match decides.
ALLOWED = (
    ("/proc/cmdline", "content"),
    ("/proc/cpuinfo", "content"),
    ("/proc/meminfo", "content"),
    ("/proc/sys/kernel/osrelease", "content"),
    ("/sys/", "content"),
    ("/etc/os-release", "content"),
    ("/usr/lib/os-release", "content"),
    ("/etc/default/grub", "content"),          # also /etc/default/grub.d/
    ("/etc/kernel/cmdline", "content"),
    ("/usr/lib/kernel/cmdline", "content"),
    ("/etc/kernelstub/configuration", "content"),
    ("/boot/grub/grub.cfg", "content"),
    ("/boot/grub2/grub.cfg", "content"),
    ("/boot/loader/", "content"),
    ("/efi/loader/", "content"),
    ("/boot/efi/loader/", "content"),
    ("/run/ostree-booted", "content"),
    (tuned_state.ACTIVE_PROFILE_FILE, "content"),
    (tuned_state.PID_FILE, "content"),         # its presence is the running daemon in a tree
    (ryzenadj_unit.UNIT_FILE, "content"),
    (pcie_links.RULES_FILE, "content"),
    (amdgpu_power_rules.RULES_FILE, "content"),
    ("/etc/systemd/system/ollama.service.d/inferops-backend.conf", "content"),
    ("/etc/sysctl.d/90-inferops-", "content"),
    ("/etc/environment.d/90-inferops-", "content"),
    ("/boot/", "name"),
    ("/usr/lib/modules/", "name"),
    ("/lib/modules/", "name"),
    ("/usr/lib/ollama/", "name"),
    ("/usr/local/lib/ollama/", "name"),
) + tuple((folder, "tool") for folder in _TOOL_DIRS)
# Folders on the way to an allowed path are kept as empty folders.
ALWAYS_FOLDERS = ("/", "/proc", "/proc/sys", "/proc/sys/kernel", "/etc", "/etc/default", "/usr", "/usr/lib",
                  "/usr/local", "/etc/systemd", "/etc/systemd/system", "/etc/udev", "/etc/udev/rules.d")
# A bootloader file may hold a GRUB password hash: such lines never enter the archive.
PASSWORD_LINE = re.compile(r"^\s*(password|password_pbkdf2)\b.*$", re.MULTILINE)


class CaptureError(Exception):
    """The capture cannot be made (unusable destination, symlink loop...)."""


def refusal(machine_path):
    """Why ``machine_path`` may not enter a capture, or None when it may."""
    for prefix in DENIED_PREFIXES:
        if machine_path.startswith(prefix) or machine_path + "/" == prefix:
            return "denied: under %s" % prefix
    if any(DENIED_NAME.search(part) for part in machine_path.split("/") if part):
        return "denied: the name looks like a secret (%s)" % DENIED_NAME.pattern
    if machine_path in ALWAYS_FOLDERS:
        return None
    if kind_of(machine_path) is None:
        return "not on the allowlist"
    return None


def kind_of(machine_path):
    """``content``, ``name``, ``tool`` or None (not allowed) for an allowed path."""
    for prefix, kind in ALLOWED:
        if machine_path == prefix.rstrip("/") or machine_path.startswith(prefix):
            return kind
    return None


def _quietly(call, errors, label):
    try:
        return call()
    except Exception as exc:  # a reader failing on an odd tree must not stop the capture
        errors[label] = str(exc)
        return None


def recorded_paths(source):
    """(facts, recorder, reader errors) after running the collection's readers over ``source``."""
    recorder = PathRecorder()
    root = SysRoot(source, recorder=recorder)
    errors = {}
    facts = hardware_inventory.gather(root, probe_aspm=False)
    _quietly(lambda: pcie_links.find_gpu_links(root), errors, "pcie_links")
    for bdf in amd_gpu.list_amd_gpus(root):
        _quietly(lambda card=bdf: amdgpu_power.CardPower(root, card), errors, "amdgpu_power %s" % bdf)
    for backend in bootloader_detect.BACKENDS:
        _quietly(lambda kind=backend: kind.detect(root), errors, "bootloader %s" % backend.name)
    _quietly(lambda: grub_defaults.GrubDefaults.read(root), errors, "grub defaults")
    _quietly(lambda: root.read_text(bootloader_grub.grub_cfg_path(root)), errors, "grub.cfg")
    for folder in bootloader_systemd_boot.MODULES_DIRS:
        for version in root.list_dir(folder):
            _quietly(lambda kver=version: bootloader_systemd_boot.kernel_image(root, kver), errors, "kernel %s" % version)
    for folder in ("/boot/loader/entries", "/efi/loader/entries", "/boot/efi/loader/entries"):
        for name in root.list_dir(folder):
            root.read_text("%s/%s" % (folder, name))
    for path in ("/etc/os-release", "/usr/lib/os-release", "/etc/kernel/cmdline", "/etc/kernelstub/configuration",
                 ryzenadj_unit.UNIT_FILE, pcie_links.RULES_FILE, amdgpu_power_rules.RULES_FILE,
                 "/etc/systemd/system/ollama.service.d/inferops-backend.conf",
                 "/etc/sysctl.d/90-inferops-llm.conf", "/etc/environment.d/90-inferops-radv.conf"):
        root.read_text(path)
    _quietly(lambda: ollama_install.find_install(root), errors, "ollama")
    for tool in LOOKED_UP_TOOLS:
        root.find_tool(tool)
    return facts, recorder, errors


class Capture:
    """The members of one capture, collected from a source root."""

    def __init__(self, source):
        self.source = SysRoot(source)
        self.folders = set(["/"])
        self.files = {}          # machine path -> (bytes, mode)
        self.links = {}          # machine path -> link target as stored
        self.rewritten_links = {}
        self.placeholders = set()
        self.tool_paths = {}     # machine path of an executable -> tool name
        self.unreadable = {}
        self.refused = {}
        self.redacted = []

    def _refuse(self, machine_path):
        reason = refusal(machine_path)
        if reason:
            self.refused[machine_path] = reason
        return reason

    def resolve(self, machine_path, links=None, depth=0):
        """Resolve ``machine_path`` like the kernel; None if a link on the way is refused.

        Each symlink on the way goes into ``links`` (machine path -> stored
        target); the caller keeps them only when the place they lead to may
        enter the capture too.
        """
        links = {} if links is None else links
        if depth > 40:
            raise CaptureError("too many levels of symbolic links at %s" % machine_path)
        current = "/"
        for part in [part for part in os.path.normpath(machine_path).split("/") if part]:
            candidate = os.path.join(current, part)
            real = self.source.path(candidate)
            if not os.path.islink(real):
                current = candidate
                continue
            if self._refuse(candidate):
                return None
            target = os.readlink(real)
            machine_target = target if target.startswith("/") else os.path.normpath(
                os.path.join(os.path.dirname(candidate), target))
            if target.startswith("/"):
                # Absolute on the machine would leave the extracted tree: keep it relative.
                target = os.path.relpath(target, os.path.dirname(candidate))
            links[candidate] = target
            current = self.resolve(machine_target, links, depth + 1)
            if current is None:
                return None
        return current

    def _keep_links(self, links):
        for candidate, target in links.items():
            real_target = os.readlink(self.source.path(candidate))
            if real_target != target:
                self.rewritten_links[candidate] = target
            self.links[candidate] = target
            self._add_folders(os.path.dirname(candidate))

    def _resolve_allowed(self, machine_path):
        """The resolved path when it and every link leading to it may enter the capture, else None."""
        links = {}
        resolved = self.resolve(machine_path, links)
        if resolved is None or self._refuse(resolved):
            return None
        self._keep_links(links)
        return resolved

    def _add_folders(self, machine_path):
        while machine_path not in ("/", ""):
            self.folders.add(machine_path)
            machine_path = os.path.dirname(machine_path)

    def add(self, machine_path, listed_only=False, tool_hint=None):
        """Keep one touched path (and what leads to it); a missing path keeps nothing."""
        if self._refuse(machine_path):
            return
        hint = tool_hint or (kind_of(machine_path) == "tool" and os.path.basename(machine_path))
        resolved = self._resolve_allowed(machine_path)
        if resolved is None:
            return
        real = self.source.path(resolved)
        try:
            info = os.stat(real)
        except OSError:
            return
        self._add_folders(os.path.dirname(resolved))
        if stat.S_ISDIR(info.st_mode):
            self.folders.add(resolved)
            return
        if not stat.S_ISREG(info.st_mode):
            return
        kind = "tool" if hint else kind_of(resolved)
        if kind == "tool":
            if info.st_mode & 0o111:
                self.tool_paths[resolved] = hint or os.path.basename(resolved)
            return
        if kind == "name" or listed_only or info.st_size > MAX_CONTENT_BYTES:
            if resolved not in self.files:
                self.placeholders.add(resolved)
            return
        self._add_content(resolved, real, info)

    def _add_content(self, resolved, real, info):
        try:
            with open(real, "rb") as handle:
                data = handle.read(MAX_CONTENT_BYTES + 1)
        except (IOError, OSError) as exc:
            self.unreadable[resolved] = os.strerror(exc.errno) if exc.errno else str(exc)
            return
        if len(data) > MAX_CONTENT_BYTES:
            self.placeholders.add(resolved)
            return
        if not resolved.startswith(("/sys/", "/proc/")):
            cleaned = PASSWORD_LINE.sub("# inferops.amd capture: password line removed", data.decode("utf-8", "replace"))
            if cleaned != data.decode("utf-8", "replace"):
                self.redacted.append(resolved)
                data = cleaned.encode("utf-8")
        self.placeholders.discard(resolved)
        # Read and write bits only: no member of a capture is executable.
        self.files[resolved] = (data, info.st_mode & 0o666)

    def add_listing(self, folder):
        """Keep a listed folder's entries (names; symlinks as symlinks)."""
        resolved = self._resolve_allowed(folder)
        if resolved is None:
            return
        real = self.source.path(resolved)
        if not os.path.isdir(real):
            return
        self._add_folders(resolved)
        for name in sorted(os.listdir(real)):
            child = os.path.join(resolved, name)
            if self._refuse(child):
                continue
            if os.path.islink(self.source.path(child)):
                self._resolve_allowed(child)
            elif os.path.isdir(self.source.path(child)):
                self.folders.add(child)
            elif child not in self.files:
                self.add(child, listed_only=True)


def build(source, run_tool, now=None):
    """Collect a capture of ``source``; return (capture, manifest).

    ``run_tool(real_path, argv)`` runs a tool of the source and returns
    ``(rc, stdout, stderr)``.
    """
    facts, recorder, errors = recorded_paths(source)
    capture = Capture(source)
    for path in sorted(recorder.touched):
        capture.add(path)
    for folder in sorted(recorder.listed):
        capture.add_listing(folder)
    tools = {}
    for tool_path, name in sorted(capture.tool_paths.items()):
        argv = TOOL_COMMANDS.get(name)
        if not argv or name in tools or "tool %s" % name in errors:
            continue
        try:
            # On a tree the tool is a file of the tree: it runs only where the simulation is switched on.
            capture.source.refuse_tree_code("%s %s" % (tool_path, " ".join(argv)))
        except SysRootError as exc:
            errors["tool %s" % name] = str(exc)
            continue
        rc, out, err = run_tool(capture.source.path(tool_path), argv)
        tools[name] = {"argv": [name] + argv, "rc": rc, "stdout": out, "stderr": err[-2000:]}
    now = now or datetime.datetime.now(datetime.timezone.utc)
    manifest = {
        "format": FORMAT,
        "captured_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "collection_version": COLLECTION_VERSION,
        "kernel_release": facts["kernel"]["release"],
        "host_class": facts["host_class"],
        "gpus": ["%s %s" % (gpu["pci_address"], gpu["name"]) for gpu in facts["gpus"]],
        "source_sysroot": capture.source.root,
        "files": len(capture.files),
        "symlinks": len(capture.links),
        "folders": len(capture.folders),
        "placeholders": sorted(capture.placeholders),
        "tools": dict((name, dict((k, v) for k, v in info.items() if k != "stdout")) for name, info in tools.items()),
        "tool_paths": dict(capture.tool_paths),
        "rewritten_links": capture.rewritten_links,
        "redacted": sorted(capture.redacted),
        "unreadable": capture.unreadable,
        "refused": _refusal_counts(capture.refused),
        "reader_errors": errors,
    }
    capture.tool_outputs = tools
    manifest["payload_sha256"] = payload_digest(capture)
    return capture, manifest


def _refusal_counts(refused):
    """How many paths each rule kept out; the paths themselves are not put in the archive."""
    counts = {}
    for reason in refused.values():
        counts[reason] = counts.get(reason, 0) + 1
    return counts


def _members(capture):
    """Every archive member as (name, type, mode, link target, data), parents first."""
    members = []
    for folder in sorted(capture.folders - set(["/"])):
        members.append((folder.lstrip("/"), tarfile.DIRTYPE, 0o755, "", b""))
    for path, target in sorted(capture.links.items()):
        members.append((path.lstrip("/"), tarfile.SYMTYPE, 0o777, target, b""))
    # A tool's place is an empty file like a name-only one; a path listed as both is one member.
    for path in sorted((capture.placeholders | set(capture.tool_paths)) - set(capture.files)):
        members.append((path.lstrip("/"), tarfile.REGTYPE, 0o644, "", b""))
    for path, (data, mode) in sorted(capture.files.items()):
        members.append((path.lstrip("/"), tarfile.REGTYPE, mode, "", data))
    for name, info in sorted(capture.tool_outputs.items()):
        record = json.dumps(info, indent=2, sort_keys=True) + "\n"
        members.append(("%s/tools/%s.json" % (META_DIR, name), tarfile.REGTYPE, 0o644, "", record.encode("utf-8")))
    return members


def payload_digest(capture):
    """sha256 over every member except the manifest (names, types, modes, targets, bytes)."""
    digest = hashlib.sha256()
    for name, kind, mode, target, data in _members(capture):
        digest.update(json.dumps([name, kind.decode("ascii"), mode, target, len(data)]).encode("utf-8"))
        digest.update(data)
    return digest.hexdigest()


def write_archive(capture, manifest, dest, mtime):
    """Write the .tar.gz atomically (temporary file beside ``dest``, then rename)."""
    folder = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(folder):
        raise CaptureError("the folder of dest %s does not exist" % dest)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(dest), dir=folder)
    os.close(fd)
    try:
        with tarfile.open(tmp, "w:gz", format=tarfile.PAX_FORMAT) as archive:
            entries = _members(capture) + [(MANIFEST, tarfile.REGTYPE, 0o644, "",
                                            (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"))]
            meta_folders = [(META_DIR, tarfile.DIRTYPE, 0o755, "", b""), (META_DIR + "/tools", tarfile.DIRTYPE, 0o755, "", b"")]
            for name, kind, mode, target, data in meta_folders + entries:
                info = tarfile.TarInfo(name)
                info.type, info.mode, info.mtime, info.uname, info.gname = kind, mode, mtime, "root", "root"
                if kind == tarfile.SYMTYPE:
                    info.linkname = target
                info.size = len(data) if kind == tarfile.REGTYPE else 0
                archive.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
        os.chmod(tmp, 0o600)
        os.rename(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_manifest(path):
    """The manifest of an existing capture archive, or None when it is not one."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            handle = archive.extractfile(MANIFEST)
            return json.loads(handle.read().decode("utf-8")) if handle else None
    except (IOError, OSError, KeyError, ValueError, tarfile.TarError):
        return None
