# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every file a bootloader change writes or lets a tool write, and how to put them all back.

A backend records a file's bytes before anything can touch it (:meth:`FileTransaction.keep`,
or :meth:`keep_folder` for a folder a tool writes into, such as loader/entries), then
writes through :meth:`write`.  :meth:`restore` puts every recorded file back to the
bytes it had and removes files that did not exist before, then reads every one back:
only when all of them hold their old bytes again are the backups made removed (they
equal the restored files).  Otherwise :class:`RestoreError` names the files that
differ and the backups stay, the one true copy of what was there.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class RestoreError(Exception):
    """Putting the files back did not give their old bytes; ``backups`` were kept."""

    def __init__(self, differing, backups, cause=None):
        self.differing = list(differing)
        self.backups = list(backups)
        kept = ("; the backups %s hold the earlier content" % ", ".join(self.backups)) if self.backups else ""
        super(RestoreError, self).__init__(
            "%s could not be put back as it was%s%s"
            % (", ".join(self.differing), (" (%s)" % cause) if cause else "", kept))


class FileTransaction:
    def __init__(self, root):
        self.root = root
        self.saved = {}
        self.folders = {}
        self.backups = []

    def keep(self, path):
        if path not in self.saved:
            self.saved[path] = self.root.read_bytes(path)

    def keep_folder(self, folder, suffix=".conf"):
        """Record every ``*suffix`` file of ``folder``; files created there later are removed on restore."""
        names = [name for name in self.root.list_dir(folder) if name.endswith(suffix)]
        self.folders[folder] = (suffix, set(names))
        for name in names:
            self.keep("%s/%s" % (folder, name))

    def write(self, path, text, backup_suffix=None):
        self.keep(path)
        backup = self.root.write_config(path, text, backup_suffix=backup_suffix if self.saved[path] is not None
                                        else None)
        if backup:
            self.backups.append(backup)
        return backup

    def changed_paths(self):
        """Recorded files whose bytes differ now, and files created in kept folders."""
        paths = [path for path, old in sorted(self.saved.items()) if self.root.read_bytes(path) != old]
        for folder, (suffix, names) in sorted(self.folders.items()):
            paths += ["%s/%s" % (folder, name) for name in self.root.list_dir(folder)
                      if name.endswith(suffix) and name not in names]
        return paths

    def restore(self):
        """Put everything back and prove it; return the machine paths that were restored or removed.

        Raises :class:`RestoreError` (backups kept) when a file cannot be written back
        or does not read back with its old bytes.
        """
        touched = self.changed_paths()
        try:
            for path in touched:
                old = self.saved.get(path)
                if old is None:
                    self.root.remove(path)
                else:
                    self.root.write_config(path, old)
        except (IOError, OSError) as exc:
            raise RestoreError(self.changed_paths() or touched, self.backups, cause=exc)
        differing = self.changed_paths()
        if differing:
            raise RestoreError(differing, self.backups)
        for backup in self.backups:
            self.root.remove(backup)
        self.backups = []
        return touched
