"""Boot Loader Specification type #1 entries (module_utils/_kernel_cmdline/bootloaders/loader_entries.py)."""

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.loader_entries import LoaderEntry

KERNEL_INSTALL = ("# Boot Loader Specification type#1 entry\n"
                  "# File created by /usr/lib/kernel/install.d/90-loaderentry.install (systemd 257)\n"
                  "title      Debian GNU/Linux 13 (trixie)\nversion    6.12.57+deb13-amd64\n"
                  "options    root=UUID=1 ro quiet\nlinux      /x/6.12.57+deb13-amd64/linux\n")


def test_kernel_install_entries_are_told_by_their_header():
    assert LoaderEntry("/boot/efi/loader/entries/x-6.12.conf", KERNEL_INSTALL).by_kernel_install
    assert not LoaderEntry("/boot/loader/entries/arch.conf", "title Arch\noptions rw\n").by_kernel_install


def test_several_options_lines_join_and_are_rewritten_in_place():
    entry = LoaderEntry("/boot/loader/entries/arch.conf",
                        "title Arch\noptions\troot=UUID=1 rw\r\nlinux /vmlinuz-linux\noptions  quiet\n")
    assert entry.options() == ["root=UUID=1", "rw", "quiet"]
    assert entry.with_option_lines([["root=UUID=1", "rw"], ["quiet", "iommu=pt"]]) == \
        "title Arch\noptions\troot=UUID=1 rw\r\nlinux /vmlinuz-linux\noptions  quiet iommu=pt\n"


def test_an_entry_without_options_gets_one():
    entry = LoaderEntry("/boot/loader/entries/min.conf", "title Min\nlinux /vmlinuz")
    assert entry.options() == []
    assert entry.with_option_lines([["iommu=pt"]]) == "title Min\nlinux /vmlinuz\noptions iommu=pt\n"


def test_fallback_by_name_or_title():
    assert LoaderEntry("/boot/loader/entries/arch-fallback.conf", "title Arch\n").is_fallback
    assert LoaderEntry("/boot/loader/entries/b.conf", "title Arch Linux (fallback initramfs)\n").is_fallback
    assert not LoaderEntry("/boot/loader/entries/arch.conf", "title Arch Linux\n").is_fallback


def test_quoted_values_stay_one_argument():
    entry = LoaderEntry("/e.conf", 'options acpi_osi="!Windows 2020" quiet\n')
    assert entry.options() == ['acpi_osi="!Windows 2020"', "quiet"]


# -- issue 24: bytes in, bytes out; boot counting names ---------------------------------------------------------

import json  # noqa: E402
import os  # noqa: E402

import pytest  # noqa: E402

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.loader_entries import (  # noqa: E402
    read_entries,
    split_boot_counter,
)
from ansible_collections.inferops.amd.plugins.module_utils._host.config_text import decode, encode  # noqa: E402
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot  # noqa: E402

SYSTEMD_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "real_world", "systemd")
# An entry as a Windows editor and a Latin-1 locale leave it: CRLF, "Arch Linux (réglé)" in Latin-1,
# a tab after the key, two spaces inside options, no final newline.
WINDOWS_ENTRY = (b"# r\xe9glages\r\ntitle   Arch Linux (r\xe9gl\xe9)\r\nlinux   /vmlinuz-linux\r\n"
                 b"options\troot=UUID=1  rw quiet\r\ninitrd  /initramfs-linux.img")


def test_an_edit_changes_only_the_managed_bytes_of_a_crlf_latin1_entry():
    entry = LoaderEntry("/boot/loader/entries/arch.conf", decode(WINDOWS_ENTRY))
    assert entry.options() == ["root=UUID=1", "rw", "quiet"]
    assert entry.fields["title"] == decode(b"Arch Linux (r\xe9gl\xe9)")
    new = encode(entry.with_option_lines([["root=UUID=1", "rw", "iommu=pt"]]))
    assert new == WINDOWS_ENTRY.replace(b"rw quiet\r\n", b"rw iommu=pt\r\n")
    assert encode(entry.with_option_lines(entry.option_lines())) == WINDOWS_ENTRY


def test_a_new_options_line_ends_like_the_entry_and_the_last_line_keeps_its_bytes():
    entry = LoaderEntry("/e.conf", decode(b"title \xe9\r\nlinux /vmlinuz"))
    assert encode(entry.with_option_lines([["iommu=pt"]])) == b"title \xe9\r\nlinux /vmlinuz\r\noptions iommu=pt\r\n"


def test_a_carriage_return_alone_is_no_line_end():
    """systemd splits lines at \\n only: a lone \\r inside a line is white space to the options, not a new line."""
    entry = LoaderEntry("/e.conf", "title A\roptions x\noptions quiet\n")
    assert entry.option_lines() == [["quiet"]] and entry.fields["title"] == "A\roptions x"


def test_entries_are_read_as_bytes(tmp_path):
    folder = tmp_path / "boot" / "loader" / "entries"
    folder.mkdir(parents=True)
    (folder / "arch.conf").write_bytes(WINDOWS_ENTRY)
    (entry,) = read_entries(SysRoot(str(tmp_path)))
    assert encode(entry.text) == WINDOWS_ENTRY


def _bootspec_cases():
    with open(os.path.join(SYSTEMD_DATA, "bootspec_extract_tries.json"), encoding="utf-8") as handle:
        return json.load(handle)["cases"]


@pytest.mark.parametrize("case", _bootspec_cases(), ids=lambda case: case["fname"] or "(empty)")
def test_boot_counters_are_split_as_systemd_bootspec_splits_them(case):
    """Every case of systemd's own test (src/test/test-bootspec.c); a counter above INT_MAX is no counter."""
    if case["ret"] == "ERANGE":
        assert split_boot_counter(case["fname"]) == (case["fname"], None, None)
    else:
        assert split_boot_counter(case["fname"]) == (case["stripped"], case["tries_left"], case["tries_done"])


@pytest.mark.parametrize("name", ["the-token-1.1.1+56.conf", "4c1f-6.1.0-50-amd64+2-1.conf",
                                  "4c1f-6.1.0-50-amd64+0-3.conf"])
def test_a_counted_entry_has_the_id_of_its_uncounted_name(name):
    entry = LoaderEntry("/boot/efi/loader/entries/" + name, "title x\n")
    assert entry.id == name.split("+")[0] + ".conf"


def test_a_fallback_with_a_counter_is_still_a_fallback_and_a_default_glob_matches_the_id():
    from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.loader_entries import is_default
    assert LoaderEntry("/boot/loader/entries/arch-fallback+3.conf", "title Arch\n").is_fallback
    assert is_default(LoaderEntry("/boot/loader/entries/arch+2-1.conf", "title Arch\n"), "arch.conf")
