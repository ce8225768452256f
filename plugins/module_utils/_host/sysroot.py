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

A tree (any root but ``/``: an extracted capture, an image, a test's scratch
host) is data.  Nothing from it runs (:attr:`SysRoot.may_run_tree_code`,
enforced by the command runner and the GRUB shell check) unless the controller
sets the environment variable ``INFEROPS_SIMULATION=1`` (the tests and the demo
do); a file inside a tree can never be that switch.  Its symlinks resolve
inside it, as in a chroot (:meth:`SysRoot.real_path`).

A kernel attribute is not a plain file: the kernel checks the word, and one
write can change other files (the ASPM policy reconfigures every link).  On
``/`` the kernel answers.  On a tree whose code may run, the tree can answer
itself: its executable :data:`ATTRIBUTE_WRITER` is run like any other tool of
the tree (through the command runner: argv ``PATH VALUE``, C locale,
``INFEROPS_SYSROOT`` set to the tree) and exits with the errno the kernel's
write(2) would have set, 0 when the value is taken, printing nothing on a
refusal; a refusal with a message on stderr, or an exit that is no errno,
means the writer itself failed (:class:`AttributeWriterError`).  Any other
tree is plain: it has no kernel behind its files, so attribute writes are
refused there (:class:`PlainTreeWriteError`).

Configuration files are bytes: :meth:`SysRoot.read_config` decodes them
losslessly (``config_text``) and :meth:`SysRoot.write_config` encodes them back
the same way, so a file read and written unchanged keeps every byte (CRLF,
Latin-1, a missing final newline).

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
import stat
import subprocess
import tempfile

from ansible_collections.inferops.amd.plugins.module_utils._host import config_text


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


# The controller's switch for the simulation (tests, demo): only the environment the module runs in can set it.
SIMULATION_VARIABLE = "INFEROPS_SIMULATION"
# Where a tree keeps its own kernel attribute writer (argv PATH VALUE, exit status = errno), run only where
# tree code may run. A machine path inside the tree; "/" never uses one (its kernel answers).
ATTRIBUTE_WRITER = "/usr/libexec/inferops/sysfs-write"
# Linux's MAXSYMLINKS (include/linux/namei.h): more links than this on one path is ELOOP.
MAX_SYMLINKS = 40
# Where a root's tools are looked for, in this order (the PATH of a root login on Debian and Fedora): the
# one list every tool lookup of the collection uses (SysRoot.find_tool, the command runner, its messages).
TOOL_FOLDERS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def simulation_enabled():
    """True when the controller set ``INFEROPS_SIMULATION=1`` for this run."""
    return os.environ.get(SIMULATION_VARIABLE) == "1"


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
            "refusing to write '%s' to %s: sysroot %s is a plain tree (an extracted capture or an image: no "
            "running kernel, and no attribute writer of its own at %s that may run, which takes %s=1 on the "
            "controller), and writing a kernel attribute in place would overwrite the recorded file. Read it "
            "only (hardware_facts does by default), or give the tree a writer that answers like the kernel "
            "(docs/simulation.md, docs/capture.md)"
            % (value.strip(), path, root, ATTRIBUTE_WRITER, SIMULATION_VARIABLE),)


class AttributeWriterError(AttributeWriteError):
    """The tree's attribute writer failed itself (it printed an error, or its exit is no errno): EIO."""

    def __init__(self, writer, path, value, rc, said):
        super(AttributeWriterError, self).__init__(path, value.strip(), errno.EIO)
        self.writer = writer
        self.rc = rc
        self.args = ("writing '%s' to %s failed: the tree's attribute writer %s failed (exit %s), so the "
                     "write's outcome is unknown: %s" % (value.strip(), path, writer, rc, said.strip() or "no output"),)


def run_argv(argv, environ_update=None, cwd=None, expand_user_and_vars=False, handle_exceptions=False):
    """``(rc, stdout, stderr)`` of ``argv`` (a list, no shell), for a SysRoot opened outside a module.

    The same contract as ``AnsibleModule.run_command``, which :func:`module_sysroot` passes instead; the
    words are never expanded here (the command runner asks run_command not to, ``expand_user_and_vars``).
    """
    env = dict(os.environ)
    env.update(environ_update or {})
    # No AnsibleModule here, so no run_command (ansible-core 2.21's pylint check ansible-bad-function asks for it).
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd) as proc:  # pylint: disable=ansible-bad-function
        out, err = proc.communicate()
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


class PathRecorder:
    """The machine paths a SysRoot touched, and the folders it listed."""

    def __init__(self):
        self.touched = set()
        self.listed = set()


class SysRoot:
    """Resolve machine paths below one root and read or write them.

    ``run_command`` runs the tree's attribute writer (``AnsibleModule.run_command``
    from :func:`module_sysroot`; :func:`run_argv` when none is given).
    """

    _NOT_LOOKED_UP = object()

    def __init__(self, root="/", recorder=None, run_command=None):
        if not root:
            root = "/"
        root = os.path.abspath(root)
        if not os.path.isdir(root):
            raise SysRootError("sysroot '%s' is not a directory" % root)
        self.root = root
        self.recorder = recorder
        self.run_command = run_command or run_argv
        self._writer = self._NOT_LOOKED_UP

    @property
    def is_live(self):
        return self.root == "/"

    @property
    def attribute_writer(self):
        """Real path of the tree's own :data:`ATTRIBUTE_WRITER` where tree code may run, else None.

        Always None on ``/`` (the kernel answers there) and on a tree without the
        switch: an executable inside a tree is no reason to run it.  Looked up once,
        and not recorded (it is no file the collection reads from the machine).
        """
        if self._writer is self._NOT_LOOKED_UP:
            self._writer = None
            if not self.is_live and self.may_run_tree_code:
                candidate = self._in_root(ATTRIBUTE_WRITER, follow_last=True)
                if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                    self._writer = candidate
        return self._writer

    @property
    def can_write_attributes(self):
        """Whether a kernel attribute write gets an answer: the kernel's on ``/``, the tree's writer's on a tree."""
        return self.is_live or self.attribute_writer is not None

    @property
    def is_plain_tree(self):
        """A folder of files with no kernel behind it: not ``/``, and no attribute writer that may run."""
        return not self.can_write_attributes

    @property
    def may_run_tree_code(self):
        """Whether a tool or script of this root may run: on ``/``, or on a tree with the simulation switched on."""
        return self.is_live or simulation_enabled()

    def refuse_tree_code(self, what):
        """Raise SysRootError unless :attr:`may_run_tree_code`; ``what`` names the file that would run."""
        if not self.may_run_tree_code:
            raise SysRootError(
                "not running %s: sysroot %s is a tree, and a tree is data: nothing from it is executed or sourced "
                "unless the controller sets %s=1 (the tests and the demo do, for the simulated hosts they make)"
                % (what, self.root, SIMULATION_VARIABLE))

    def _checked(self, machine_path):
        if not machine_path.startswith("/"):
            raise SysRootError("machine paths must be absolute, got '%s'" % machine_path)
        joined = os.path.normpath(os.path.join(self.root, machine_path.lstrip("/")))
        if self.root != "/" and not (joined == self.root or joined.startswith(self.root + os.sep)):
            raise SysRootError("path '%s' escapes sysroot '%s'" % (machine_path, self.root))
        if self.recorder is not None:
            self.recorder.touched.add(self.machine_path(joined))
        return joined

    def _in_root(self, machine_path, follow_last):
        """Real path of ``machine_path`` with its symlinks resolved inside the root, as in a chroot.

        An absolute link target starts again at the root, and ``..`` stops there,
        the way the kernel resolves paths for a process chrooted into the tree.
        """
        pending = [part for part in reversed(machine_path.split("/")) if part and part != "."]
        done = []               # real path components below the root, none of them a symlink
        exists = True           # below a missing folder nothing is a link: the rest is plain names
        links = 0
        while pending:
            name = pending.pop()
            if name == "..":
                if done:
                    done.pop()
                exists = True  # back above the missing folder: look again
                continue
            done.append(name)
            if not exists or not (pending or follow_last):
                continue
            candidate = self.root + "/" + "/".join(done)
            try:
                mode = os.lstat(candidate).st_mode
            except OSError:
                exists = False
                continue
            if not stat.S_ISLNK(mode):
                continue
            links += 1
            if links > MAX_SYMLINKS:
                raise OSError(errno.ELOOP, "too many levels of symbolic links in '%s' inside sysroot '%s'"
                              % (machine_path, self.root))
            done.pop()
            target = os.readlink(candidate)
            if target.startswith("/"):
                done = []
            pending.extend(part for part in reversed(target.split("/")) if part and part != ".")
        return os.path.join(self.root, *done)

    def path(self, machine_path):
        """Real path of the entry ``machine_path`` names (a symlink stays a symlink, as for ``lstat``).

        The folders on the way resolve inside the root; use this to look at, rename or
        remove the entry itself, and :meth:`real_path` to open what it leads to.
        """
        joined = self._checked(machine_path)
        if self.is_live:
            return joined
        return self._in_root(machine_path, follow_last=False)

    def real_path(self, machine_path):
        """Real path of the file ``machine_path`` leads to, every symlink resolved inside the root."""
        joined = self._checked(machine_path)
        if self.is_live:
            return joined
        return self._in_root(machine_path, follow_last=True)

    def machine_path(self, real_path):
        """Inverse of :meth:`path`: the machine path of a real path inside the root."""
        if self.root == "/":
            return real_path
        rel = os.path.relpath(real_path, self.root)
        return "/" if rel == "." else "/" + rel

    # -- reading -------------------------------------------------------
    def exists(self, machine_path):
        return os.path.exists(self.real_path(machine_path))

    def is_dir(self, machine_path):
        return os.path.isdir(self.real_path(machine_path))

    def read_text(self, machine_path, default=None):
        """Whole file as text; ``default`` when it is missing or unreadable.

        For values to parse: bytes that are not UTF-8 read as U+FFFD, NUL bytes (which
        some sysfs attributes end with) are dropped.  A file to edit and write back is
        read with :meth:`read_config`.
        """
        data = self.read_bytes(machine_path)
        if data is None:
            return default
        return data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n").replace("\0", "")

    def read_bytes(self, machine_path, default=None):
        """Whole file as bytes; ``default`` when it is missing or unreadable."""
        try:
            with open(self.real_path(machine_path), "rb") as handle:
                return handle.read()
        except (IOError, OSError):
            return default

    def read_config(self, machine_path, default=None):
        """A configuration file as lossless text (``config_text.decode``); ``default`` when missing."""
        data = self.read_bytes(machine_path)
        return default if data is None else config_text.decode(data)

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
            return sorted(os.listdir(self.real_path(machine_path)))
        except (IOError, OSError):
            return []

    def resolve(self, machine_path):
        """Machine path with every symlink resolved, like ``readlink -f``.

        Links resolve inside the root (:meth:`real_path`), so a tree gives the same
        answer as the machine it was recorded from.
        """
        return self.machine_path(self.real_path(machine_path))

    # -- writing -------------------------------------------------------
    def write_attribute(self, machine_path, value):
        """Write one value to a kernel attribute, as ``echo value > path`` does.

        On a tree the tree's :attr:`attribute_writer` answers for the kernel;
        refused with :class:`PlainTreeWriteError` on a plain tree.
        """
        if not self.is_live:
            self._checked(machine_path)  # the path stays inside the tree, whoever writes it
            if self.attribute_writer is None:
                raise PlainTreeWriteError(self.root, machine_path, value)
            self._write_through_writer(machine_path, value)
            return
        data = value if value.endswith("\n") else value + "\n"
        try:
            # O_WRONLY without O_CREAT: a kernel attribute that is not there
            # must fail (ENOENT), not turn into a new regular file.
            fd = os.open(self.real_path(machine_path), os.O_WRONLY)
        except OSError as exc:
            raise AttributeWriteError(machine_path, value, exc.errno)
        try:
            os.write(fd, data.encode("utf-8"))
        except OSError as exc:
            raise AttributeWriteError(machine_path, value, exc.errno)
        finally:
            os.close(fd)

    def _write_through_writer(self, machine_path, value):
        """Run the tree's writer on ``machine_path`` and ``value``; its exit status is the kernel's errno."""
        # Imported here: the command runner imports this module for SysRootError.
        from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandError, CommandRunner

        writer = self.attribute_writer
        try:
            rc, dummy, err = CommandRunner(self, self.run_command).run([writer, machine_path, value], check=False)
        except CommandError as exc:
            raise AttributeWriterError(writer, machine_path, value, None, str(exc))
        if rc == 0:
            return
        if rc > 0 and rc in errno.errorcode and not err.strip():
            raise AttributeWriteError(machine_path, value.strip(), rc)
        raise AttributeWriterError(writer, machine_path, value, rc, err)

    def write_config(self, machine_path, content, mode=None, backup_suffix=None):
        """Atomically replace (or create) a regular file; return the backup's machine path.

        ``content`` is bytes, or text from :meth:`read_config` (encoded back losslessly).
        The new content goes to a temporary file in the same folder, is flushed to
        disk and renamed over the target, so a crash leaves either the old or the new
        file, never half of one.  A symlink stays a symlink: the file it leads to is
        replaced.  An existing file keeps its owner, group, mode (unless ``mode`` is
        given) and SELinux label, as ``AnsibleModule.atomic_move`` keeps them.  With
        ``backup_suffix`` the previous bytes are first copied to ``<file><suffix>``;
        a write that fails removes that backup again and leaves the file as it was.
        """
        entry = self.path(machine_path)
        target = os.path.realpath(entry) if self.is_live else self.real_path(machine_path)
        folder = os.path.dirname(target)
        if not os.path.isdir(folder):
            os.makedirs(folder, 0o755)
        existing = os.stat(target) if os.path.exists(target) else None
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            raise OSError(errno.EISDIR if stat.S_ISDIR(existing.st_mode) else errno.EINVAL,
                          "%s is not a regular file" % machine_path)
        backup = None
        if backup_suffix and existing is not None:
            backup = entry + backup_suffix
            with open(target, "rb") as handle:
                self._replace(backup, handle.read(), existing, stat.S_IMODE(existing.st_mode))
        try:
            new_mode = mode if mode is not None else stat.S_IMODE(existing.st_mode) if existing else 0o644
            self._replace(target, config_text.encode(content), existing, new_mode)
        except BaseException:
            if backup is not None and os.path.lexists(backup):
                os.unlink(backup)
            raise
        return self.machine_path(backup) if backup else None

    @staticmethod
    def _replace(target, data, like, mode):
        """Write ``data`` to a temporary file beside ``target``, give it ``like``'s owner and label, rename."""
        folder = os.path.dirname(target)
        fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(target), dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            if like is not None:
                _copy_owner_and_label(like, target, tmp)
            os.rename(tmp, target)
        except BaseException:
            if os.path.lexists(tmp):
                os.unlink(tmp)
            raise

    def remove(self, machine_path):
        """Remove a regular file; return True when something was removed."""
        target = self.path(machine_path)
        if os.path.lexists(target):
            os.unlink(target)
            return True
        return False

    # -- tools ---------------------------------------------------------
    def find_tool(self, name, folders=TOOL_FOLDERS):
        """Real path of an executable inside the root, or None.

        Tools are looked up inside the root, not on the controller's PATH:
        on a live machine that is the same thing, and on a tree it finds the
        tree's own tool (which runs only where :attr:`may_run_tree_code`).
        """
        for folder in folders:
            candidate = self.real_path(os.path.join(folder, name))
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
        return None

    def tool_environment(self):
        """Environment additions for running a tool of this root."""
        if self.root == "/":
            return {}
        return {"INFEROPS_SYSROOT": self.root}


def _copy_owner_and_label(like, source, tmp):
    """Give ``tmp`` the owner of stat result ``like`` and the SELinux label of ``source``, where there is one."""
    if os.geteuid() == 0 and (like.st_uid, like.st_gid) != (os.stat(tmp).st_uid, os.stat(tmp).st_gid):
        os.chown(tmp, like.st_uid, like.st_gid)
    try:
        label = os.getxattr(source, "security.selinux")
    except (OSError, AttributeError):
        return  # no SELinux label here (not labelled, not Linux, or the file system has no xattrs)
    os.setxattr(tmp, "security.selinux", label)


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
        # The command runner asks run_command not to expand "~" or "$VAR": the word reaches the writer as given.
        return SysRoot(module.params["sysroot"], run_command=module.run_command)
    except SysRootError as exc:
        module.fail_json(msg=str(exc))
    return None  # not reached: fail_json exits
