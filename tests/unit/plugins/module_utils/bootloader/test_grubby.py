"""Reading grubby's view of the BLS entries and building its arguments (module_utils/_kernel_cmdline/bootloaders/grubby.py)."""

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grubby import (
    entry_arguments,
    parse_grubby_info,
    tool_arguments,
)
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import CmdlineError, refuse_spaces

# grubby-bls --info=ALL on a Rocky Linux 9 host (public output): one block per entry. on a Rocky Linux 9 host (public output): one block per entry.
GRUBBY_INFO = """index=0
kernel="/boot/vmlinuz-5.14.0-162.6.1.el9_1.x86_64"
args="ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M rd.lvm.lv=rl/root net.ifnames=0"
root="/dev/mapper/rl-root"
initrd="/boot/initramfs-5.14.0-162.6.1.el9_1.x86_64.img"
title="Rocky Linux (5.14.0-162.6.1.el9_1.x86_64) 9.1 (Blue Onyx)"
id="a98618aa1631441dbb52c75a50834a0a-5.14.0-162.6.1.el9_1.x86_64"
index=1
kernel="/boot/vmlinuz-0-rescue-a98618aa1631441dbb52c75a50834a0a"
args="ro net.ifnames=0"
root="/dev/mapper/rl-root"
initrd="/boot/initramfs-0-rescue-a98618aa1631441dbb52c75a50834a0a.img"
title="Rocky Linux (0-rescue-a98618aa1631441dbb52c75a50834a0a) 9.0 (Blue Onyx)"
id="a98618aa1631441dbb52c75a50834a0a-0-rescue"
"""


def test_grubby_info_blocks_become_entries_with_root_in_front():
    entries = parse_grubby_info(GRUBBY_INFO)
    assert [entry["index"] for entry in entries] == ["0", "1"]
    assert entry_arguments(entries[0]) == ["root=/dev/mapper/rl-root", "ro", "crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M",
                                           "rd.lvm.lv=rl/root", "net.ifnames=0"]
    assert entry_arguments(entries[1]) == ["root=/dev/mapper/rl-root", "ro", "net.ifnames=0"]


def test_grubby_replaces_by_adding_and_removes_only_what_is_gone():
    added, removed = tool_arguments(["ttm.pages_limit=32505856"], ["ttm.pages_limit=15466496", "amdgpu.gttsize=60416"])
    assert added == ["ttm.pages_limit=32505856"] and removed == ["amdgpu.gttsize=60416"]


def test_tools_that_split_at_spaces_refuse_such_values():
    with pytest.raises(CmdlineError, match="splits arguments at spaces"):
        refuse_spaces("grubby", ['acpi_osi="!Windows 2020"'])
    refuse_spaces("grubby", ["amdgpu.ppfeaturemask=0xffffffff"])
