"""grubby's own expected --info outputs (tests/fixtures/real_world/grubby, SOURCES.md there) through the parser."""

import os

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grubby import entry_arguments, parse_grubby_info

HERE = os.path.dirname(os.path.abspath(__file__))
GRUBBY = os.path.join(HERE, "..", "..", "..", "..", "fixtures", "real_world", "grubby")


def info(name):
    with open(os.path.join(GRUBBY, name)) as handle:
        return handle.read()


def test_header_lines_before_the_first_entry_belong_to_no_entry():
    """grubby.c prints `lba` and `boot=` before the entries of a legacy GRUB config."""
    entries = parse_grubby_info(info("results-info-g12.1"))
    assert len(entries) == 1
    assert entries[0]["index"] == "0" and entries[0]["kernel"] == "/boot/vmlinuz-3.1.9-1.4-desktop"
    assert entry_arguments(entries[0]) == ["root=/dev/vda2", "resume=/dev/vda1", "splash=silent", "quiet",
                                           "showopts", "vga=0x314"]


def test_one_entry_with_many_arguments():
    entries = parse_grubby_info(info("results-info-z2.1"))
    assert [entry["index"] for entry in entries] == ["1"]
    args = entry_arguments(entries[0])
    assert args[0] == "root=/dev/mapper/rhel_ibm--z--68-root" and args[1] == "crashkernel=auto"
    assert args.count("rd.dasd=0.0.0120") == 1 and args[-1] == "systemd.log_target=kmsg" and len(args) == 12
