"""Properties of editing LINUX_OPTIONS in /etc/sdboot-manage.conf over generated files (Hypothesis).

sdboot-manage sources the file with bash after exporting its defaults (CachyOS/systemd-boot-manager,
``sdboot-manage``: ``export LINUX_OPTIONS ...``, then ``. "${config}"``).  The files mix what the
shipped configuration and users write: the commented-out defaults, ``LINUX_OPTIONS=`` in three
quoting styles, bash's ``LINUX_OPTIONS+=" ..."``, ``"$LINUX_OPTIONS ..."`` references, ``export``,
trailing comments, Latin-1 comments, other settings, CRLF or LF, a missing final newline.  For each:

* only the bytes of the LINUX_OPTIONS assignments change (other lines byte for byte), or one line
  is appended when there is no assignment;
* a real bash, sourcing the edited file as sdboot-manage does, reads exactly the planned arguments;
* planning again on the edited file changes nothing.
"""

import os
import re
import shutil
import subprocess
import tempfile

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import plan_cmdline_change
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.shell_assignments import ShellAssignments

VAR, FALLBACK = "LINUX_OPTIONS", "LINUX_FALLBACK_OPTIONS"
PATH = "/etc/sdboot-manage.conf"
ARGUMENTS = ["quiet", "splash", "nowatchdog", "zswap.enabled=0", "iommu=pt", "pcie_aspm.policy=performance",
             "ttm.pages_limit=32505856", "amdgpu.gttsize=126976"]
FAST = settings(max_examples=150, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])

words = st.lists(st.sampled_from(ARGUMENTS), max_size=3, unique=True)
latin1_comment = st.builds(lambda text: b"# " + text.encode("latin-1"), st.text(alphabet="abc éüßø", max_size=10))
other_line = st.sampled_from([
    b"#LINUX_OPTIONS=\"\"", b"#LINUX_FALLBACK_OPTIONS=\"\"", b"#DISABLE_FALLBACK=\"no\"", b"OVERWRITE_EXISTING=\"yes\"",
    b"REMOVE_OBSOLETE=\"yes\"", b"DEFAULT_ENTRY=\"latest\"", b"KERNEL_PATTERN=\"vmlinuz-\"", b"", b"  ",
    b"# kernel options to be appended to the \"options\" line", b"ENTRY_TITLE=\"CachyOS\"",
])


@st.composite
def assignment(draw, var):
    args = draw(words)
    form = draw(st.sampled_from(["set", "set", "append", "ref_start", "ref_end"]))
    spacing = draw(st.sampled_from([" ", "  "]))
    body = spacing.join(args)
    head = draw(st.sampled_from(["", "export ", "  "]))
    tail = draw(st.sampled_from(["", "  # mine", " #é"]))
    if form == "append":
        return ('%s%s+=" %s"%s' % (head, var, body, tail)).encode("latin-1")
    if form in ("ref_start", "ref_end"):
        ref = draw(st.sampled_from(["$" + var, "${%s}" % var]))
        value = (ref + " " + body) if form == "ref_start" else (body + " " + ref)
        return ('%s%s="%s"%s' % (head, var, value.strip(), tail)).encode("latin-1")
    quote = draw(st.sampled_from(['"', "'", ""]))
    if quote == "" and (" " in body or not body):
        quote = '"'
    return ("%s%s=%s%s%s%s" % (head, var, quote, body, quote, tail)).encode("latin-1")


@st.composite
def config_file(draw):
    lines = [draw(st.one_of(latin1_comment, other_line)) for _line in range(draw(st.integers(0, 4)))]
    for _line in range(draw(st.integers(0, 3))):
        lines.append(draw(assignment(draw(st.sampled_from([VAR, VAR, FALLBACK])))))
        lines += [draw(st.one_of(latin1_comment, other_line)) for _line in range(draw(st.integers(0, 2)))]
    ending = draw(st.sampled_from([b"\n", b"\r\n"]))
    return ending.join(lines) + (ending if draw(st.booleans()) else b"")


def bash_reads(data):
    """LINUX_OPTIONS and LINUX_FALLBACK_OPTIONS as bash reads them, sdboot-manage's way."""
    folder = tempfile.mkdtemp(prefix="sdboot-property-")
    try:
        with open(os.path.join(folder, "sdboot-manage.conf"), "wb") as handle:
            handle.write(data)
        script = ('export LINUX_OPTIONS LINUX_FALLBACK_OPTIONS; config=./sdboot-manage.conf; '
                  '[[ -f ${config} ]] && . "${config}" >/dev/null 2>&1; printf "%s\\n%s" "$LINUX_OPTIONS" '
                  '"$LINUX_FALLBACK_OPTIONS"')
        proc = subprocess.run(["bash", "-c", script], cwd=folder, capture_output=True, check=False, env={})
    finally:
        shutil.rmtree(folder)
    assume(proc.returncode == 0)
    options, fallback = proc.stdout.decode("latin-1").split("\n")
    return options.split(), fallback.split()


def parsed(data, variables=(VAR, FALLBACK)):
    return ShellAssignments([(PATH, data.decode("utf-8", "surrogateescape"))], variables, VAR, PATH, append=True)


def managed(line):
    return line.lstrip().startswith((VAR.encode(), b"export " + VAR.encode())) and not line.lstrip().startswith(
        (FALLBACK.encode(), b"export " + FALLBACK.encode()))


@FAST
@given(config_file())
def test_the_parser_reads_what_bash_reads(data):
    values = parsed(data).values()
    assert (values[VAR], values[FALLBACK]) == bash_reads(data)


@FAST
@given(config_file(), words, words)
def test_only_linux_options_changes_and_bash_reads_the_plan(data, present, absent):
    absent = [arg for arg in absent if arg not in present]
    before, fallback = bash_reads(data)
    changed = parsed(data, (VAR,)).plan(present, absent)  # the backend edits LINUX_OPTIONS only
    after = changed[PATH][1].encode("utf-8", "surrogateescape") if changed else data
    old_lines, new_lines = data.split(b"\n"), after.split(b"\n")
    if any(managed(line) for line in old_lines):
        for old, new in zip(old_lines, new_lines):
            assert old == new or managed(old), (old, new)
    else:  # no assignment: one line appended, everything before it as it was
        rest = after[len(data):]
        assert after.startswith(data)
        assert rest == b"" or re.fullmatch(rb'(\r?\n)?LINUX_OPTIONS="[^"\n]*"\r?\n', rest), rest
    options, fallback_after = bash_reads(after)
    # a new argument joins the assignment the value starts from, not the end: the same set, maybe in another order
    assert sorted(options) == sorted(plan_cmdline_change(before, present, absent).args)
    assert fallback_after == fallback
    assert parsed(after, (VAR,)).plan(present, absent) == {}
