"""The bootc kargs.d model (tests/simulation/bootc_kargs.py) against bootc's source and its own tests.

Expected values come from bootc-dev/bootc at 534c76ea474a356aa288f6767635e579ea2614d5
(crates/lib/src/bootc_kargs.rs and its ``mod tests``, crates/lib/src/lints.rs ``test_kargs``,
crates/tests-integration/src/container.rs, tmt/tests/booted/test-image-pushpull-upgrade.nu) and
from linux-kernel-cmdline (bootc-dev/linux-kernel-cmdline 4247d5ece6b23f2e01a3db7c9b1a3651487ada43,
src/bytes.rs and src/utf8.rs ``mod tests``); a case derived from reading the code rather than
ported from a test says so.  Fixtures: tests/fixtures/real_world/bootc (PROVENANCE.md there).
"""

import json
import os
import stat

import pytest

from tests.simulation import bootc_kargs
from tests.simulation.bootc_kargs import (
    Cmdline, KargsError, Parameter, kargs_in_root, parse_kargs_toml, split_cmdline, upgrade_argv, upgrade_options,
)

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "fixtures")
REAL = os.path.join(FIXTURES, "real_world", "bootc")
CONTRIB_KARGS_D = os.path.join(REAL, "contrib", "packaging", "usr-extras", "lib", "bootc", "kargs.d")
OVERLAY = os.path.join(FIXTURES, "bootloaders", "bootc_image")


def real(*parts):
    with open(os.path.join(REAL, *parts), "r", encoding="utf-8", newline="") as handle:
        return handle.read()


def image(tmp_path, name, files=None):
    """A root whose usr/lib/bootc/kargs.d holds ``files`` ({name: text}); None: no kargs.d at all."""
    root = tmp_path / name
    root.mkdir()
    if files is not None:
        folder = root / bootc_kargs.KARGS_PATH
        folder.mkdir(parents=True)
        for file_name, text in files.items():
            (folder / file_name).write_text(text, encoding="utf-8")
    return str(root)


def kargs_file(*args):
    return "kargs = [%s]\n" % ", ".join(json.dumps(arg) for arg in args)


def params(cmdline):
    return [(p.key, p.value) for p in cmdline.iter()]


# --- linux-kernel-cmdline (src/utf8.rs and src/bytes.rs tests) -----------------------------------

def test_parameter_parse():
    p = Parameter("foo")
    assert (p.key, p.value) == ("foo", None)
    # should parse only the first parameter and discard the rest of the input
    p = Parameter("foo=bar baz")
    assert (p.key, p.value, p.raw) == ("foo", "bar", "foo=bar")
    for empty in ("", "   "):
        with pytest.raises(ValueError):
            Parameter(empty)
    assert Parameter("  foo=bar  ").raw == "foo=bar"
    assert (Parameter("foo bar=baz").key, Parameter("foo bar=baz").value) == ("foo", None)


def test_parameter_quoted():
    assert Parameter('foo="quoted value"').value == "quoted value"
    assert Parameter('foo="unclosed quotes').value == "unclosed quotes"
    assert Parameter('foo=trailing_quotes"').value == "trailing_quotes"
    assert Parameter('"foo=quoted value"') == Parameter('foo="quoted value"')
    # test_parameter_display: the parameter keeps its spelling
    assert str(Parameter('"foo"')) == '"foo"'


def test_parameter_pathological():
    # the end quote of a quoted key is part of the key
    p = Parameter('"foo"=bar')
    assert (p.key, p.value) == ('foo"', "bar")
    assert p != Parameter("foo=bar")
    # a quote closed right after the equals sign is removed
    p = Parameter('"foo="bar')
    assert (p.key, p.value) == ("foo", "bar")
    assert p == Parameter("foo=bar")
    # quotes only get stripped from the absolute ends of values
    assert Parameter('foo="internal"quotes"are"ok"').value == 'internal"quotes"are"ok'


def test_parameter_equality():
    assert Parameter("foo") != Parameter("foobar")
    assert Parameter("foobar") != Parameter("foo")
    # dashes and underscores are treated equally, in the key only
    assert Parameter("a-delimited-param") == Parameter("a_delimited_param")
    assert Parameter("a-delimited-param=same_values") == Parameter("a_delimited_param=same_values")
    assert Parameter("a-delimited-param=different_values") != Parameter("a_delimited_param=DiFfErEnT_valUEZ")
    # mixed variants are never equal
    assert Parameter("same_key") != Parameter("same_key=but_with_a_value")
    # derived (PartialEq compares Option values): a switch is not an empty value; values keep - and _; case counts
    assert Parameter("foo") != Parameter("foo=")
    assert Parameter("foo=a-b") != Parameter("foo=a_b")
    assert Parameter("Foo") != Parameter("foo")


def test_param_key_eq_in_find():
    # test_kargs_find_dash_hyphen: find returns the first match, either spelling
    kargs = Cmdline("a-b=1 a_b=2")
    assert (kargs.find("a_b").key, kargs.find("a_b").value) == ("a-b", "1")
    assert (kargs.find("a-b").key, kargs.find("a-b").value) == ("a-b", "1")
    kargs = Cmdline("a_b=2 a-b=1")
    assert (kargs.find("a-b").key, kargs.find("a-b").value) == ("a_b", "2")
    assert Cmdline("foo=bar,bar2 baz=fuz wiz").find("nothing") is None


def test_cmdline_iteration_and_quotes():
    assert params(Cmdline("foo=bar,bar2 baz=fuz wiz")) == [("foo", "bar,bar2"), ("baz", "fuz"), ("wiz", None)]
    assert Cmdline("  foo=bar    baz=fuz  wiz   ").iter_str() == ["foo=bar", "baz=fuz", "wiz"]
    assert Cmdline('foo="bar baz" qux').iter_str() == ['foo="bar baz"', "qux"]
    assert Cmdline("").iter_str() == []
    # derived from CmdlineIterBytes: tabs and newlines split too; an unclosed quote runs to the end
    assert split_cmdline("a\tb\nc") == ["a", "b", "c"]
    assert split_cmdline('a="x b c') == ['a="x b c']


def test_add():
    kargs = Cmdline("console=tty0 console=ttyS1")
    # duplicate key, different value: added
    assert kargs.add(Parameter("console=ttyS2")) == "Added"
    assert kargs.iter_str() == ["console=tty0", "console=ttyS1", "console=ttyS2"]
    # exact duplicate: nothing
    assert kargs.add(Parameter("console=ttyS1")) == "Existed"
    assert kargs.iter_str() == ["console=tty0", "console=ttyS1", "console=ttyS2"]
    assert kargs.add(Parameter("quiet")) == "Added"
    assert kargs.iter_str() == ["console=tty0", "console=ttyS1", "console=ttyS2", "quiet"]
    # test_add_empty_cmdline
    empty = Cmdline("")
    assert empty.add(Parameter("foo")) == "Added"
    assert str(empty) == "foo"


def test_add_keeps_the_spelling_and_the_line_derived():
    # Cmdline::add: equality ignores - vs _ and the quotes, so these exist already
    kargs = Cmdline('foo-bar=1 "baz=a b"')
    assert kargs.add(Parameter("foo_bar=1")) == "Existed"
    assert kargs.add(Parameter('baz="a b"')) == "Existed"
    # appended as written; a space only when the line does not end with whitespace
    trailing = Cmdline("quiet ")
    trailing.add(Parameter('x="y z"'))
    assert str(trailing) == 'quiet x="y z"'


def test_remove_exact():
    kargs = Cmdline("foo foo=bar foo=baz")
    assert kargs.remove_exact(Parameter("foo=bar")) is True
    assert kargs.iter_str() == ["foo", "foo=baz"]
    assert kargs.remove_exact(Parameter("foo=wuz")) is False
    assert kargs.iter_str() == ["foo", "foo=baz"]


def test_remove_exact_takes_every_occurrence_and_rejoins_derived():
    kargs = Cmdline("a  foo_x=1   b foo-x=1\tc")
    assert kargs.remove_exact(Parameter("foo-x=1")) is True
    assert str(kargs) == "a b c"
    untouched = Cmdline("a  b")
    assert untouched.remove_exact(Parameter("c")) is False
    assert str(untouched) == "a  b"


def test_remove_by_key():
    kargs = Cmdline("foo bar baz")
    assert kargs.remove("bar") is True
    assert kargs.iter_str() == ["foo", "baz"]
    assert kargs.remove("missing") is False
    dupes = Cmdline("a=1 b=2 a=3")
    assert dupes.remove("a") is True
    assert dupes.iter_str() == ["b=2"]


def test_extend():
    kargs = Cmdline("foo=bar baz")
    kargs.extend(Cmdline("qux=quux foo=updated"))
    # original foo kept, the second (duplicate key) foo appended
    assert kargs.iter_str() == ["foo=bar", "baz", "qux=quux", "foo=updated"]
    empty = Cmdline("")
    empty.extend(Cmdline("foo=bar baz"))
    assert empty.iter_str() == ["foo=bar", "baz"]


def test_cmdline_eq():
    assert Cmdline('foo bar-with-delim="with spaces"') == Cmdline('"bar_with_delim=with spaces" foo')
    assert Cmdline("foo") != Cmdline("foo foo")
    assert Cmdline("foo foo") != Cmdline("foo")
    assert Cmdline("a a b") != Cmdline("a b b")


# --- bootc_kargs.rs tests ------------------------------------------------------------------------

@pytest.mark.parametrize("file_name,arch,applies", [
    ("test_arch-any.toml", "x86_64", True),            # no arch: unconditional
    ("test_arch-any.toml", "aarch64", True),
    ("test_arch-x86_64.toml", "aarch64", False),        # one arch matches and one doesn't
    ("test_arch-aarch64.toml", "aarch64", True),
    ("test_arch-x86_64-aarch64.toml", "x86_64", True),  # multiple arches
    ("test_arch-x86_64-aarch64.toml", "aarch64", True),
])
def test_arch(file_name, arch, applies):
    parsed = parse_kargs_toml(real("rust-tests", file_name), arch)
    if applies:
        assert parsed.iter_str() == ["console=tty0", "nosmt"]
    else:
        assert parsed is None


@pytest.mark.parametrize("arch", ["amd64", "X86_64", "x86-64", "i686"])
def test_arch_is_compared_as_an_exact_string(arch):
    # parse_kargs_toml: arches.iter().any(|s| s == sys_arch); docs: Debian's amd64 is not Rust's x86_64
    assert parse_kargs_toml(real("rust-tests", "test_arch-x86_64.toml"), arch) is None


def test_empty_match_architectures_matches_nothing_derived():
    assert parse_kargs_toml('kargs = ["a"]\nmatch-architectures = []\n', "x86_64") is None


def test_invalid():
    # test_invalid's first string is a Rust raw string: its "\n" is a backslash and an n, so the
    # file is one line and fails as TOML before serde sees an unknown field
    with pytest.raises(KargsError, match="invalid TOML"):
        parse_kargs_toml(real("rust-tests", "test_invalid-extra.toml"))
    with pytest.raises(KargsError, match="unknown field `foo`"):
        parse_kargs_toml('kargs = ["console=tty0", "nosmt"]\nfoo="bar"\n')
    with pytest.raises(KargsError, match="invalid TOML"):
        parse_kargs_toml(real("rust-tests", "test_invalid-missing.toml"))  # foo=bar: bar is no TOML value
    with pytest.raises(KargsError, match="missing field `kargs`"):
        parse_kargs_toml('match-architectures = ["x86_64"]\n')


@pytest.mark.parametrize("text,reason", [
    ('kargs = ["a"]\nmatch_architectures = ["x86_64"]\n', "unknown field `match_architectures`"),  # kebab-case only
    ('kargs = ["a"]\n[extra]\nx = 1\n', "unknown field `extra`"),
    ('Kargs = ["a"]\n', "unknown field `Kargs`"),
    ('', "missing field `kargs`"),
    ('kargs = "rw"\n', "not an array of strings"),
    ('kargs = ["rw", 1]\n', "not an array of strings"),
    ('kargs = ["a"]\nmatch-architectures = "x86_64"\n', "not an array of strings"),
    ('kargs = ["a"]\nkargs = ["b"]\n', "invalid TOML"),  # a duplicate key is invalid TOML
])
def test_what_serde_refuses(text, reason):
    with pytest.raises(KargsError, match=reason):
        parse_kargs_toml(text)


def test_kargs_entries_are_joined_into_one_command_line_derived():
    # Cmdline::from(de.kargs.join(" "))
    assert parse_kargs_toml('kargs = ["a b", "", "c"]\n').iter_str() == ["a", "b", "c"]
    assert parse_kargs_toml('kargs = [\'x="one two"\']\n').iter_str() == ['x="one two"']
    # an unbalanced quote swallows the following entries into one argument
    assert parse_kargs_toml('kargs = [\'a="x\', "b"]\n').iter_str() == ['a="x b']
    assert parse_kargs_toml("kargs = []\n").iter_str() == []


def test_get_kargs_in_root(tmp_path):
    root = image(tmp_path, "root")
    assert kargs_in_root(root) == []                              # no directory
    os.makedirs(os.path.join(root, bootc_kargs.KARGS_PATH))
    assert kargs_in_root(root) == []                              # empty directory
    with open(os.path.join(root, bootc_kargs.KARGS_PATH, "somegarbage"), "w") as handle:
        handle.write("garbage")
    assert kargs_in_root(root) == []                              # non-toml file
    for name in ("01-foo.toml", "02-bar.toml"):                   # write_test_kargs
        with open(os.path.join(root, bootc_kargs.KARGS_PATH, name), "w") as handle:
            handle.write(real("rust-tests", name))
    assert kargs_in_root(root) == ["console=tty0", "nosmt", "console=ttyS1"]


def test_get_kargs_in_ostree(tmp_path):
    # test_get_kargs_in_ostree: the same files read from the pending image's commit; an image
    # without kargs.d gives nothing (the booted options stay as they are)
    empty = image(tmp_path, "empty")
    assert upgrade_argv("", empty, image(tmp_path, "rootfs")) == []
    files = dict((name, real("rust-tests", name)) for name in ("01-foo.toml", "02-bar.toml"))
    assert upgrade_argv("", empty, image(tmp_path, "new", files)) == ["console=tty0", "nosmt", "console=ttyS1"]


def test_files_are_read_in_file_name_byte_order(tmp_path):
    root = image(tmp_path, "root", {
        "9-late.toml": kargs_file("nine"),
        "10-early.toml": kargs_file("ten"),
        "02-b.toml": kargs_file("two"),
        "01-a.toml": kargs_file("one"),
        "Z.toml": kargs_file("upper"),
        "a.toml": kargs_file("lower"),
    })
    assert kargs_in_root(root) == ["one", "two", "ten", "nine", "upper", "lower"]


def test_only_the_toml_extension_is_read(tmp_path):
    garbage = "this is not toml ["
    root = image(tmp_path, "root", {
        "50-real.toml": kargs_file("real"),
        "50-real.toml.bak": garbage,
        "50-real.TOML": garbage,
        "50-real.conf": garbage,
        ".toml": garbage,          # a dot file: Path::extension is None
        "README": garbage,
        "..toml": kargs_file("dotdot"),  # derived: std's rsplit_file_at_dot gives it the extension "toml"
    })
    assert kargs_in_root(root) == ["dotdot", "real"]


def test_arch_specific_files_in_a_root(tmp_path):
    root = image(tmp_path, "root", {
        "00-console.toml": 'kargs = ["console=ttyS0,115200n8"]\nmatch-architectures = ["x86_64"]\n',
        "10-example.toml": 'kargs = ["mitigations=auto,nosmt"]\n',
    })
    # docs/src/building/kernel-arguments.md's two examples
    assert kargs_in_root(root) == ["console=ttyS0,115200n8", "mitigations=auto,nosmt"]
    assert kargs_in_root(root, arch="aarch64") == ["mitigations=auto,nosmt"]


def test_duplicates_collapse_to_the_first_spelling_derived(tmp_path):
    # get_kargs_in_root: ret.extend(&kargs) -> Cmdline::add per argument
    root = image(tmp_path, "root", {
        "10-a.toml": kargs_file("foo-bar=1", "quiet", "quiet"),
        "20-b.toml": kargs_file("foo_bar=1", "foo_bar=2", '"quiet"'),
    })
    assert kargs_in_root(root) == ["foo-bar=1", "quiet", "foo_bar=2"]


def test_one_bad_file_fails_the_whole_directory(tmp_path):
    root = image(tmp_path, "root", {"10-good.toml": kargs_file("a"), "20-bad.toml": 'kargs = ["a"]\nextra = 1\n'})
    with pytest.raises(KargsError, match="20-bad.toml"):
        kargs_in_root(root)


def test_lint_kargs_d_not_a_directory(tmp_path):
    # lints.rs test_kargs: usr/lib/bootc/kargs.d written as a file is an error
    root = image(tmp_path, "root")
    os.makedirs(os.path.join(root, "usr/lib/bootc"))
    with open(os.path.join(root, bootc_kargs.KARGS_PATH), "w") as handle:
        handle.write("not a directory")
    with pytest.raises(KargsError, match="not a directory"):
        kargs_in_root(root)


def test_a_toml_that_is_not_a_file_fails(tmp_path):
    root = image(tmp_path, "root", {})
    os.makedirs(os.path.join(root, bootc_kargs.KARGS_PATH, "sub.toml"))
    with pytest.raises(KargsError, match="not a regular file"):
        kargs_in_root(root)


def test_a_symlinked_toml_is_followed_in_the_booted_root_but_fails_in_the_new_image(tmp_path):
    files = {"target": kargs_file("linked")}
    old = image(tmp_path, "old", files)
    os.symlink("target", os.path.join(old, bootc_kargs.KARGS_PATH, "10-link.toml"))
    assert kargs_in_root(old) == ["linked"]
    # the Dir is kargs.d itself: a link out of it is refused, a dangling one cannot be read
    os.symlink("../../../../outside.toml", os.path.join(old, bootc_kargs.KARGS_PATH, "20-out.toml"))
    with open(os.path.join(old, "outside.toml"), "w") as handle:
        handle.write(kargs_file("outside"))
    with pytest.raises(KargsError, match="leading out of kargs.d"):
        kargs_in_root(old)
    os.unlink(os.path.join(old, bootc_kargs.KARGS_PATH, "20-out.toml"))
    os.symlink("missing", os.path.join(old, bootc_kargs.KARGS_PATH, "20-dangling.toml"))
    with pytest.raises(KargsError, match="dangling"):
        kargs_in_root(old)
    new = image(tmp_path, "new", files)
    os.symlink("target", os.path.join(new, bootc_kargs.KARGS_PATH, "10-link.toml"))
    with pytest.raises(KargsError, match="symlink"):
        upgrade_argv("", image(tmp_path, "empty"), new)


# --- get_kargs: bootc upgrade / switch ----------------------------------------------------------

BOOTED = "root=UUID=e3a9c6f2 rw ostree=/ostree/boot.1/default/abc/0"


def test_machine_local_arguments_survive_and_new_ones_are_appended(tmp_path):
    old = image(tmp_path, "old", {"10-base.toml": kargs_file("rw", "console=tty0")})
    new = image(tmp_path, "new", {"10-base.toml": kargs_file("rw", "console=tty0"),
                                  "50-gpu.toml": kargs_file("amd_iommu=off", "amdgpu.gttsize=126976")})
    booted = BOOTED + " console=tty0 mitigations=off"  # mitigations=off: set on this machine only
    assert upgrade_options(booted, old, new) == BOOTED + " console=tty0 mitigations=off amd_iommu=off amdgpu.gttsize=126976"


def test_an_argument_dropped_from_kargs_d_is_removed(tmp_path):
    old = image(tmp_path, "old", {"50-gpu.toml": kargs_file("amd_iommu=off", "ttm.pages_limit=31457280")})
    new = image(tmp_path, "new", {"50-gpu.toml": kargs_file("amd_iommu=off")})
    booted = BOOTED + " amd_iommu=off ttm.pages_limit=31457280 quiet"
    assert upgrade_options(booted, old, new) == BOOTED + " amd_iommu=off quiet"


def test_a_changed_value_is_removed_then_appended_at_the_end(tmp_path):
    old = image(tmp_path, "old", {"50-gpu.toml": kargs_file("ttm.pages_limit=1", "amd_iommu=off")})
    new = image(tmp_path, "new", {"50-gpu.toml": kargs_file("ttm.pages_limit=2", "amd_iommu=off")})
    booted = BOOTED + " ttm.pages_limit=1 amd_iommu=off quiet"
    assert upgrade_argv(booted, old, new)[-3:] == ["amd_iommu=off", "quiet", "ttm.pages_limit=2"]


def test_pushpull_upgrade_nu(tmp_path):
    # tmt/tests/booted/test-image-pushpull-upgrade.nu: a derived image adds 05-testkargs.toml with
    # kargsv0, the next one has kargsv1; a karg appended with rpm-ostree kargs survives both.
    base = dict((name, real("contrib", "packaging", "usr-extras", "lib", "bootc", "kargs.d", name))
                for name in ("10-rootfs-rw.toml", "21-console-hvc0.toml"))
    kargsv0 = ["testarg=foo", "othertestkarg", "thirdkarg=bar"]
    kargsv1 = ["testarg=foo", "thirdkarg=baz"]
    quoted_karg = '"thisarg=quoted with spaces"'
    booted = "root=UUID=x rw console=ttyS0,115200n8 console=hvc0 ostree=/ostree/boot.1/default/a/0"
    image0 = image(tmp_path, "base", base)
    image1 = image(tmp_path, "v0", dict(base, **{"05-testkargs.toml": kargs_file(*kargsv0)}))
    image2 = image(tmp_path, "v1", dict(base, **{"05-testkargs.toml": kargs_file(*kargsv1)}))
    first = upgrade_options(booted, image0, image1) + " " + quoted_karg
    assert all(arg in first.split(" ") for arg in kargsv0)
    second = upgrade_argv(first, image1, image2)
    assert all(arg in second for arg in kargsv1)
    assert "othertestkarg" not in second and "thirdkarg=bar" not in second
    assert quoted_karg in " ".join(second)


def test_new_image_without_kargs_d_extends_and_removes_nothing(tmp_path):
    # get_kargs special case: kargs.extend(&existing_kargs)
    old = image(tmp_path, "old", {"50-gpu.toml": kargs_file("amd_iommu=off", "ttm.pages_limit=1")})
    new = image(tmp_path, "new")  # no usr/lib/bootc/kargs.d at all
    assert upgrade_options(BOOTED + " amd_iommu=off", old, new) == BOOTED + " amd_iommu=off ttm.pages_limit=1"


def test_new_image_with_an_empty_kargs_d_removes_every_old_argument_derived(tmp_path):
    old = image(tmp_path, "old", {"50-gpu.toml": kargs_file("amd_iommu=off", "ttm.pages_limit=1")})
    new = image(tmp_path, "new", {})
    assert upgrade_options(BOOTED + " amd_iommu=off ttm.pages_limit=1 quiet", old, new) == BOOTED + " quiet"


def test_a_machine_local_copy_of_a_dropped_argument_goes_too_derived(tmp_path):
    # remove_exact drops every equal argument; kernel-arguments.md: removing locally what kargs.d
    # includes is undefined behaviour, and the other way round the local copy is lost
    old = image(tmp_path, "old", {"50.toml": kargs_file("iommu=pt")})
    new = image(tmp_path, "new", {"50.toml": kargs_file()})
    assert upgrade_options(BOOTED + " iommu=pt iommu_pt", old, new) == BOOTED + " iommu_pt"
    assert upgrade_options(BOOTED + " iommu=pt iommu=pt", old, new) == BOOTED


def test_same_key_other_value_is_a_different_argument(tmp_path):
    old = image(tmp_path, "old", {"21.toml": kargs_file("console=ttyS0,115200n8")})
    new = image(tmp_path, "new", {"21.toml": kargs_file("console=ttyS0,115200n8", "console=hvc0")})
    booted = BOOTED + " console=tty0 console=ttyS0,115200n8"
    assert upgrade_argv(booted, old, new)[-3:] == ["console=tty0", "console=ttyS0,115200n8", "console=hvc0"]


def test_an_added_argument_already_on_the_machine_is_not_doubled(tmp_path):
    old = image(tmp_path, "old")
    new = image(tmp_path, "new", {"50.toml": kargs_file("amd_iommu=off", "pcie_aspm_policy=x")})
    booted = BOOTED + " amd-iommu=off"  # - and _ are the same in a key
    assert upgrade_options(booted, old, new) == BOOTED + " amd-iommu=off pcie_aspm_policy=x"


def test_quoted_and_unquoted_spellings_are_the_same_argument(tmp_path):
    old = image(tmp_path, "old", {"50.toml": kargs_file('x="a b"')})
    new = image(tmp_path, "new", {"50.toml": kargs_file('x="a b"', "y")})
    booted = BOOTED + ' "x=a b"'
    assert upgrade_argv(booted, old, new)[-2:] == ['"x=a b"', "y"]


def test_other_arch_files_in_the_new_image_add_nothing(tmp_path):
    old = image(tmp_path, "old", {})
    new = image(tmp_path, "new", {"00.toml": 'kargs = ["console=ttyAMA0"]\nmatch-architectures = ["aarch64"]\n'})
    assert upgrade_options(BOOTED, old, new) == BOOTED
    assert upgrade_options(BOOTED, old, new, arch="aarch64") == BOOTED + " console=ttyAMA0"


def test_no_booted_options(tmp_path):
    # bootconfig without options: unwrap_or_default() -> empty command line
    new = image(tmp_path, "new", {"10.toml": kargs_file("rw")})
    assert upgrade_options(None, image(tmp_path, "old"), new) == "rw"


@pytest.mark.parametrize("where", ["old", "new"])
def test_a_bad_file_in_either_root_fails_the_upgrade(tmp_path, where):
    bad = {"50.toml": 'kargs = ["a"]\nmatch_architectures = ["x86_64"]\n'}
    old = image(tmp_path, "old", bad if where == "old" else {})
    new = image(tmp_path, "new", bad if where == "new" else {})
    with pytest.raises(KargsError, match="match_architectures"):
        upgrade_argv(BOOTED, old, new)


# --- bootc's own kargs.d files ------------------------------------------------------------------

def kargs_of_folder(tmp_path, folder):
    """``kargs_in_root`` of an image whose kargs.d holds the files of ``folder`` (as bootc's scripts install them)."""
    files = {}
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), "r", encoding="utf-8", newline="") as handle:
            files[name] = handle.read()
    return kargs_in_root(image(tmp_path, os.path.basename(folder), files))


def test_hack_test_kargs_as_container_inspect_reports_them(tmp_path):
    # crates/tests-integration/src/container.rs test_bootc_container_inspect: bootc's dev images
    # get hack/test-kargs/* in kargs.d (hack/provision-configure.sh) and inspect lists these
    assert kargs_of_folder(tmp_path, os.path.join(REAL, "hack", "test-kargs")) == [
        "kargsd-test=1", "kargsd-othertest=2", "testing-kargsd=3"]


def test_contrib_packaging_kargs(tmp_path):
    assert kargs_of_folder(tmp_path, CONTRIB_KARGS_D) == ["rw", "console=ttyS0,115200n8", "console=hvc0"]


def test_bootc_ci_image_kargs_d_collapses_the_serial_console(tmp_path):
    # bootc's Dockerfile installs contrib's files, provision-configure.sh adds 20-console.toml and
    # inject-baseconfig 50-var-volatile.toml: 21-console-hvc0's first argument is already there
    files = {
        "10-rootfs-rw.toml": real("contrib", "packaging", "usr-extras", "lib", "bootc", "kargs.d", "10-rootfs-rw.toml"),
        "21-console-hvc0.toml": real("contrib", "packaging", "usr-extras", "lib", "bootc", "kargs.d",
                                     "21-console-hvc0.toml"),
        "20-console.toml": real("scripts", "provision-configure", "20-console.toml"),
        "50-var-volatile.toml": real("scripts", "inject-baseconfig", "50-var-volatile.toml"),
    }
    assert kargs_in_root(image(tmp_path, "ci", files)) == [
        "rw", "console=ttyS0,115200n8", "console=hvc0", "systemd.volatile=state"]


def test_an_install_config_is_not_a_kargs_d_file():
    # hack/install-test-configs/50-test-kargs.toml belongs in /usr/lib/bootc/install: [install] is unknown here
    with pytest.raises(KargsError, match="unknown field `install`"):
        parse_kargs_toml(real("hack", "install-test-configs", "50-test-kargs.toml"))


def test_every_real_file_is_in_the_provenance():
    provenance = real("PROVENANCE.md")
    for folder, dirs, files in os.walk(REAL):
        for name in files:
            relative = os.path.relpath(os.path.join(folder, name), REAL)
            if relative != "PROVENANCE.md":
                assert "`%s`" % relative in provenance, relative


# --- the bootc_image overlay --------------------------------------------------------------------

def overlay_config():
    with open(os.path.join(OVERLAY, "simulation.json"), "r", encoding="utf-8") as handle:
        return json.load(handle)


def test_overlay_kargs_d_holds_bootcs_contrib_files():
    folder = os.path.join(OVERLAY, "root", bootc_kargs.KARGS_PATH)
    assert sorted(os.listdir(folder)) == sorted(os.listdir(CONTRIB_KARGS_D))
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), "rb") as mine, open(os.path.join(CONTRIB_KARGS_D, name), "rb") as theirs:
            assert mine.read() == theirs.read()
    assert kargs_in_root(os.path.join(OVERLAY, "root")) == ["rw", "console=ttyS0,115200n8", "console=hvc0"]


def test_overlay_removes_only_what_its_base_has():
    config = overlay_config()
    base = os.path.join(FIXTURES, "hosts", config["base"])
    with open(os.path.join(base, "simulation.json"), "r", encoding="utf-8") as handle:
        base_tools = json.load(handle)["tools"]
    tools = set("%s/%s" % (folder.rstrip("/"), name) for name, folder in base_tools.items())
    for path in config["remove"]:
        assert os.path.isfile(os.path.join(base, "root", path.lstrip("/"))) or path in tools, path


def test_bootc_image_host(tmp_path):
    from tests.simulation.bootloader_hosts import make_bootloader_host
    root = make_bootloader_host("bootc_image", str(tmp_path / "image"))
    assert not os.path.lexists(os.path.join(root, "run/ostree-booted"))  # a container build, not a booted ostree
    bootc = os.path.join(root, "usr/bin/bootc")
    assert stat.S_ISREG(os.lstat(bootc).st_mode) and not os.stat(bootc).st_mode & 0o111
    for gone in ("etc/default/grub", "etc/kernel/cmdline", "usr/bin/grubby"):
        assert not os.path.lexists(os.path.join(root, gone)), gone
    entries = os.path.join(root, "boot/loader/entries")
    assert not os.path.isdir(entries) or os.listdir(entries) == []
    assert kargs_in_root(root) == ["rw", "console=ttyS0,115200n8", "console=hvc0"]


def test_a_non_utf8_file_name_fails_the_booted_root_and_is_skipped_in_the_new_image(tmp_path):
    # get_kargs_in_root lists through cap_std fs_utf8 (file_name()? fails, filter or not);
    # get_kargs_from_ostree skips a name that is not a str
    bad_name = os.fsdecode(b"50-\xff.toml")
    old = image(tmp_path, "old", {"10.toml": kargs_file("a")})
    with open(os.path.join(old, bootc_kargs.KARGS_PATH, bad_name), "w") as handle:
        handle.write(kargs_file("never"))
    with pytest.raises(KargsError, match="not UTF-8"):
        kargs_in_root(old)
    new = image(tmp_path, "new", {"10.toml": kargs_file("a")})
    with open(os.path.join(new, bootc_kargs.KARGS_PATH, bad_name), "w") as handle:
        handle.write(kargs_file("never"))
    assert upgrade_argv("", image(tmp_path, "empty"), new) == ["a"]


def test_toml_1_1_additions_are_refused_here_though_bootc_reads_them():
    # the documented divergence: bootc's toml crate is 1.1.4+spec-1.1.0, tomllib reads TOML 1.0
    with pytest.raises(KargsError, match="invalid TOML"):
        parse_kargs_toml('kargs = ["\\x41"]\n')
