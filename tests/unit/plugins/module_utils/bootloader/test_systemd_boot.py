"""systemd-boot's helpers (module_utils/_kernel_cmdline/bootloaders/systemd_boot.py): UKI evidence, install.conf, tries, cmdline bytes."""

import json
import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.systemd_boot import (
    boot_counter,
    install_layout,
    kernel_install_entry_name,
    render_cmdline_file,
    uki_evidence,
)
from ansible_collections.inferops.amd.plugins.module_utils._host.config_text import decode, encode
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import CmdlineError
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot


def tree(tmp_path, files):
    for path, data in files.items():
        full = os.path.join(str(tmp_path), path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as handle:
            handle.write(data)
    os.makedirs(os.path.join(str(tmp_path), "boot/loader/entries"), exist_ok=True)
    return SysRoot(str(tmp_path))


@pytest.mark.parametrize("files, source", [
    # quoted, as the shell that sourced install.conf in systemd 252 reads it
    ({"/etc/kernel/install.conf": b'layout="uki"\n'}, "/etc/kernel/install.conf"),
    ({"/etc/kernel/install.conf": b"layout='uki'\n"}, "/etc/kernel/install.conf"),
    # white space around "=", which systemd's conf-parser (256+) strips
    ({"/etc/kernel/install.conf": b"layout = uki\n"}, "/etc/kernel/install.conf"),
    # the vendor file when /etc has none
    ({"/usr/lib/kernel/install.conf": b"layout=uki\n"}, "/usr/lib/kernel/install.conf"),
    # drop-ins (systemd 256+): systemd's own test writes install.conf.d/override.conf with layout=uki
    ({"/etc/kernel/install.conf": b"layout=bls\n", "/etc/kernel/install.conf.d/override.conf": b"layout=uki\n"},
     "/etc/kernel/install.conf.d/override.conf"),
    ({"/usr/lib/kernel/install.conf.d/50-uki.conf": b"layout=uki\nuki_generator=ukify\n"},
     "/usr/lib/kernel/install.conf.d/50-uki.conf"),
    ({"/etc/machine-info": b"KERNEL_INSTALL_LAYOUT=uki\n"}, "/etc/machine-info"),
])
def test_uki_layouts_are_found_where_kernel_install_reads_them(tmp_path, files, source):
    assert uki_evidence(tree(tmp_path, files)) == "%s (layout=uki)" % source


@pytest.mark.parametrize("files, layout", [
    # /etc/kernel/install.conf hides the vendor file entirely
    ({"/etc/kernel/install.conf": b"layout=bls\n", "/usr/lib/kernel/install.conf": b"layout=uki\n"}, "bls"),
    # a drop-in in /etc of the same name hides the vendor drop-in; a later name overrides an earlier one
    ({"/usr/lib/kernel/install.conf.d/50-x.conf": b"layout=uki\n",
      "/etc/kernel/install.conf.d/50-x.conf": b"layout=bls\n"}, "bls"),
    ({"/usr/lib/kernel/install.conf.d/10-a.conf": b"layout=uki\n",
      "/etc/kernel/install.conf.d/90-b.conf": b"layout=bls\n"}, "bls"),
    ({"/etc/kernel/install.conf": b"# layout=uki\nlayouts=uki\n"}, None),
    ({"/etc/kernel/install.conf": b"layout=uki\r\nlayout=bls"}, "bls"),
])
def test_the_layout_follows_kernel_install_s_reading_order(tmp_path, files, layout):
    root = tree(tmp_path, files)
    assert install_layout(root)[0] == layout
    assert uki_evidence(root) is None


def test_tries_decides_the_counter_of_a_new_entry(tmp_path):
    assert boot_counter(tree(tmp_path / "a", {})) == ""
    assert boot_counter(tree(tmp_path / "b", {"/etc/kernel/tries": b"3\n"})) == "+3"
    assert boot_counter(tree(tmp_path / "c", {"/etc/kernel/tries": b" 56 \nignored\n"})) == "+56"
    with pytest.raises(CmdlineError, match="/etc/kernel/tries holds 'three'"):
        boot_counter(tree(tmp_path / "d", {"/etc/kernel/tries": b"three\n"}))


@pytest.mark.parametrize("data, new_lines, expected", [
    (b"root=UUID=1  ro\r\n# r\xe9glage\r\nquiet", [["root=UUID=1", "ro"], ["#", decode(b"r\xe9glage")],
                                                   ["quiet", "iommu=pt"]],
     b"root=UUID=1  ro\r\n# r\xe9glage\r\nquiet iommu=pt"),
    (b"\troot=UUID=1 splash ro\n", [["root=UUID=1", "ro"]], b"\troot=UUID=1 ro\n"),
    (b"splash\troot=UUID=1\n", [["root=UUID=1"]], b"root=UUID=1\n"),
    (b"a ttm.pages_limit=1  b\n", [["a", "ttm.pages_limit=2", "b"]], b"a ttm.pages_limit=2  b\n"),
    (None, [["root=UUID=1", "ro"]], b"root=UUID=1 ro\n"),
])
def test_the_cmdline_file_keeps_every_byte_but_the_managed_ones(data, new_lines, expected):
    assert encode(render_cmdline_file(None if data is None else decode(data), new_lines)) == expected


def test_the_entry_name_is_the_one_systemd_s_own_kernel_install_test_expects(tmp_path):
    fixture = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "real_world", "systemd",
                           "kernel_install_boot_counting.json")
    with open(fixture, encoding="utf-8") as handle:
        case = json.load(handle)
    counter = boot_counter(tree(tmp_path, {"/etc/kernel/tries": case["tries"].encode() + b"\n"}))
    name = kernel_install_entry_name(case["entry_token"], case["version"], counter)
    assert "loader/entries/" + name == case["expected_entry"]
