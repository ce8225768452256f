"""Debian's own GRUB defaults files (tests/fixtures/real_world/debian, SOURCES.md there) through every reader.

The parser, the reading of a tree as data (grub_static) and the module against a simulated
host, whose defaults are sourced as grub-mkconfig sources them.
"""

import os
import shutil

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grub_defaults import GrubDefaults
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grub_static import static_values
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import CmdlineError
from tests.unit.module_runner import run_module

HERE = os.path.dirname(os.path.abspath(__file__))
DEBIAN = os.path.join(HERE, "..", "..", "..", "..", "fixtures", "real_world", "debian")
STAND_INS = os.path.join(HERE, "..", "..", "..", "..", "simulation", "files")
ASPM = "pcie_aspm.policy=performance"
# The arguments each file configures, read off the files by hand.
DEFAULTS = {
    "grub2-common/usr/share/grub/default/grub": ["quiet"],
    "grub-cloud-amd64/etc/default/grub": ["console=tty0", "console=ttyS0,115200", "earlyprintk=ttyS0,115200",
                                          "consoleblank=0"],
}
XEN = "xen-hypervisor-common/etc/default/grub.d/xen.cfg"


def fixture(name):
    with open(os.path.join(DEBIAN, name), "rb") as handle:
        return handle.read().decode("utf-8", "surrogateescape")


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_the_parser_reads_debians_defaults(name):
    assert GrubDefaults([("/etc/default/grub", fixture(name))]).configured() == DEFAULTS[name]


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_a_tree_with_debians_defaults_is_read_as_data(name):
    """The backquoted lsb_release of GRUB_DISTRIBUTOR runs in a subshell: it cannot set GRUB's variables."""
    values = static_values([("/etc/default/grub", fixture(name))], "/tree")
    assert values["GRUB_CMDLINE_LINUX"].split() + values["GRUB_CMDLINE_LINUX_DEFAULT"].split() == DEFAULTS[name]


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_an_edit_of_debians_defaults_changes_one_line(name):
    text = fixture(name)
    changed = GrubDefaults([("/etc/default/grub", text)]).plan([ASPM], [])
    old, new = changed["/etc/default/grub"]
    assert old == text
    differing = [(a, b) for a, b in zip(old.split("\n"), new.split("\n")) if a != b]
    assert len(differing) == 1 and differing[0][0].startswith("GRUB_CMDLINE_LINUX_DEFAULT=")
    assert len(old.split("\n")) == len(new.split("\n"))


def test_the_xen_dropin_on_a_tree_is_refused_at_its_first_command():
    files = [("/etc/default/grub", fixture("grub2-common/usr/share/grub/default/grub")),
             ("/etc/default/grub.d/xen.cfg", fixture(XEN))]
    with pytest.raises(CmdlineError) as info:
        static_values(files, "/tree")
    assert "/etc/default/grub.d/xen.cfg line 8 (echo " in str(info.value)
    assert "read as data" in str(info.value)


@pytest.fixture
def xen_host(scratch_host):
    """A simulated Debian host with the Xen drop-in and, as /bin/sh, a static busybox so the defaults are
    sourced inside the tree under ``set -e``, as update-grub sources them on the host."""
    busybox = shutil.which("busybox")
    if busybox is None or os.geteuid() != 0:
        pytest.skip("needs root and a static busybox (run.sh installs busybox-static for the tests)")
    root = scratch_host("r9700_desktop")
    os.makedirs(os.path.join(root, "etc/default/grub.d"), exist_ok=True)
    shutil.copy(os.path.join(DEBIAN, XEN), os.path.join(root, "etc/default/grub.d/xen.cfg"))
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    shutil.copy(busybox, os.path.join(root, "bin/sh"))
    return root


def install_mkconfig_lib(root):
    os.makedirs(os.path.join(root, "usr/share/grub"), exist_ok=True)
    shutil.copy(os.path.join(STAND_INS, "grub-mkconfig_lib"), os.path.join(root, "usr/share/grub/grub-mkconfig_lib"))


def test_the_xen_dropin_reads_as_grub_mkconfig_reads_it(xen_host):
    """grub_warn comes from grub-mkconfig_lib, sourced first as util/grub-mkconfig.in does."""
    install_mkconfig_lib(xen_host)
    result = run_module("kernel_cmdline", dict(sysroot=xen_host, present=[ASPM], bootloader="grub"))
    assert result["added"] == [ASPM] and result["configured"] == ["quiet", ASPM]
    assert run_module("kernel_cmdline", dict(sysroot=xen_host, present=[ASPM], bootloader="grub"))["changed"] is False


def test_without_grub_mkconfig_lib_the_xen_dropin_fails_as_it_would_for_update_grub(xen_host):
    result = run_module("kernel_cmdline", dict(sysroot=xen_host, present=[ASPM], bootloader="grub"),
                        expect_failure=True)
    assert "grub_warn" in result["msg"] and result["changed"] is False
