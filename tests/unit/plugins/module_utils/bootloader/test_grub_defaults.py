"""Editing /etc/default/grub and its drop-ins (module_utils/_kernel_cmdline/bootloaders/grub_defaults.py)."""

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grub_defaults import GrubDefaults
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grub import grub_cfg_path
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import CmdlineError
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot

DEBIAN = (
    "# If you change this file or any /etc/default/grub.d/*.cfg file,\n"
    "# run 'update-grub' afterwards to update /boot/grub/grub.cfg.\n"
    "GRUB_DEFAULT=0\n"
    "GRUB_DISTRIBUTOR=`( . /etc/os-release && echo ${NAME} )`\n"
    'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n'
    'GRUB_CMDLINE_LINUX=""\n'
    "#GRUB_DISABLE_OS_PROBER=false\n"
)
LACT = 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT amdgpu.ppfeaturemask=0xffffffff"\n'
CLOUD = 'GRUB_CMDLINE_LINUX_DEFAULT="console=tty1 console=ttyS0"\n'


def grub(*files):
    return GrubDefaults([("/etc/default/grub", files[0])] +
                        [("/etc/default/grub.d/%s" % name, text) for name, text in files[1:]])


def test_configured_is_linux_then_linux_default():
    defaults = grub(DEBIAN.replace('GRUB_CMDLINE_LINUX=""', 'GRUB_CMDLINE_LINUX="console=ttyS0"'))
    assert defaults.configured() == ["console=ttyS0", "quiet"]


def test_adding_changes_only_the_managed_line():
    changed = grub(DEBIAN).plan(["pcie_aspm.policy=performance"], [])
    old, new = changed["/etc/default/grub"]
    assert old == DEBIAN
    assert new == DEBIAN.replace('DEFAULT="quiet"', 'DEFAULT="quiet pcie_aspm.policy=performance"')


def test_nothing_changes_when_everything_is_there():
    assert grub(DEBIAN).plan(["quiet"], ["splash"]) == {}


def test_an_extending_dropin_is_honoured_and_left_alone_for_new_arguments():
    defaults = grub(DEBIAN, ("99-local-gpu.cfg", LACT))
    assert defaults.configured() == ["quiet", "amdgpu.ppfeaturemask=0xffffffff"]
    changed = defaults.plan(["pcie_aspm.policy=performance"], [])
    assert list(changed) == ["/etc/default/grub"]
    assert defaults.configured() == ["quiet", "pcie_aspm.policy=performance", "amdgpu.ppfeaturemask=0xffffffff"]


def test_an_argument_held_by_a_dropin_is_replaced_there_keeping_the_reference():
    defaults = grub(DEBIAN, ("99-local-gpu.cfg", LACT))
    changed = defaults.plan(["amdgpu.ppfeaturemask=0xfff7ffff"], [])
    assert list(changed) == ["/etc/default/grub.d/99-local-gpu.cfg"]
    assert changed["/etc/default/grub.d/99-local-gpu.cfg"][1] == LACT.replace("0xffffffff", "0xfff7ffff")


def test_removing_empties_the_dropin_value_but_keeps_the_line():
    changed = grub(DEBIAN, ("99-local-gpu.cfg", LACT)).plan([], ["amdgpu.ppfeaturemask"])
    assert changed["/etc/default/grub.d/99-local-gpu.cfg"][1] == 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT"\n'


def test_a_dropin_that_overrides_is_the_one_edited():
    # Ubuntu cloud images: 50-cloudimg-settings.cfg sets the variable outright.
    defaults = grub(DEBIAN, ("50-cloudimg-settings.cfg", CLOUD))
    assert defaults.configured() == ["console=tty1", "console=ttyS0"]
    changed = defaults.plan(["iommu=pt"], [])
    assert list(changed) == ["/etc/default/grub.d/50-cloudimg-settings.cfg"]
    assert changed["/etc/default/grub.d/50-cloudimg-settings.cfg"][1] == \
        'GRUB_CMDLINE_LINUX_DEFAULT="console=tty1 console=ttyS0 iommu=pt"\n'


def test_an_argument_in_grub_cmdline_linux_is_replaced_there():
    text = DEBIAN.replace('GRUB_CMDLINE_LINUX=""', 'GRUB_CMDLINE_LINUX="iommu=soft"')
    new = grub(text).plan(["iommu=pt"], [])["/etc/default/grub"][1]
    assert 'GRUB_CMDLINE_LINUX="iommu=pt"\n' in new and 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n' in new


@pytest.mark.parametrize("line, wanted", [
    ("GRUB_CMDLINE_LINUX_DEFAULT='quiet splash'\n", "GRUB_CMDLINE_LINUX_DEFAULT='quiet splash iommu=pt'\n"),
    ("GRUB_CMDLINE_LINUX_DEFAULT=quiet\n", 'GRUB_CMDLINE_LINUX_DEFAULT="quiet iommu=pt"\n'),
    ('export GRUB_CMDLINE_LINUX_DEFAULT="quiet"  # keep quiet\n',
     'export GRUB_CMDLINE_LINUX_DEFAULT="quiet iommu=pt"  # keep quiet\n'),
    ('  GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n', '  GRUB_CMDLINE_LINUX_DEFAULT="quiet iommu=pt"\n'),
])
def test_quoting_export_indent_and_comments_are_kept(line, wanted):
    changed = grub(line).plan(["iommu=pt"], [])
    assert changed["/etc/default/grub"][1] == wanted


def test_values_with_quotes_and_spaces_round_trip_through_the_shell_quoting():
    defaults = grub(DEBIAN)
    new = defaults.plan(['acpi_osi="!Windows 2020"'], [])["/etc/default/grub"][1]
    assert 'GRUB_CMDLINE_LINUX_DEFAULT="quiet acpi_osi=\\"!Windows 2020\\""\n' in new
    again = grub(new)
    assert again.configured() == ["quiet", 'acpi_osi="!Windows 2020"']
    assert again.plan(['acpi_osi="!Windows 2020"'], []) == {}


def test_single_quotes_switch_to_double_when_the_value_needs_it():
    changed = grub("GRUB_CMDLINE_LINUX_DEFAULT='quiet'\n").plan(["x=it's"], [])
    assert changed["/etc/default/grub"][1] == 'GRUB_CMDLINE_LINUX_DEFAULT="quiet x=it\'s"\n'


def test_a_missing_assignment_is_added_to_the_main_file():
    text = "GRUB_DEFAULT=0\n"
    changed = grub(text).plan(["iommu=pt"], [])
    assert changed["/etc/default/grub"][1] == 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="iommu=pt"\n'


def test_shell_expressions_are_refused_not_guessed():
    with pytest.raises(CmdlineError, match="line 1: GRUB_CMDLINE_LINUX_DEFAULT uses a shell expression"):
        grub('GRUB_CMDLINE_LINUX_DEFAULT="quiet $(cat /etc/extra)"\n')
    with pytest.raises(CmdlineError, match="multi-line or unusual quoting"):
        grub('GRUB_CMDLINE_LINUX_DEFAULT="quiet\n splash"\n')


def test_an_extension_written_after_the_words_keeps_its_place():
    defaults = grub(DEBIAN, ("10-x.cfg", 'GRUB_CMDLINE_LINUX_DEFAULT="mitigations=off $GRUB_CMDLINE_LINUX_DEFAULT"\n'))
    assert defaults.configured() == ["mitigations=off", "quiet"]  # what /bin/sh makes of it: prepended
    changed = defaults.plan([], ["mitigations"])
    assert changed["/etc/default/grub.d/10-x.cfg"][1] == 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT"\n'


def test_grub_cfg_path_follows_the_distribution(tmp_path):
    (tmp_path / "boot" / "grub2").mkdir(parents=True)
    assert grub_cfg_path(SysRoot(str(tmp_path))) == "/boot/grub2/grub.cfg"
    (tmp_path / "boot" / "grub").mkdir()
    (tmp_path / "boot" / "grub" / "grub.cfg").write_text("")
    assert grub_cfg_path(SysRoot(str(tmp_path))) == "/boot/grub/grub.cfg"


def test_conditional_assignments_are_refused():
    text = 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nif [ -e /x ]; then\n  GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\nfi\n'
    with pytest.raises(CmdlineError, match="line 3: GRUB_CMDLINE_LINUX_DEFAULT is set inside a shell block"):
        grub(text)
    assert grub('if [ -e /x ]; then\n  GRUB_TIMEOUT=1\nfi\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\n').configured() == ["quiet"]
