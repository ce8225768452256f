# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unified kernel images: the PE sections systemd-stub reads, from the file's bytes.

A UKI is a PE/COFF image (the systemd-stub EFI program) with the kernel, initrd and
command line added as sections: ``.linux``, ``.initrd``, ``.cmdline``, ``.osrel``,
``.uname`` (systemd's UKI specification, uapi-group.org; ukify's ``make_uki``).  The layout
read here is the PE/COFF format's (Microsoft's PE Format specification): ``e_lfanew`` at 0x3c
points to ``PE\\0\\0``; the COFF header follows (``NumberOfSections`` at +6,
``SizeOfOptionalHeader`` at +20); the optional header starts with its magic (0x10b PE32,
0x20b PE32+) and ends with the data directories (``NumberOfRvaAndSizes`` at +92 or +108),
of which the fifth, the Certificate Table, holds a file offset and size: an Authenticode
signature when not empty; then the section table, 40 bytes a section (name, ``VirtualSize``,
``VirtualAddress``, ``SizeOfRawData``, ``PointerToRawData``...).  A section's content is
``SizeOfRawData`` bytes at ``PointerToRawData``, of which ``VirtualSize`` are meaningful (the
rest is file alignment padding).  ``.cmdline`` is text, NUL padded; systemd-stub passes it to
the kernel in place of the boot loader's command line.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import struct

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import CmdlineError

PE_SIGNATURE = b"PE\0\0"
CERTIFICATE_TABLE = 4


def _unpack(fmt, data, offset, path):
    try:
        return struct.unpack_from(fmt, data, offset)
    except struct.error:
        raise CmdlineError("%s is not a complete PE image (it ends at byte %d)" % (path, len(data)))


class UnifiedKernelImage:
    """The sections and signature of one UKI, read from its bytes."""

    def __init__(self, path, data):
        self.path = path
        if data[:2] != b"MZ":
            raise CmdlineError("%s is no PE image (no MZ header), so no unified kernel image" % path)
        (pe_offset,) = _unpack("<I", data, 0x3C, path)
        if data[pe_offset:pe_offset + 4] != PE_SIGNATURE:
            raise CmdlineError("%s is no PE image (no PE signature at 0x%x)" % (path, pe_offset))
        coff = pe_offset + 4
        sections, optional_size = _unpack("<2xH12xH", data, coff, path)
        optional = coff + 20
        (magic,) = _unpack("<H", data, optional, path)
        if magic not in (0x10B, 0x20B):
            raise CmdlineError("%s: unknown PE optional header magic 0x%x" % (path, magic))
        count_at, directories_at = (92, 96) if magic == 0x10B else (108, 112)
        (directories,) = _unpack("<I", data, optional + count_at, path)
        self.signature_size = 0
        if directories > CERTIFICATE_TABLE:
            _offset, self.signature_size = _unpack("<II", data, optional + directories_at + 8 * CERTIFICATE_TABLE, path)
        self.sections = {}
        table = optional + optional_size
        for index in range(sections):
            name, virtual_size, _address, raw_size, raw_at = _unpack("<8sIIII", data, table + 40 * index, path)
            content = data[raw_at:raw_at + min(virtual_size or raw_size, raw_size)]
            self.sections[name.rstrip(b"\0").decode("ascii", "replace")] = content

    @property
    def signed(self):
        """Authenticode-signed (a Certificate Table entry): firmware with Secure Boot checks it."""
        return self.signature_size > 0

    @property
    def cmdline(self):
        """The ``.cmdline`` section as text (None without one)."""
        raw = self.sections.get(".cmdline")
        if raw is None:
            return None
        return raw.rstrip(b"\0").decode("utf-8", "surrogateescape")

    @property
    def uname(self):
        raw = self.sections.get(".uname")
        return raw.rstrip(b"\0").decode("utf-8", "replace").strip() if raw is not None else None


def read_uki(root, path):
    data = root.read_bytes(path)
    if data is None:
        raise CmdlineError("%s cannot be read" % path)
    return UnifiedKernelImage(path, data)
