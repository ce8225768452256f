# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bootc image mode: kernel arguments shipped in the image, ``/usr/lib/bootc/kargs.d/*.toml``.

Written from bootc-dev/bootc, crates/lib/src/bootc_kargs.rs and docs/src/building/kernel-arguments.md
(commit 534c76e).  bootc reads every file of ``usr/lib/bootc/kargs.d`` whose name ends in
``.toml``, in file-name order (``get_kargs_in_root``, ``filenames_filtered_sorted``), each a TOML
table with ``kargs`` (a list of strings) and optionally ``match-architectures`` (Rust's
``std::env::consts::ARCH`` names: ``x86_64``, ``aarch64``; a file for other architectures is
skipped), and refuses any other key (``deny_unknown_fields``).  A file's strings are joined with
spaces and parsed as one command line (``parse_kargs_toml``), and the files' lists are merged with
linux-kernel-cmdline's ``Cmdline::extend``, which skips an argument equal to one already there.  On ``bootc upgrade``/``switch``
it applies the difference between the booted image's list and the new image's to the booted
deployment's own arguments (``get_kargs``, ``compute_apply_kargs_diff``), so machine-local
arguments stay and an argument dropped from the image goes away.

So the arguments belong in the image: this backend writes one file of its own,
``/usr/lib/bootc/kargs.d/90-inferops-amd.toml``, into the root it is given: an image tree, or
``/`` of a Containerfile build (``RUN ansible-playbook ...``).  Arguments in the image's other
files are not edited (TOML is rewritten, not edited, by every library at hand, and the files
are the image author's): an argument to remove or replace that lives there is refused naming the
file.  Read back: the merge bootc computes, over every file, holds every argument as asked.

A booted bootc host without rpm-ostree is refused: bootc has no API for per-machine kernel
arguments (its documentation, "Kernel arguments injected at installation time"), and
/usr/lib/bootc/kargs.d of the running image is read-only; the image is the place.  With
rpm-ostree the rpm_ostree backend serves such a host.  ``reboot_required`` is false: an image's
hosts take the arguments with ``bootc upgrade`` and their next boot, not this machine.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import (
    CmdlineChange,
    CmdlineError,
    argument_key,
    join_cmdline,
    matches_absent,
    missing_or_lost,
    plan_cmdline_change,
    same_argument,
    split_cmdline,
)
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.base import Bootloader

try:
    import tomllib
except ImportError:  # Python before 3.11
    tomllib = None

KARGS_DIR = "/usr/lib/bootc/kargs.d"
OWN_FILE = KARGS_DIR + "/90-inferops-amd.toml"
HEADER = ("# Kernel arguments of inferops.amd's kernel_cmdline module. bootc applies them on upgrade/switch\n"
          "# (/usr/lib/bootc/kargs.d, see bootc's docs/src/building/kernel-arguments.md). Written whole by the\n"
          "# module: edit the play, not this file.\n")
OSTREE_BOOTED = "/run/ostree-booted"
PREPARE_ROOT = "/usr/lib/ostree/prepare-root.conf"
# uname -m -> Rust's std::env::consts::ARCH, where they differ (bootc's kernel-arguments.md: "ppc64le" is "powerpc64").
RUST_ARCH = {"amd64": "x86_64", "arm64": "aarch64", "ppc64le": "powerpc64", "ppc64": "powerpc64", "i686": "x86",
             "i386": "x86", "armv7l": "arm"}


def rust_arch(machine=None):
    machine = machine or os.uname()[4]
    return RUST_ARCH.get(machine, machine)


def parse_kargs(path, data, arch):
    """The arguments one kargs.d file contributes on ``arch`` (``[]`` when it matches other architectures)."""
    if tomllib is None:
        raise CmdlineError("reading %s needs Python 3.11 or later (tomllib) on the host" % path)
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CmdlineError("%s is not TOML that bootc can read: %s" % (path, exc))
    unknown = sorted(set(table) - set(("kargs", "match-architectures")))
    if unknown:
        raise CmdlineError("%s has %s, which bootc refuses (only kargs and match-architectures are allowed)"
                           % (path, ", ".join(unknown)))
    kargs = table.get("kargs")
    if not isinstance(kargs, list) or not all(isinstance(arg, str) for arg in kargs):
        raise CmdlineError("%s: bootc needs kargs = [\"...\"], a list of strings" % path)
    arches = table.get("match-architectures")
    if arches is not None and (not isinstance(arches, list) or not all(isinstance(a, str) for a in arches)):
        raise CmdlineError("%s: match-architectures must be a list of strings" % path)
    if arches is not None and arch not in arches:
        return []
    # parse_kargs_toml joins the strings with spaces and parses that as one command line: "a b" is two arguments.
    return split_cmdline(" ".join(kargs))


def _touched(arg, present, absent):
    """Would the request remove or replace ``arg``?"""
    removed = any(matches_absent(arg, gone) for gone in absent)
    return removed or any(argument_key(arg) == argument_key(want) and not same_argument(arg, want) for want in present)


def merged(lists):
    """bootc's ``Cmdline::extend`` over the files: an argument equal to one already there is not added again."""
    out = []
    for args in lists:
        for arg in args:
            if not any(same_argument(arg, have) for have in out):
                out.append(arg)
    return out


def _toml_string(text):
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string for these characters


def render_own_file(args):
    return HEADER + "kargs = [%s]\n" % ", ".join(_toml_string(arg) for arg in args)


class BootloaderBootcKargs(Bootloader):
    """One kargs.d file of the collection's own in a bootc image."""

    name = "bootc_kargs"
    looked_for = ("bootc image mode: /ostree -> sysroot/ostree, /sysroot, /usr/lib/ostree/prepare-root.conf and "
                  "/usr/lib/bootc or the bootc tool (an image tree or a Containerfile build)")
    boots_here = False

    def __init__(self, root, runner):
        super(BootloaderBootcKargs, self).__init__(root, runner)
        self.arch = rust_arch()

    @classmethod
    def detect(cls, root):
        """An image root as ``bootc container lint`` wants one (lints.rs ``check_baseimage_root_norecurse``:
        ``/sysroot`` a folder, ``/ostree`` a link to ``sysroot/ostree``; with ostree's prepare-root.conf), with bootc.

        A package-mode host with the bootc package has neither, so it is never taken for an image.
        """
        link = root.path("/ostree")
        image_root = os.path.islink(link) and os.readlink(link) == "sysroot/ostree" and root.is_dir("/sysroot")
        with_bootc = root.is_dir("/usr/lib/bootc") or root.find_tool("bootc") is not None
        return image_root and root.exists(PREPARE_ROOT) and with_bootc

    def _refuse_booted(self):
        if self.root.exists(OSTREE_BOOTED):
            raise CmdlineError("%s exists: this is a booted bootc host, whose kargs.d belongs to the read-only image "
                               "and bootc has no per-machine kernel argument API; put the arguments into the image "
                               "(this module with sysroot at the image tree, or in its Containerfile build), or use "
                               "bootloader: rpm_ostree where rpm-ostree is installed; nothing was changed"
                               % OSTREE_BOOTED)

    def _files(self):
        """``[(machine path, [arguments])]`` in bootc's order."""
        names = sorted(name for name in self.root.list_dir(KARGS_DIR) if name.endswith(".toml"))
        out = []
        for name in names:
            path = "%s/%s" % (KARGS_DIR, name)
            data = self.root.read_bytes(path)
            if data is None:
                continue
            if path == OWN_FILE and not data.decode("utf-8", "replace").startswith(HEADER):
                raise CmdlineError("%s exists but was not written by this module; rename it, nothing was changed"
                                   % OWN_FILE)
            out.append((path, parse_kargs(path, data, self.arch)))
        return out

    def configured(self):
        self._refuse_booted()
        return merged(args for _path, args in self._files())

    def plan(self, present, absent):
        self._refuse_booted()
        files = self._files()
        before = merged(args for _path, args in files)
        own = next((args for path, args in files if path == OWN_FILE), None)
        new_own = list(own or [])
        for path, args in files:
            if path == OWN_FILE:
                continue
            held = [arg for arg in args if _touched(arg, present, absent)]
            if held:
                raise CmdlineError("%s holds %s, part of the image's own kernel arguments; this module adds its own "
                                   "file and does not edit the others: change it in %s, nothing was changed"
                                   % (path, join_cmdline(held), path))
        new_own = [arg for arg in new_own if not any(matches_absent(arg, gone) for gone in absent)]
        for want in present:
            if any(same_argument(arg, want) for path, args in files if path != OWN_FILE for arg in args):
                new_own = [arg for arg in new_own if argument_key(arg) != argument_key(want)]
                continue
            new_own = plan_cmdline_change(new_own, [want], []).args
        intended = plan_cmdline_change(before, present, absent)
        lists = [new_own if path == OWN_FILE else args for path, args in files]
        configured = merged(lists + ([new_own] if own is None else []))
        if new_own == (own or []) and (own is not None or not new_own):
            return CmdlineChange(before)
        old_text = self.root.read_config(OWN_FILE)
        return CmdlineChange(configured, files={OWN_FILE: (old_text, render_own_file(new_own))},
                             added=intended.added, removed=intended.removed)

    def apply(self, change, backup_suffix):
        return self.write_and_run(change, backup_suffix)

    def read_back(self, change, present, absent):
        actual = self.configured()
        problem = missing_or_lost(actual, change.configured, present, absent)
        if problem:
            raise CmdlineError("bootc would read from %s: %s" % (KARGS_DIR, problem))
        return actual
