"""Properties of the loader entry, /etc/kernel/cmdline and kernelstub editors over generated files (issue 24).

Generated: entries with LF or CRLF endings, Latin-1 bytes in titles and comments, one to three
``options`` lines, spaces and tabs between arguments, with or without a final newline; and
present/absent requests over a small pool of names (so that they meet the files' arguments).
Invariants: only the managed bytes change, the options read back equal the plan, a second run
changes nothing, check mode writes nothing, a failed run puts back the exact bytes.

Bounded for CI (max_examples below; the whole file runs in well under 20 s); Hypothesis
prints the failing example and a ``@reproduce_failure`` blob (print_blob) to replay it.
"""

import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from unittest import mock

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.argument_lines import (
    edit_argument_lines,
    flatten,
)
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.loader_entries import LoaderEntry
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.systemd_boot import BootloaderSystemdBoot
from ansible_collections.inferops.amd.plugins.module_utils._host.config_text import decode, encode
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import (
    CmdlineError,
    managed_raw,
    missing_or_lost,
    plan_cmdline_change,
    split_cmdline,
)
from tests.simulation import simulated_boot
from tests.simulation.bootloader_hosts import make_bootloader_host
from tests.unit.host_files import tool_log, tree_files
from tests.unit.module_runner import run_module

FAST = settings(max_examples=100, deadline=None, derandomize=False, print_blob=True)
SLOW = settings(max_examples=5, deadline=None, derandomize=False, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow])

NAMES = ["quiet", "splash", "iommu", "ttm.pages_limit", "loglevel", "amd_pstate", "pcie_aspm.policy"]
VALUES = {"iommu": ["pt", "soft"], "ttm.pages_limit": ["1", "32505856"], "loglevel": ["0", "3"],
          "amd_pstate": ["active", "guided"], "pcie_aspm.policy": ["performance", "powersave"]}
LATIN1 = st.binary(min_size=0, max_size=8).map(lambda raw: bytes(b for b in raw if b >= 0xa0 or 0x61 <= b <= 0x7a))
ENDINGS = st.sampled_from([b"\n", b"\r\n"])
SPACES = st.sampled_from([b" ", b"  ", b"\t", b" \t"])


@st.composite
def arguments(draw):
    name = draw(st.sampled_from(NAMES))
    if name in VALUES and draw(st.booleans()):
        return "%s=%s" % (name, draw(st.sampled_from(VALUES[name])))
    return name


@st.composite
def requests(draw):
    """``(present, absent)`` as validate_request leaves them: one value per name, nothing both ways."""
    present, names = [], set()
    for arg in draw(st.lists(arguments(), max_size=3)):
        if arg.split("=")[0] not in names:
            names.add(arg.split("=")[0])
            present.append(arg)
    absent = [name for name in draw(st.lists(st.sampled_from(NAMES), max_size=2, unique=True)) if name not in names]
    return present, absent


@st.composite
def options_line(draw, first):
    args = ([b"root=UUID=1", b"rw"] if first else []) + [arg.encode() for arg in draw(st.lists(arguments(), max_size=4))]
    lead = draw(st.sampled_from([b"", b" "]))
    body = b""
    for index, arg in enumerate(args):
        body += (b"" if index == 0 else draw(SPACES)) + arg
    return lead + b"options" + draw(SPACES) + body + draw(st.sampled_from([b"", b" "]))


@st.composite
def entries(draw):
    """An entry's bytes: title, comments, linux, 1-3 options lines, endings and final newline drawn."""
    ending = draw(ENDINGS)
    lines = [b"title " + b"Arch " + draw(LATIN1), b"linux /vmlinuz-linux"]
    for index in range(draw(st.integers(1, 3))):
        lines.insert(draw(st.integers(1, len(lines))), draw(options_line(index == 0)))
    for _comment in range(draw(st.integers(0, 2))):
        lines.insert(draw(st.integers(0, len(lines))), b"# " + draw(LATIN1))
    data = ending.join(lines)
    return data + ending if draw(st.booleans()) else data


def non_option_lines(data):
    return [line for line in data.split(b"\n") if not line.lstrip(b" ").startswith(b"options")]


# -- the editor alone -----------------------------------------------------------------------------------------------

@FAST
@given(data=entries(), request=requests())
def test_an_entry_edit_changes_only_managed_bytes_and_reads_back_as_planned(data, request):
    present, absent = request
    entry = LoaderEntry("/boot/loader/entries/arch.conf", decode(data))
    lines = edit_argument_lines(entry.option_lines(), present, absent)
    new = encode(entry.with_option_lines(lines))
    after = LoaderEntry(entry.path, decode(new))
    # the options read back are the plan, and the plan is what plan_cmdline_change says of the whole list
    assert after.option_lines() == lines
    assert flatten(lines) == plan_cmdline_change(entry.options(), present, absent).args
    assert missing_or_lost(after.options(), plan_cmdline_change(entry.options(), present, absent).args,
                           present, absent) == ""
    # every other line is byte for byte the same, endings and final newline included
    assert non_option_lines(new) == non_option_lines(data)
    assert new.endswith(b"\n") == data.endswith(b"\n")
    # an options line whose arguments did not change keeps its bytes; so does the file when none changed
    for old_line, old_args, new_line, new_args in zip(
            [line for line in data.split(b"\n") if line.lstrip(b" ").startswith(b"options")], entry.option_lines(),
            [line for line in new.split(b"\n") if line.lstrip(b" ").startswith(b"options")], lines):
        if old_args == new_args:
            assert old_line == new_line
        else:
            # unmanaged arguments keep their order on the line
            assert [a for a in new_args if not managed_raw([a], present, absent)] == \
                [a for a in old_args if not managed_raw([a], present, absent)]
    # a second edit changes nothing
    assert edit_argument_lines(after.option_lines(), present, absent) == lines
    assert encode(after.with_option_lines(lines)) == new


# -- the module on a hand-written entry --------------------------------------------------------------------------

@contextmanager
def host(name):
    folder = tempfile.mkdtemp(prefix="inferops-prop-")
    try:
        yield make_bootloader_host(name, os.path.join(folder, name))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def put(root, path, data):
    full = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as handle:
        handle.write(data)


def module(root, present, absent, check_mode=False, expect_failure=False):
    return run_module("kernel_cmdline", dict(sysroot=root, present=present, absent=absent, backup=False),
                      check_mode=check_mode, expect_failure=expect_failure)


ARCH = "boot/loader/entries/arch.conf"


@SLOW
@given(data=entries(), request=requests())
def test_a_hand_written_entry_through_the_module(data, request):
    present, absent = request
    with host("arch_systemd_boot") as root:
        put(root, ARCH, data)
        before = tree_files(root)
        preview = module(root, present, absent, check_mode=True)
        assert tree_files(root) == before
        # a read-back that fails after the write: everything is put back byte for byte
        with mock.patch.object(BootloaderSystemdBoot, "read_back", side_effect=CmdlineError("simulated read-back")):
            failed = module(root, present, absent, expect_failure=True) if preview["changed"] else None
        assert tree_files(root) == before
        if failed is not None:
            assert "simulated read-back" in failed["msg"] and failed["changed"] is False
        result = module(root, present, absent)
        assert result["changed"] == preview["changed"] and result["configured"] == preview["configured"]
        new = tree_files(root)[ARCH]
        entry = LoaderEntry("/" + ARCH, decode(data))
        planned = plan_cmdline_change(entry.options(), present, absent).args
        assert LoaderEntry("/" + ARCH, decode(new)).options() == planned
        assert non_option_lines(new) == non_option_lines(data)
        assert {path: body for path, body in tree_files(root).items() if path != ARCH} == \
            {path: body for path, body in before.items() if path != ARCH}
        assert module(root, present, absent)["changed"] is False
        assert tree_files(root)[ARCH] == new


# -- the module on kernel-install entries (/etc/kernel/cmdline) ------------------------------------------------

ETC_CMDLINE = "etc/kernel/cmdline"
ROOT_ARG = b"root=UUID=0c6f3b1e-5a7d-4d8e-9b2f-3e1a6c9d8f72"
DEBIAN_ENTRY = "boot/efi/loader/entries/4c1f0e8d2b6a4f3e9a7d5c0b1e2f3a4b-6.12.57+deb13-amd64.conf"


@st.composite
def cmdline_files(draw):
    ending = draw(ENDINGS)
    lines = [ROOT_ARG + draw(SPACES) + b"ro"]
    for _line in range(draw(st.integers(0, 2))):
        words = [arg.encode() for arg in draw(st.lists(arguments(), max_size=3))]
        lines.append(draw(SPACES).join(words) if draw(st.booleans()) else b"# " + draw(LATIN1))
    data = ending.join(lines)
    return data + ending if draw(st.booleans()) else data


@SLOW
@given(data=cmdline_files(), request=requests())
@example(data=ROOT_ARG + b" ro\niommu", request=([], ["iommu"]))  # found by CI: the last line emptied
def test_etc_kernel_cmdline_through_the_module(data, request):
    present, absent = request
    with host("systemd_boot_host") as root:
        put(root, ETC_CMDLINE, data)
        entry = tree_files(root)[DEBIAN_ENTRY]
        # the entry as kernel-install wrote it from this file (the module checks that they agree)
        options = b" ".join(encode(word) for word in split_cmdline(decode(data)))
        put(root, DEBIAN_ENTRY, b"".join(
            (b"options    " + options + b" systemd.machine_id=4c1f0e8d2b6a4f3e9a7d5c0b1e2f3a4b\n")
            if line.startswith(b"options") else line for line in entry.splitlines(True)))
        before = tree_files(root)
        preview = module(root, present, absent, check_mode=True)
        assert tree_files(root) == before and tool_log(root) == []
        if preview["changed"]:
            kernel = simulated_boot.load(root)
            kernel.config["fail_tools"] = {"kernel-install": "kernel-install: simulated failure"}
            kernel.save_config()
            failed = module(root, present, absent, expect_failure=True)
            assert "simulated failure" in failed["msg"] and failed["changed"] is False
            assert tree_files(root) == before
            kernel.config["fail_tools"] = {}
            kernel.save_config()
        result = module(root, present, absent)
        assert result["changed"] == preview["changed"]
        new = tree_files(root)[ETC_CMDLINE]
        planned = plan_cmdline_change(split_cmdline(decode(data)), present, absent).args
        assert missing_or_lost(split_cmdline(decode(new)), planned, present, absent) == ""
        assert sorted(split_cmdline(decode(new))) == sorted(planned)
        # comment lines (the Latin-1 ones) and every line ending, in order, stay; only managed arguments' bytes
        # changed (a last line whose arguments all went is left empty, so "ro\niommu" becomes "ro\n")
        assert [line for line in new.split(b"\n") if line.startswith(b"#")] == \
            [line for line in data.split(b"\n") if line.startswith(b"#")]
        assert re.findall(b"\r?\n", new) == re.findall(b"\r?\n", data)
        if not result["changed"]:
            assert new == data
        again = module(root, present, absent)
        assert again["changed"] is False and tree_files(root)[ETC_CMDLINE] == new


# -- kernelstub ---------------------------------------------------------------------------------------------------

KERNELSTUB_CONFIG = "etc/kernelstub/configuration"
POP_ENTRY = "boot/efi/loader/entries/Pop_OS-current.conf"


@SLOW
@given(options=st.lists(arguments(), max_size=5, unique=True), title=LATIN1, ending=ENDINGS, request=requests())
def test_kernelstub_through_the_module(options, title, ending, request):
    present, absent = request
    with host("popos_kernelstub") as root:
        config = json.loads(tree_files(root)[KERNELSTUB_CONFIG])
        config["user"]["kernel_options"] = options
        put(root, KERNELSTUB_CONFIG, json.dumps(config, indent=2).encode())
        put(root, POP_ENTRY, ending.join([b"title Pop!_OS " + title, b"linux /EFI/Pop/vmlinuz.efi",
                                          b"options root=UUID=1 ro " + " ".join(options).encode(), b""]))
        before = tree_files(root)
        preview = module(root, present, absent, check_mode=True)
        assert tree_files(root) == before and tool_log(root) == []
        planned = plan_cmdline_change(options, present, absent).args
        if preview["changed"]:
            # kernelstub rewrites its files, then fails: both are put back byte for byte
            tool = os.path.join(root, "usr/bin/kernelstub")
            os.rename(tool, tool + ".sim")
            put(root, "usr/bin/kernelstub", b'#!/bin/sh\n"%s.sim" "$@"\necho "kernelstub: ESP full" >&2\nexit 1\n'
                % tool.encode())
            os.chmod(tool, 0o755)
            failed = module(root, present, absent, expect_failure=True)
            assert "ESP full" in failed["msg"] and failed["changed"] is True
            os.rename(tool + ".sim", tool)
            now = tree_files(root)
            assert {path: now[path] for path in now if not path.startswith("usr/bin/kernelstub")} \
                == {path: body for path, body in before.items() if not path.startswith("usr/bin/kernelstub")}
        result = module(root, present, absent)
        assert result["changed"] == preview["changed"]
        after = json.loads(tree_files(root)[KERNELSTUB_CONFIG])
        assert missing_or_lost(after["user"]["kernel_options"], planned, present, absent) == ""
        assert sorted(after["user"]["kernel_options"]) == sorted(planned)
        assert after["default"] == config["default"]
        # the entry's other lines, Latin-1 title and endings included, are untouched
        assert tree_files(root)[POP_ENTRY].split(b"\n")[:2] == before[POP_ENTRY].split(b"\n")[:2]
        assert module(root, present, absent)["changed"] is False
