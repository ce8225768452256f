"""config_file: folder and file in one run, atomically, idempotent, check and diff mode."""

import grp
import os
import pwd
import stat

import pytest

from tests.unit.module_runner import run_module

PATH = "/etc/sysctl.d/90-inferops-llm.conf"
CONTENT = "vm.swappiness = 10\n"


def write(root, content=CONTENT, **extra):
    return run_module("config_file", dict(dict(sysroot=str(root), path=PATH, content=content), **extra),
                      diff=True)


def real(root):
    return os.path.join(str(root), PATH.lstrip("/"))


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_creates_the_folder_and_the_file_then_changes_nothing(tmp_path):
    first = write(tmp_path)
    assert first["changed"] and first["folder_created"] and first["content_changed"]
    with open(real(tmp_path)) as handle:
        assert handle.read() == CONTENT
    assert mode_of(real(tmp_path)) == 0o644 and mode_of(os.path.dirname(real(tmp_path))) == 0o755
    again = write(tmp_path)
    assert not again["changed"] and not again["folder_created"] and not again["content_changed"]
    assert again["diff"] == {}


def test_check_mode_predicts_without_writing(tmp_path):
    result = run_module("config_file", dict(sysroot=str(tmp_path), path=PATH, content=CONTENT), check_mode=True, diff=True)
    assert result["changed"] and result["diff"]["before"] == "" and result["diff"]["after"] == CONTENT
    assert not os.path.exists(os.path.dirname(real(tmp_path)))


def test_new_content_replaces_the_file_and_leaves_no_temporary_file(tmp_path):
    write(tmp_path)
    result = write(tmp_path, content="vm.swappiness = 1\n")
    assert result["changed"] and result["content_changed"] and not result["folder_created"]
    assert result["diff"]["before"] == CONTENT and result["diff"]["after"] == "vm.swappiness = 1\n"
    assert os.listdir(os.path.dirname(real(tmp_path))) == ["90-inferops-llm.conf"]


def test_a_mode_that_differs_is_a_change_of_its_own(tmp_path):
    write(tmp_path)
    result = write(tmp_path, mode="0600")
    assert result["changed"] and not result["content_changed"]
    assert mode_of(real(tmp_path)) == 0o600
    assert not write(tmp_path, mode="0600")["changed"]


def test_check_mode_sees_a_mode_change_and_leaves_the_mode(tmp_path):
    write(tmp_path)
    result = run_module("config_file", dict(sysroot=str(tmp_path), path=PATH, content=CONTENT, mode="0600"), check_mode=True)
    assert result["changed"] and mode_of(real(tmp_path)) == 0o644


def test_a_folder_in_the_way_is_refused_by_name(tmp_path):
    os.makedirs(real(tmp_path))
    failed = run_module("config_file", dict(sysroot=str(tmp_path), path=PATH, content=CONTENT), expect_failure=True)
    assert PATH in failed["msg"] and "not a regular file" in failed["msg"]


def test_a_path_outside_the_root_is_refused(tmp_path):
    failed = run_module("config_file", dict(sysroot=str(tmp_path), path="/../../etc/passwd", content="x"),
                        expect_failure=True)
    assert "escapes sysroot" in failed["msg"]


RADV = "/etc/environment.d/90-inferops-radv.conf"


def write_both(root, check_mode=False, **extra):
    files = [{"path": PATH, "content": CONTENT}, {"path": RADV, "content": "RADV_PERFTEST=nogttspill\n"}]
    return run_module("config_file", dict(dict(sysroot=str(root), files=files), **extra), check_mode=check_mode,
                      diff=True)


def test_files_writes_each_file_in_one_run_and_says_which_changed(tmp_path):
    first = write_both(tmp_path)
    assert first["changed"] and [item["changed"] for item in first["files"]] == [True, True]
    assert [item["path"] for item in first["files"]] == [PATH, RADV]
    assert [diff["before_header"] for diff in first["diff"]] == [PATH, RADV]
    with open(os.path.join(str(tmp_path), RADV.lstrip("/"))) as handle:
        assert handle.read() == "RADV_PERFTEST=nogttspill\n"
    with open(real(tmp_path), "w") as handle:
        handle.write("vm.swappiness = 60\n")
    again = write_both(tmp_path)
    assert again["changed"] and [item["changed"] for item in again["files"]] == [True, False]
    assert [diff["before"] for diff in again["diff"]] == ["vm.swappiness = 60\n"]
    third = write_both(tmp_path)
    assert not third["changed"] and third["diff"] == []


def test_files_check_mode_writes_none_of_them(tmp_path):
    result = write_both(tmp_path, check_mode=True)
    assert result["changed"] and all(item["content_changed"] for item in result["files"])
    assert os.listdir(str(tmp_path)) == []


def test_files_refuses_a_bad_path_before_writing_any_file(tmp_path):
    os.makedirs(os.path.join(str(tmp_path), RADV.lstrip("/")))
    failed = run_module("config_file", dict(sysroot=str(tmp_path), files=[
        {"path": PATH, "content": CONTENT}, {"path": RADV, "content": "x\n"}]), expect_failure=True)
    assert RADV in failed["msg"] and "not a regular file" in failed["msg"]
    assert not os.path.exists(real(tmp_path))


@pytest.mark.parametrize("again", [PATH, "/etc//" + PATH.split("/etc/", 1)[1], PATH.replace("/etc/", "/etc/./")])
def test_files_refuses_the_same_file_twice_before_writing_any(tmp_path, again):
    failed = run_module("config_file", dict(sysroot=str(tmp_path), files=[
        {"path": RADV, "content": "x\n"}, {"path": PATH, "content": CONTENT}, {"path": again, "content": "y\n"}]),
        expect_failure=True)
    assert "the same file twice" in failed["msg"] and again in failed["msg"]
    assert not os.path.exists(real(tmp_path)) and not os.path.exists(os.path.join(str(tmp_path), RADV.lstrip("/")))


def test_files_and_path_together_are_refused(tmp_path):
    failed = run_module("config_file", dict(sysroot=str(tmp_path), path=PATH, content=CONTENT,
                                            files=[{"path": RADV, "content": "x\n"}]), expect_failure=True)
    assert "mutually exclusive" in failed["msg"]


# -- a tree is data: links resolve inside it, as in a chroot (issue 24) ------------------------------------------
def _outside(tmp_path, mode=0o644):
    """A file outside the tree that an absolute link in the tree names by its controller path."""
    folder = tmp_path / "outside"
    folder.mkdir()
    target = folder / "target.conf"
    target.write_text("outside\n")
    os.chmod(str(target), mode)
    return str(target)


@pytest.fixture
def touched(monkeypatch):
    """Every path os.chmod, os.chown, os.lchown and os.rename are given while the module runs in-process."""
    calls = []
    for name in ("chmod", "chown", "lchown", "rename"):
        original = getattr(os, name)

        def record(*args, _original=original, _name=name, **kwargs):
            calls.append((_name, str(args[0])) + ((str(args[1]),) if _name == "rename" else ()))
            return _original(*args, **kwargs)
        monkeypatch.setattr(os, name, record)
    return calls


@pytest.mark.parametrize("link", ["absolute", "dotdot"])
def test_a_link_in_the_tree_leads_inside_the_tree_never_out_of_it(tmp_path, touched, link):
    outside = _outside(tmp_path)
    tree = tmp_path / "tree"
    os.makedirs(os.path.dirname(real(tree)))
    # "/<tmp>/outside/target.conf", or enough ".." to climb out of the tree and back down to it.
    target = outside if link == "absolute" else "../" * 12 + outside.lstrip("/")
    os.symlink(target, real(tree))
    del touched[:]  # the set-up above made the outside file; from here on only the module acts
    result = run_module("config_file", dict(sysroot=str(tree), path=PATH, content=CONTENT, mode="0600"), diff=True)
    assert result["changed"] and result["content_changed"] and result["diff"]["before"] == ""
    with open(outside) as handle:
        assert handle.read() == "outside\n"
    assert mode_of(outside) == 0o644
    assert not [call for call in touched if any(path.startswith(os.path.dirname(outside) + os.sep)
                                                for path in call[1:])], "nothing outside the tree is touched"
    inside = os.path.join(str(tree), outside.lstrip("/"))
    assert os.path.islink(real(tree)) and os.readlink(real(tree)) == target, "the link stays a link"
    with open(inside) as handle:
        assert handle.read() == CONTENT
    assert mode_of(inside) == 0o600
    again = run_module("config_file", dict(sysroot=str(tree), path=PATH, content=CONTENT, mode="0600"))
    assert not again["changed"]


def test_a_linked_folder_in_the_tree_leads_inside_the_tree(tmp_path, touched):
    outside_folder = os.path.dirname(_outside(tmp_path))
    tree = tmp_path / "tree"
    os.makedirs(os.path.join(str(tree), "etc"))
    os.symlink(outside_folder, os.path.join(str(tree), "etc/sysctl.d"))
    del touched[:]
    result = run_module("config_file", dict(sysroot=str(tree), path=PATH, content=CONTENT, mode="0640"))
    assert result["changed"]
    assert not os.path.exists(os.path.join(outside_folder, os.path.basename(PATH)))
    assert not [call for call in touched if any(path.startswith(outside_folder + os.sep) for path in call[1:])]
    inside = os.path.join(str(tree), outside_folder.lstrip("/"), os.path.basename(PATH))
    assert mode_of(inside) == 0o640


def test_two_names_of_one_file_are_the_same_file_twice(tmp_path):
    write(tmp_path)
    os.symlink("/" + PATH.lstrip("/"), os.path.join(str(tmp_path), "etc/sysctl.d/91-alias.conf"))
    failed = run_module("config_file", dict(sysroot=str(tmp_path), files=[
        {"path": PATH, "content": "a\n"}, {"path": "/etc/sysctl.d/91-alias.conf", "content": "b\n"}]),
        expect_failure=True)
    assert "the same file twice" in failed["msg"]
    with open(real(tmp_path)) as handle:
        assert handle.read() == CONTENT


# -- owner, group and mode are checked before the first write ---------------------------------------------------
@pytest.mark.parametrize("option, value, expected", [
    ("owner", "no-such-user-inferops", "owner 'no-such-user-inferops' is neither a user name on this machine"),
    ("group", "no-such-group-inferops", "group 'no-such-group-inferops' is neither a group name on this machine"),
    ("mode", "0999", "mode '0999' is neither octal"),
    ("mode", "u=banana", "mode 'u=banana' is neither octal"),
    ("mode", "077777", "mode '077777' has more than permission bits"),
])
def test_a_bad_owner_group_or_mode_is_refused_before_anything_is_written(tmp_path, option, value, expected):
    failed = run_module("config_file", dict(sysroot=str(tmp_path), files=[
        {"path": RADV, "content": "x\n"}, {"path": PATH, "content": CONTENT}], **{option: value}),
        expect_failure=True)
    assert failed["msg"].startswith(expected) and "nothing was written" in failed["msg"]
    assert os.listdir(str(tmp_path)) == []


def test_a_bad_owner_leaves_an_existing_file_as_it_was(tmp_path):
    write(tmp_path)
    failed = run_module("config_file", dict(sysroot=str(tmp_path), path=PATH, content="vm.swappiness = 1\n",
                                            owner="no-such-user-inferops"), expect_failure=True)
    assert "no-such-user-inferops" in failed["msg"]
    with open(real(tmp_path)) as handle:
        assert handle.read() == CONTENT


def test_a_known_owner_and_group_by_name_or_number_are_accepted(tmp_path):
    me, my_group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    assert write(tmp_path, owner=me, group=my_group)["changed"]
    assert not write(tmp_path, owner=str(os.getuid()), group=str(os.getgid()))["changed"]


# -- a new file has its final mode from the start ---------------------------------------------------------------
@pytest.fixture
def renamed_modes(monkeypatch):
    """The mode each temporary file has at the moment it is renamed over the target."""
    seen = []
    original = os.rename

    def rename(source, target):
        if os.path.basename(target) == os.path.basename(PATH):
            seen.append(mode_of(source))
        return original(source, target)
    monkeypatch.setattr(os, "rename", rename)
    return seen


@pytest.mark.parametrize("mode, expected", [("0600", 0o600), ("u=rw,go=", 0o600), (0o640, 0o640), ("g+w", 0o664)])
def test_a_new_file_is_never_wider_than_its_mode(tmp_path, monkeypatch, renamed_modes, mode, expected):
    chmods = []
    original = os.chmod
    monkeypatch.setattr(os, "chmod", lambda path, *args, **kw: (chmods.append(str(path)), original(path, *args, **kw)))
    result = write(tmp_path, mode=mode)
    assert result["changed"] and renamed_modes == [expected], "the temporary file has the final mode before the rename"
    assert mode_of(real(tmp_path)) == expected
    assert real(tmp_path) not in chmods, "no chmod of the file after the rename"


def test_a_rewritten_file_gets_its_new_mode_with_the_new_content(tmp_path, renamed_modes):
    write(tmp_path)
    result = write(tmp_path, content="vm.swappiness = 1\n", mode="0600")
    assert result["changed"] and renamed_modes == [0o644, 0o600] and mode_of(real(tmp_path)) == 0o600


def test_a_crlf_file_is_not_the_same_as_lf_content(tmp_path):
    os.makedirs(os.path.dirname(real(tmp_path)))
    with open(real(tmp_path), "wb") as handle:
        handle.write(CONTENT.replace("\n", "\r\n").encode())
    result = write(tmp_path)
    assert result["changed"] and result["content_changed"]
    with open(real(tmp_path), "rb") as handle:
        assert handle.read() == CONTENT.encode()
