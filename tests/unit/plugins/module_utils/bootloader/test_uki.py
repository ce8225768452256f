"""Reading a UKI's PE sections (module_utils/_kernel_cmdline/bootloaders/uki.py).

The images come from tests/simulation/pe_image.py, written from the PE format independently of the
reader; the real UKIs ukify builds are read by tests/debian_unstable/test_kernel_cmdline_uki.py.
"""

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import CmdlineError
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.uki import UnifiedKernelImage
from tests.simulation.pe_image import build_pe

SECTIONS = [(".osrel", b"ID=debian\n"), (".cmdline", b" root=/dev/vda1 ro quiet"), (".uname", b"6.17.0-1-amd64"),
            (".initrd", b"initrd" * 300), (".linux", b"\x90" * 5000)]


def test_sections_cmdline_uname_and_no_signature():
    image = UnifiedKernelImage("/efi/EFI/Linux/a.efi", build_pe(SECTIONS))
    assert image.cmdline == " root=/dev/vda1 ro quiet" and image.uname == "6.17.0-1-amd64"
    assert image.sections[".linux"] == b"\x90" * 5000 and image.signed is False


def test_an_authenticode_certificate_table_means_signed():
    assert UnifiedKernelImage("/x.efi", build_pe(SECTIONS, signature=b"pkcs7")).signed is True


def test_no_cmdline_section_is_none():
    assert UnifiedKernelImage("/x.efi", build_pe([(".linux", b"k")])).cmdline is None


@pytest.mark.parametrize("data, message", [
    (b"", r"no PE image \(no MZ header\)"),
    (b"MZ" + b"\0" * 10, "is not a complete PE image"),
    (b"MZ" + b"\0" * 0x3A + b"\x40\0\0\0" + b"XX\0\0", "no PE signature at 0x40"),
])
def test_what_is_no_pe_image_is_refused_naming_the_file(data, message):
    with pytest.raises(CmdlineError, match=message):
        UnifiedKernelImage("/x.efi", data)


def test_a_truncated_image_is_refused():
    data = build_pe(SECTIONS)
    with pytest.raises(CmdlineError, match="not a complete PE image"):
        UnifiedKernelImage("/x.efi", data[:0x90])
