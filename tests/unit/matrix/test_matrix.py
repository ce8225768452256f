"""tests/matrix/matrix.py: the matrix file, its pins, the claim in meta/runtime.yml, venv reuse."""

import json
import os

import pytest
import yaml

from tests.matrix import matrix

REPO = matrix.REPO


def version_key(text):
    return [int(part) for part in text.split(".")]


def test_every_core_pins_its_own_ansible_core():
    pairs = matrix.load_matrix()[1]
    for pair in pairs:
        with open(pair.requirements, "r", encoding="utf-8") as handle:
            pins = [line.strip() for line in handle if line.startswith("ansible-core==")]
        assert len(pins) == 1 and pins[0].startswith("ansible-core==%s." % pair.core), (pair.name, pins)


def test_release_candidates_stay_apart_from_the_released_cores():
    spec, candidates = matrix.load_matrix(section="prerelease")
    released = matrix.load_matrix()[1]
    for pair in candidates:
        assert pair.core not in spec["ansible_core"], pair.name
        with open(pair.requirements, "r", encoding="utf-8") as handle:
            pins = [line.strip() for line in handle if line.startswith("ansible-core==")]
        assert len(pins) == 1 and pins[0].startswith("ansible-core==%s." % pair.core), (pair.name, pins)
    assert not set(spec["ci"]) & set(pair.name for pair in candidates)
    assert set(spec["ci"]) <= set(pair.name for pair in released)


def test_ci_skips_only_the_unit_step_of_the_pair_make_unit_runs(monkeypatch):
    spec, pairs = matrix.load_matrix()
    oldest, newest = matrix.select_pairs(pairs, spec["ci"])
    monkeypatch.setattr(matrix, "ensure_venv", lambda pair, cache: ("/venv/" + pair.name, False))
    monkeypatch.setattr(matrix, "check_support", lambda pair, venv, spec: pair.core + ".0")
    ran = []

    class Done:
        returncode = 0

    def fake_run(command, **_kwargs):
        ran.append(command)
        return Done()
    monkeypatch.setattr(matrix.subprocess, "run", fake_run)
    results = []
    for pair in (oldest, newest):
        matrix.run_pair(pair, ["sanity", "unit"], spec, "/cache", set(), results, unit_done=(newest.name,))
    assert [(name, step) for name, step, _passed, _seconds in results] == [
        (oldest.name, "venv (cached)"), (oldest.name, "sanity"), (oldest.name, "unit"),
        (newest.name, "venv (cached)"), (newest.name, "sanity")]
    assert [command[-1] for command in ran if "pytest" in command] == ["tests/unit"]


def test_ci_runs_the_oldest_and_the_newest_pair():
    spec, pairs = matrix.load_matrix()
    ordered = sorted(pairs, key=lambda pair: (version_key(pair.core), version_key(pair.python)))
    assert spec["ci"] == [ordered[0].name, ordered[-1].name]


def test_requires_ansible_starts_at_the_oldest_tested_core():
    spec = matrix.load_matrix()[0]
    oldest = min(spec["ansible_core"], key=version_key)
    with open(os.path.join(REPO, "meta", "runtime.yml"), "r", encoding="utf-8") as handle:
        assert yaml.safe_load(handle)["requires_ansible"] == ">=%s.0" % oldest


def test_unknown_pair_is_refused_with_the_known_ones():
    pairs = matrix.load_matrix()[1]
    with pytest.raises(SystemExit, match="unknown matrix pair.*2.16-py3.11.*known: 2.19-py3.11"):
        matrix.select_pairs(pairs, ["2.16-py3.11"])


def test_interpreter_is_the_newest_pyenv_build_of_the_version(tmp_path, monkeypatch):
    for build in ("3.12.1", "3.12.10", "3.12.9", "3.13.0"):
        folder = tmp_path / "versions" / build / "bin"
        folder.mkdir(parents=True)
        (folder / ("python" + build.rsplit(".", 1)[0])).write_text("")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    assert matrix.find_interpreter("3.12") == str(tmp_path / "versions" / "3.12.10" / "bin" / "python3.12")


def test_missing_interpreter_is_a_clear_failure(tmp_path, monkeypatch):
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SystemExit, match="no Python 3.99"):
        matrix.find_interpreter("3.99")


def test_venv_is_reused_while_pins_and_interpreter_are_unchanged(tmp_path, monkeypatch):
    interpreter = tmp_path / "versions" / "3.12.1" / "bin" / "python3.12"
    interpreter.parent.mkdir(parents=True)
    interpreter.write_text("")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    pins = tmp_path / "pins.txt"
    pins.write_text("ansible-core==2.18.19\n")
    pair = matrix.Pair("2.18", "3.12", str(pins))
    venv = tmp_path / "cache" / pair.name
    venv.mkdir(parents=True)
    (venv / matrix.STAMP).write_text(json.dumps(matrix.venv_stamp(pair.requirements, str(interpreter))))
    ran = []

    def fake_run(command, **_kwargs):
        ran.append(command)
        if command[1:3] == ["-m", "venv"]:
            os.makedirs(command[3])
    monkeypatch.setattr(matrix, "run", fake_run)
    assert matrix.ensure_venv(pair, str(tmp_path / "cache")) == (str(venv), False)
    assert ran == []
    pins.write_text("ansible-core==2.18.20\n")
    assert matrix.ensure_venv(pair, str(tmp_path / "cache")) == (str(venv), True)
    assert ran[0] == [str(interpreter), "-m", "venv", str(venv)]
    assert ["install", "-r", str(pins)] == ran[1][-3:]


def test_a_skipped_sanity_test_is_passed_to_ansible_test_and_needs_a_reason(tmp_path):
    spec = tmp_path / "matrix.yml"
    spec.write_text('pythons: ["3.13"]\nansible_core:\n  "2.21":\n    requirements: r.txt\n    pythons: ["3.13"]\n'
                    '    sanity_skip: {pylint: "its requirements are out of reach"}\n')
    pair = matrix.load_matrix(str(spec))[1][0]
    command = matrix.step_command("sanity", pair, "/venv")
    assert command[-2:] == ["--skip-test", "pylint"]
    assert pair.sanity_skip == {"pylint": "its requirements are out of reach"}
    spec.write_text(spec.read_text().replace('"its requirements are out of reach"', '""'))
    with pytest.raises(SystemExit, match="sanity_skip of pylint .* needs the reason"):
        matrix.load_matrix(str(spec))


def test_the_released_cores_skip_no_sanity_test():
    assert all(not pair.sanity_skip for pair in matrix.load_matrix()[1])
