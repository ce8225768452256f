"""Properties of the GRUB defaults editor over generated files (Hypothesis).

The files mix what users and distributions write: CRLF or LF endings, Latin-1 bytes in
comments, all three quoting styles, ``export``, indentation, trailing comments, ``$VAR`` and
``${VAR}`` references, one-line blocks, other assignments with command substitutions, and a
missing final newline. For each file and argument set:

* only the bytes of the managed assignments change (other lines byte for byte, no line lost);
* a real /bin/sh, sourcing the edited file, reads exactly the planned arguments;
* planning again on the edited file changes nothing;
* through the module on a simulated host: check mode writes nothing, and a failed update-grub
  puts back the exact bytes.

Bounded for CI (max_examples below); on a failure Hypothesis prints the falsifying example and
the seed to reproduce it (``print_blob``).
"""

import os
import shutil
import subprocess
import tempfile

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.grub_defaults import GrubDefaults
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import plan_cmdline_change
from tests.simulation import simulated_boot
from tests.simulation.scratch_host import make_scratch_host
from tests.unit.module_runner import ModuleFailed, run_module

LINUX, DEFAULT = "GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"
ARGUMENTS = ["quiet", "splash", "iommu=pt", "pcie_aspm.policy=performance", "amdgpu.gttsize=126976",
             "ttm.pages_limit=32505856", "console=ttyS0,115200", "nomodeset"]
FAST = settings(max_examples=120, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=12, deadline=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

words = st.lists(st.sampled_from(ARGUMENTS), max_size=3, unique=True)
latin1_comment = st.builds(lambda text: b"# " + text.encode("latin-1"),
                           st.text(alphabet="abc éèüßø", min_size=0, max_size=12))
other_line = st.sampled_from([
    b"GRUB_DEFAULT=0", b"GRUB_TIMEOUT=5", b"GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`",
    b"GRUB_DISTRIBUTOR=`( . /etc/os-release && echo ${NAME} )`", b"", b"   ", b"#GRUB_TERMINAL=console",
    b"if [ -e /nonexistent ]; then GRUB_TIMEOUT=1; fi", b"export GRUB_DISABLE_OS_PROBER=true",
])


@st.composite
def assignment(draw, var):
    args = draw(words)
    ref = draw(st.sampled_from(["", "$" + var, "${%s}" % var])) if var == DEFAULT else ""
    body = " ".join(([ref] if ref else []) + args)
    quote = draw(st.sampled_from(['"', "'", ""])) if not ref else '"'
    if quote == "" and (" " in body or not body):
        quote = '"'
    head = draw(st.sampled_from(["", "export ", "  "]))
    spacing = draw(st.sampled_from([" ", "  "]))
    body = body.replace(" ", spacing)
    tail = draw(st.sampled_from(["", "  # set by hand", " #é"]))
    return ("%s%s=%s%s%s%s" % (head, var, quote, body, quote, tail)).encode("latin-1")


@st.composite
def defaults_file(draw):
    lines = [draw(st.one_of(latin1_comment, other_line)) for _line in range(draw(st.integers(0, 3)))]
    lines.append(draw(assignment(LINUX)))
    lines += [draw(st.one_of(latin1_comment, other_line)) for _line in range(draw(st.integers(0, 2)))]
    for _line in range(draw(st.integers(1, 2))):
        lines.append(draw(assignment(DEFAULT)))
    lines += [draw(st.one_of(latin1_comment, other_line)) for _line in range(draw(st.integers(0, 2)))]
    ending = draw(st.sampled_from([b"\n", b"\r\n"]))
    final = draw(st.booleans())
    return ending.join(lines) + (ending if final else b"")


def as_text(data):
    return data.decode("utf-8", "surrogateescape")


def shell_reads(data):
    """GRUB_CMDLINE_LINUX + GRUB_CMDLINE_LINUX_DEFAULT as a real /bin/sh reads them after sourcing ``data``."""
    folder = tempfile.mkdtemp(prefix="grub-property-")
    try:
        with open(os.path.join(folder, "grub"), "wb") as handle:
            handle.write(data)
        script = '. ./grub >/dev/null 2>&1; printf "%s\\n%s" "$' + LINUX + '" "$' + DEFAULT + '"'
        proc = subprocess.run(["/bin/sh", "-c", script], cwd=folder, capture_output=True, check=False, env={})
    finally:
        shutil.rmtree(folder)
    # A file the shell cannot source (``fi\r`` is no keyword in a CRLF file) is no GRUB defaults file at all.
    assume(proc.returncode == 0)
    return proc.stdout.decode("latin-1").split()


def lines_of(data):
    return data.split(b"\n")


def managed(line):
    return line.lstrip().startswith((LINUX.encode(), b"export " + LINUX.encode()))


@FAST
@given(defaults_file(), words, words)
def test_only_the_managed_bytes_change_and_the_shell_reads_the_plan(data, present, absent):
    absent = [arg for arg in absent if arg not in present]
    before = shell_reads(data)
    changed = GrubDefaults([("/etc/default/grub", as_text(data))]).plan(present, absent)
    after = changed["/etc/default/grub"][1].encode("utf-8", "surrogateescape") if changed else data
    old_lines, new_lines = lines_of(data), lines_of(after)
    assert new_lines[:len(old_lines)] == old_lines or len(new_lines) == len(old_lines)
    for old, new in zip(old_lines, new_lines):
        assert old == new or managed(old), (old, new)
    assert sorted(shell_reads(after)) == sorted(plan_cmdline_change(before, present, absent).args)
    again = GrubDefaults([("/etc/default/grub", as_text(after))]).plan(present, absent)
    assert again == {}


@FAST
@given(defaults_file())
def test_a_file_read_and_left_alone_is_no_change(data):
    defaults = GrubDefaults([("/etc/default/grub", as_text(data))])
    assert defaults.configured() == shell_reads(data)
    assert defaults.plan([], []) == {}


_HOSTS = {}
_HOSTS_FOLDER = []


@pytest.fixture(scope="module", autouse=True)
def _remove_scratch_hosts():
    """The scratch hosts below go with this module's tests (they used to stay behind in /tmp)."""
    yield
    _HOSTS.clear()
    while _HOSTS_FOLDER:
        shutil.rmtree(_HOSTS_FOLDER.pop(), ignore_errors=True)


def host(name):
    """One simulated host per test (made once: Hypothesis runs many examples in one test call)."""
    if name not in _HOSTS:
        if not _HOSTS_FOLDER:
            _HOSTS_FOLDER.append(tempfile.mkdtemp(prefix="grub-prop-"))
        _HOSTS[name] = make_scratch_host("r9700_desktop", os.path.join(_HOSTS_FOLDER[0], name))
    return _HOSTS[name]


def outcome(args, check_mode=False):
    """The module's result, succeeded or failed: the properties below hold either way."""
    try:
        return run_module("kernel_cmdline", args, check_mode=check_mode)
    except ModuleFailed as failed:
        return failed.result


def put(root, data):
    with open(os.path.join(root, "etc/default/grub"), "wb") as handle:
        handle.write(data)


def snapshot(root):
    found = {}
    for folder in ("etc/default", "boot/grub"):
        for name in sorted(os.listdir(os.path.join(root, folder))):
            with open(os.path.join(root, folder, name), "rb") as handle:
                found[folder + "/" + name] = handle.read()
    return found


@SLOW
@given(defaults_file(), words, words)
def test_check_mode_writes_nothing(data, present, absent):
    shell_reads(data)  # only files the shell can source
    root = host("check")
    put(root, data)
    before = snapshot(root)
    absent = [arg for arg in absent if arg not in present]
    result = outcome(dict(sysroot=root, present=present, absent=absent, bootloader="grub"), check_mode=True)
    assert snapshot(root) == before
    assert result.get("failed") or result["changed"] == (result["added"] != [] or result["removed"] != [])


@SLOW
@given(defaults_file(), st.lists(st.sampled_from(ARGUMENTS), min_size=1, max_size=2, unique=True))
def test_a_failed_regeneration_restores_the_exact_bytes(data, present):
    root = host("failing")
    kernel = simulated_boot.load(root)
    kernel.config["fail_tools"] = {"update-grub": "simulated failure"}
    kernel.save_config()
    put(root, data)
    before = snapshot(root)
    shell_reads(data)  # only files the shell can source
    result = outcome(dict(sysroot=root, present=present, bootloader="grub"))
    assert snapshot(root) == before
    assert result["changed"] is False
    if result.get("failed"):
        assert "simulated failure" in result["msg"] and "restored /etc/default/grub byte for byte" in result["msg"]
