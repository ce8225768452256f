"""Reading what a generated grub.cfg boots (module_utils/_kernel_cmdline/bootloaders/grub_cfg.py)."""

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grub_cfg import check_grub_cfg, normal_entries
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import CmdlineError

GRUB_CFG = """menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple-1' {
\tlinux\t/boot/vmlinuz-6.12 root=UUID=1 ro quiet iommu=pt
\tinitrd\t/boot/initrd.img-6.12
}
submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-1' {
\tmenuentry 'Debian GNU/Linux, with Linux 6.12' --class debian {
\t\tlinux\t/boot/vmlinuz-6.12 root=UUID=1 ro quiet iommu=pt
\t}
\tmenuentry 'Debian GNU/Linux, with Linux 6.12 (recovery mode)' --class debian {
\t\tlinux\t/boot/vmlinuz-6.12 root=UUID=1 ro single
\t}
\tmenuentry 'Debian GNU/Linux, with Linux 6.1' --class debian {
\t\tlinux\t/boot/vmlinuz-6.1 root=UUID=1 ro quiet
\t}
}
menuentry 'Memory test (memtest86+x64.bin)' {
\tlinux\t/boot/memtest86+x64.bin
}
menuentry 'Fedora Linux 43 (on /dev/nvme1n1p3)' --class fedora {
\tlinux /boot/vmlinuz-6.17.7-300.fc43.x86_64 root=UUID=2 ro rhgb
}
"""


def test_normal_entries_leave_out_recovery():
    titles = [title for title, _args in normal_entries(GRUB_CFG)]
    assert titles == ["Debian GNU/Linux", "Debian GNU/Linux, with Linux 6.12", "Debian GNU/Linux, with Linux 6.1"]


def test_every_normal_entry_must_boot_the_managed_arguments():
    with pytest.raises(CmdlineError, match="entry 'Debian GNU/Linux, with Linux 6.1'.*managed arguments are"):
        check_grub_cfg("/boot/grub/grub.cfg", GRUB_CFG, ["quiet", "iommu=pt"], ["iommu=pt"], [])


def test_an_unmanaged_argument_that_vanished_is_named():
    text = GRUB_CFG.replace("ro quiet\n", "ro quiet iommu=pt\n")
    assert check_grub_cfg("/g", text, ["quiet", "iommu=pt"], ["iommu=pt"], [])[-1] == "iommu=pt"
    with pytest.raises(CmdlineError, match="lost splash"):
        check_grub_cfg("/g", text, ["quiet", "splash", "iommu=pt"], ["iommu=pt"], [])


def test_a_grub_cfg_without_entries_is_an_error():
    with pytest.raises(CmdlineError, match="no menu entry"):
        check_grub_cfg("/boot/grub/grub.cfg", "set timeout=5\n", ["quiet"], [], [])
