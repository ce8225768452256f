# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One root for every read and write the collection makes on a machine.

Every module takes a ``sysroot`` option (default ``/``).  All access to
``/sys``, ``/proc``, ``/etc``, ``/usr`` and ``/boot`` goes through a
:class:`SysRoot`, so that the same code runs against the live machine and
against a recorded hardware tree in tests and in the demo fleet.

Two kinds of writes exist because the kernel treats them differently:

* :meth:`SysRoot.write_attribute` writes a sysfs/procfs attribute in place,
  the way ``echo word > file`` does, and turns the kernel's errno into a
  :class:`AttributeWriteError` that says what it means.
* :meth:`SysRoot.write_config` replaces a regular file atomically (temporary
  file in the same folder, fsync, rename), optionally keeping a backup.

When the tree is a simulated host (see ``_simulated_sysfs``), attribute
writes are handed to the simulation so that they behave like the kernel.  A
plain tree (not ``/``, no simulation marker: an extracted capture, an image)
has no kernel behind its files, so attribute writes are refused there.

The option itself is defined here once (:data:`SYSROOT_OPTION`, merged into a
module's argument spec by :func:`with_sysroot_option`, documented by the doc
fragment ``inferops.amd.sysroot``) and every module opens its root with
:func:`module_sysroot`.

With a :class:`PathRecorder`, a SysRoot notes every machine path it touches;
``hardware_capture`` uses that to record exactly what the collection reads.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import shutil
import tempfile

from ansible_collections.inferops.amd.plugins.module_utils import _simulated_sysfs


ERRNO_MEANING = {
    errno.EPERM: "operation not permitted (the kernel or firmware forbids this change)",
    errno.EACCES: "permission denied (not root, or the file is read-only)",
    errno.EROFS: "read-only file system",
    errno.EINVAL: "invalid argument (the kernel rejected the value)",
    errno.EBUSY: "device or resource busy",
    errno.ENOENT: "no such file (the kernel does not expose this attribute)",
    errno.EOPNOTSUPP: "operation not supported by this device",
    errno.ENODEV: "no such device",
}


class AttributeWriteError(Exception):
    """A kernel attribute refused a value; ``errno`` says why."""

    def __init__(self, path, value, err):
        self.path = path
        self.value = value
        self.errno = err
        self.errno_name = errno.errorcode.get(err, str(err))
        meaning = ERRNO_MEANING.get(err, os.strerror(err))
        super(AttributeWriteError, self).__init__(
            "writing '%s' to %s failed: %s, %s" % (value, path, self.errno_name, meaning))


class SysRootError(Exception):
    """The root path itself is unusable (missing, not a folder, path escapes it)."""


class PlainTreeWriteError(AttributeWriteError):
    """A kernel attribute write aimed at a plain tree, where no kernel would answer it.

    Written in place, the word would replace the recorded file (``default`` over
    ``[default] performance ...``) and every later read of the tree would be
    wrong, so the write is refused before anything is touched.
    """

    def __init__(self, root, path, value):
        super(PlainTreeWriteError, self).__init__(path, value.strip(), errno.EROFS)
        self.root = root
        # The errno text alone would hide the reason: say what the tree is and the way out.
        self.args = (
            "refusing to write '%s' to %s: sysroot %s is a plain tree (an extracted capture or an image, "
            "no running kernel and no simulation marker %s), and writing a kernel attribute in place "
            "would overwrite the recorded file. Read it only (hardware_facts does by default), or turn "
            "it into a simulated host first: tests/simulation/scratch_host.py CAPTURE.tar.gz DEST in the "
            "collection's source tree (docs/simulation.md, docs/capture.md)"
            % (value.strip(), path, root, _simulated_sysfs.MARKER),)


class PathRecorder:
    """The machine paths a SysRoot touched, and the folders it listed."""

    def __init__(self):
        self.touched = set()
        self.listed = set()


class SysRoot:
    """Resolve machine paths below one root and read or write them."""

    def __init__(self, root="/", recorder=None):
        if not root:
            root = "/"
        root = os.path.abspath(root)
        if not os.path.isdir(root):
            raise SysRootError("sysroot '%s' is not a directory" % root)
        self.root = root
        self.kernel = _simulated_sysfs.load(root)
        self.recorder = recorder

    @property
    def is_live(self):
        return self.root == "/"

    @property
    def is_simulated(self):
        return self.kernel is not None

    @property
    def is_plain_tree(self):
        """A folder of files with no kernel behind it: neither ``/`` nor a simulated host."""
        return not self.is_live and not self.is_simulated

    def path(self, machine_path):
        """Return the real path of ``machine_path`` (an absolute path on the machine)."""
        if not machine_path.startswith("/"):
            raise SysRootError("machine paths must be absolute, got '%s'" % machine_path)
        joined = os.path.normpath(os.path.join(self.root, machine_path.lstrip("/")))
        if self.root != "/" and not (joined == self.root or joined.startswith(self.root + os.sep)):
            raise SysRootError("path '%s' escapes sysroot '%s'" % (machine_path, self.root))
        if self.recorder is not None:
            self.recorder.touched.add(self.machine_path(joined))
        return joined

    def machine_path(self, real_path):
        """Inverse of :meth:`path`: the machine path of a real path inside the root."""
        if self.root == "/":
            return real_path
        rel = os.path.relpath(real_path, self.root)
        return "/" if rel == "." else "/" + rel

    # -- reading -------------------------------------------------------
    def exists(self, machine_path):
        return os.path.exists(self.path(machine_path))

    def is_dir(self, machine_path):
        return os.path.isdir(self.path(machine_path))

    def read_text(self, machine_path, default=None):
        """Whole file as text; ``default`` when it is missing or unreadable."""
        try:
            with open(self.path(machine_path), "r", encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except (IOError, OSError):
            return default

    def read_value(self, machine_path, default=None):
        """A one-value attribute with surrounding white space removed."""
        text = self.read_text(machine_path)
        if text is None:
            return default
        return text.strip()

    def read_int(self, machine_path, default=None, base=10):
        """An integer attribute; ``default`` when missing or not a number."""
        text = self.read_value(machine_path)
        if text is None:
            return default
        try:
            return int(text, base)
        except ValueError:
            return default

    def list_dir(self, machine_path):
        """Sorted entries of a folder; empty when it is missing."""
        if self.recorder is not None:
            self.recorder.listed.add(machine_path.rstrip("/") or "/")
        try:
            return sorted(os.listdir(self.path(machine_path)))
        except (IOError, OSError):
            return []

    def resolve(self, machine_path):
        """Machine path with every symlink resolved, like ``readlink -f``.

        sysfs links are relative (``../../../devices/pci0000:00/...``), so
        resolving inside the root gives the same answer as on the machine.
        """
        return self.machine_path(os.path.realpath(self.path(machine_path)))

    # -- writing -------------------------------------------------------
    def write_attribute(self, machine_path, value):
        """Write one value to a kernel attribute, as ``echo value > path`` does.

        Refused with :class:`PlainTreeWriteError` on a plain tree.
        """
        if self.is_plain_tree:
            raise PlainTreeWriteError(self.root, machine_path, value)
        if self.kernel is not None:
            try:
                self.kernel.write(machine_path, value)
            except OSError as exc:
                raise AttributeWriteError(machine_path, value.strip(), exc.errno)
            return
        data = value if value.endswith("\n") else value + "\n"
        try:
            # O_WRONLY without O_CREAT: a kernel attribute that is not there
            # must fail (ENOENT), not turn into a new regular file.
            fd = os.open(self.path(machine_path), os.O_WRONLY)
        except OSError as exc:
            raise AttributeWriteError(machine_path, value, exc.errno)
        try:
            os.write(fd, data.encode("utf-8"))
        except OSError as exc:
            raise AttributeWriteError(machine_path, value, exc.errno)
        finally:
            os.close(fd)

    def write_config(self, machine_path, content, mode=None, backup_suffix=None):
        """Atomically replace (or create) a regular file; return the backup's machine path.

        The new content goes to a temporary file in the same folder, is
        flushed to disk and renamed over the target, so a crash leaves either
        the old or the new file, never half of one.  With ``backup_suffix``
        the previous content is first copied to ``<file><suffix>``.
        """
        target = self.path(machine_path)
        folder = os.path.dirname(target)
        if not os.path.isdir(folder):
            os.makedirs(folder, 0o755)
        backup = None
        if backup_suffix and os.path.exists(target):
            backup = target + backup_suffix
            shutil.copy2(target, backup)
        if mode is None:
            mode = os.stat(target).st_mode & 0o7777 if os.path.exists(target) else 0o644
        fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(target), dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            os.rename(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return self.machine_path(backup) if backup else None

    def remove(self, machine_path):
        """Remove a regular file; return True when something was removed."""
        target = self.path(machine_path)
        if os.path.lexists(target):
            os.unlink(target)
            return True
        return False

    # -- tools ---------------------------------------------------------
    def find_tool(self, name, folders=("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")):
        """Real path of an executable inside the root, or None.

        Tools are looked up inside the root, not on the controller's PATH:
        on a live machine that is the same thing, and on a simulated host it
        finds the simulated tool that edits the simulated tree.
        """
        for folder in folders:
            candidate = self.path(os.path.join(folder, name))
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
        return None

    def tool_environment(self):
        """Environment additions for running a tool of this root."""
        if self.root == "/":
            return {}
        return {"INFEROPS_SYSROOT": self.root}


# The one definition of the option; its documentation is the doc fragment
# plugins/doc_fragments/sysroot.py (ansible-test checks that the two agree).
SYSROOT_OPTION = {"sysroot": {"type": "path", "default": "/"}}


def with_sysroot_option(argument_spec):
    """``argument_spec`` plus the shared ``sysroot`` option (a module may not define its own)."""
    if "sysroot" in argument_spec:
        raise ValueError("'sysroot' is defined once, in sysroot.SYSROOT_OPTION; remove it from the module's spec")
    merged = dict(argument_spec)
    merged.update((name, dict(spec)) for name, spec in SYSROOT_OPTION.items())
    return merged


def module_sysroot(module):
    """The SysRoot named by a module's ``sysroot`` option; an unusable root fails the module.

    Every module opens its root here, so the option means the same thing everywhere.
    """
    try:
        return SysRoot(module.params["sysroot"])
    except SysRootError as exc:
        module.fail_json(msg=str(exc))
    return None  # not reached: fail_json exits
