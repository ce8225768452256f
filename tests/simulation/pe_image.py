"""Build small PE/COFF images with named sections: the unified kernel images of the simulation.

Written from Microsoft's PE Format specification (MS-DOS stub with ``e_lfanew`` at 0x3c, the
``PE\\0\\0`` signature, the COFF file header, a PE32+ optional header with 16 data directories,
the section table, raw data at ``FileAlignment`` 0x200; the Certificate Table, data directory 4,
gives the file offset and size of a ``WIN_CERTIFICATE`` appended at the end) and from what
ukify's ``make_uki`` puts in a UKI (``.osrel``, ``.cmdline``, ``.uname``, ``.initrd``, ``.linux``,
each section's ``VirtualSize`` its real length).  Independent of the collection's reader
(plugins/module_utils/_kernel_cmdline/bootloaders/uki.py), which tests read these with.
"""

import struct

FILE_ALIGNMENT = 0x200
SECTION_ALIGNMENT = 0x1000
DIRECTORIES = 16
OPTIONAL_HEADER_SIZE = 112 + 8 * DIRECTORIES


def _align(value, alignment):
    return (value + alignment - 1) // alignment * alignment


def build_pe(sections, signature=None):
    """Bytes of a PE32+ image holding ``sections`` (``[(name, bytes)]``), Authenticode-"signed" with ``signature``."""
    headers_end = 0x40 + 4 + 20 + OPTIONAL_HEADER_SIZE + 40 * len(sections)
    raw_at = _align(headers_end, FILE_ALIGNMENT)
    table, body, address = b"", b"", SECTION_ALIGNMENT
    for name, content in sections:
        raw_size = _align(len(content), FILE_ALIGNMENT)
        table += struct.pack("<8sIIIIIIHHI", name.encode("ascii"), len(content), address, raw_size,
                             raw_at + len(body), 0, 0, 0, 0, 0x40000040)
        body += content + b"\0" * (raw_size - len(content))
        address += _align(max(len(content), 1), SECTION_ALIGNMENT)
    directories = [(0, 0)] * DIRECTORIES
    certificate = b""
    if signature is not None:
        # WIN_CERTIFICATE: dwLength, wRevision 0x0200, wCertificateType 0x0002 (PKCS#7 SignedData), bCertificate
        certificate = struct.pack("<IHH", 8 + len(signature), 0x0200, 0x0002) + signature
        certificate += b"\0" * (_align(len(certificate), 8) - len(certificate))
        directories[4] = (raw_at + len(body), len(certificate))
    dos = b"MZ" + b"\0" * 0x3A + struct.pack("<I", 0x40)
    coff = struct.pack("<HHIIIHH", 0x8664, len(sections), 0, 0, 0, OPTIONAL_HEADER_SIZE, 0x0206)
    optional = struct.pack("<HBBIIIIIQIIHHHHHHIIIIHHQQQQII", 0x20B, 0, 0, 0, 0, 0, 0, 0, 0x10000000,
                           SECTION_ALIGNMENT, FILE_ALIGNMENT, 0, 0, 0, 0, 0, 0, 0, address, raw_at, 0, 10, 0,
                           0, 0, 0, 0, 0, DIRECTORIES)
    optional += b"".join(struct.pack("<II", *entry) for entry in directories)
    assert len(optional) == OPTIONAL_HEADER_SIZE
    head = dos + b"PE\0\0" + coff + optional + table
    return head + b"\0" * (raw_at - len(head)) + body + certificate


def read_sections(data):
    """``{name: bytes}`` of a PE image's sections (``VirtualSize`` bytes of each), for the simulated boot."""
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    count, optional_size = struct.unpack_from("<HH", data, pe + 6)[0], struct.unpack_from("<H", data, pe + 20)[0]
    table = pe + 24 + optional_size
    found = {}
    for index in range(count):
        name, size, _address, _raw_size, raw_at = struct.unpack_from("<8sIIII", data, table + 40 * index)
        found[name.rstrip(b"\0").decode("ascii")] = data[raw_at:raw_at + size]
    return found
