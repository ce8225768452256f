"""A real /bin/sh decides what the GRUB defaults say (module_utils/_kernel_cmdline/bootloaders/grub_shell.py)."""

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grub_shell import (
    check_parser_matches_shell,
    shell_values,
)
from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandRunner
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import CmdlineError
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot
from tests.unit.plugins.module_utils.test_command_runner import real_run_command


@pytest.fixture
def runner(tmp_path):
    return CommandRunner(SysRoot(str(tmp_path)), real_run_command)


def test_the_shell_sees_values_with_quotes_and_escapes(runner):
    values = shell_values(runner, [("/etc/default/grub", 'GRUB_CMDLINE_LINUX_DEFAULT="quiet acpi_osi=\\"!Windows 2020\\""\n'
                                                         "GRUB_CMDLINE_LINUX='rd.luks.uuid=1'\n")])
    assert values["GRUB_CMDLINE_LINUX_DEFAULT"] == 'quiet acpi_osi="!Windows 2020"'
    assert values["GRUB_CMDLINE_LINUX"] == "rd.luks.uuid=1"


def test_the_environment_is_clean(runner, monkeypatch):
    monkeypatch.setenv("GRUB_CMDLINE_LINUX_DEFAULT", "leaked")
    assert shell_values(runner, [("/etc/default/grub", "GRUB_TIMEOUT=5\n")])["GRUB_CMDLINE_LINUX_DEFAULT"] == ""


def test_drop_ins_are_sourced_after_the_main_file_in_the_given_order(runner):
    files = [("/etc/default/grub", 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n'),
             ("/etc/default/grub.d/10-a.cfg", 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT a"\n'),
             ("/etc/default/grub.d/20-b.cfg", 'GRUB_CMDLINE_LINUX_DEFAULT="b $GRUB_CMDLINE_LINUX_DEFAULT"\n')]
    assert shell_values(runner, files)["GRUB_CMDLINE_LINUX_DEFAULT"] == "b quiet a"
    assert check_parser_matches_shell(runner, files)["GRUB_CMDLINE_LINUX_DEFAULT"] == "b quiet a"


@pytest.mark.parametrize("text, where", [
    ('GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n[ -d / ] && GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\n', "line 2"),
    ('GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nunset GRUB_CMDLINE_LINUX_DEFAULT\n', "line 2"),
    ('GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nreadonly X=1; GRUB_CMDLINE_LINUX=nomodeset\n', "line 2"),
    ('x() { GRUB_CMDLINE_LINUX="a"; }\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nx\n', "line 3"),
])
def test_disagreement_is_refused_with_file_and_line(runner, text, where):
    with pytest.raises(CmdlineError, match="after /etc/default/grub %s" % where):
        check_parser_matches_shell(runner, [("/etc/default/grub", text)])


def test_a_file_the_shell_cannot_source_is_refused(runner):
    with pytest.raises(CmdlineError, match="sourcing the GRUB defaults with /bin/sh fails"):
        check_parser_matches_shell(runner, [("/etc/default/grub", "GRUB_TIMEOUT=5\nfi\n")])
