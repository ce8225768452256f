"""config_file: folder and file in one run, atomically, idempotent, check and diff mode."""

import os
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
