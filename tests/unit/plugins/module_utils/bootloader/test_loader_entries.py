"""Boot Loader Specification type #1 entries (module_utils/bootloader/loader_entries.py)."""

from ansible_collections.inferops.amd.plugins.module_utils.bootloader.loader_entries import LoaderEntry

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
