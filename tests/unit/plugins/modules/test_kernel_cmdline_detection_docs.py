"""The bootloader option's doc and docs/kernel-cmdline.md say how systemd-boot is detected as the code does it."""

import os

import yaml

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.detect import detect_bootloader
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.loader_entries import BOOT_ROOTS
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot
from ansible_collections.inferops.amd.plugins.modules import kernel_cmdline

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def _says_what_the_code_does(text):
    assert "loader/loader.conf" in text and "loader/entries" in text, text
    assert all("`%s`" % path in text or "C(%s)" % path in text for path in BOOT_ROOTS), text
    assert "kernel-install" not in text, text


def test_the_option_doc_names_the_files_detection_looks_for():
    options = yaml.safe_load(kernel_cmdline.DOCUMENTATION)["options"]
    text = " ".join(options["bootloader"]["description"])
    _says_what_the_code_does(text.split("systemd-boot (")[1].split("), and fails")[0])


def test_the_backends_table_names_the_files_detection_looks_for():
    with open(os.path.join(REPO, "docs", "kernel-cmdline.md")) as handle:
        (row,) = [line for line in handle if line.startswith("| `systemd_boot` |")]
    _says_what_the_code_does(row.split(" | ")[1])


def test_a_loader_entries_folder_alone_is_systemd_boot_without_kernel_install(tmp_path):
    os.makedirs(str(tmp_path / "efi" / "loader" / "entries"))
    assert detect_bootloader(SysRoot(str(tmp_path))).name == "systemd_boot"
