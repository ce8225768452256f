"""Sanity, unit tests and ansible-lint on every ansible-core x Python pair of tests/matrix/matrix.yml.

Each pair gets its own virtual environment outside the checkout
($INFEROPS_MATRIX_CACHE, default /var/cache/inferops-matrix/<core>-py<python>),
installed from the pinned tests/matrix/requirements-ansible-core-<core>.txt and
rebuilt only when that file or the interpreter changes.  In it:

* ``sanity``: tests/tools/run_sanity.py (ansible-test sanity --python <python>)
  on a copy of the collection in .build/matrix/<pair>/, without the tests a core's
  ``sanity_skip`` names (each with its reason, printed);
* ``unit``: pytest tests/unit;
* ``lint``: ansible-lint --profile production, once per ansible-core in a run
  (with --ci, not for the core of the Python running this script: `make lint`
  lints with that one);

With --ci, the pair of the Python running this script (.venv's, ansible-core and
Python alike) skips ``unit``: `make unit` runs the same tests there.  The cores
under ``prerelease:`` (release candidates) are tested only with --prerelease.

Before testing a pair it checks the matrix against the pair's own ansible-test:
the Python must be one of its CONTROLLER_PYTHON_VERSIONS, and every supported
Python of the candidates must be in the matrix.  Every step prints its cost.

Usage: python tests/matrix/matrix.py [--ci | --prerelease | --pairs 2.19-py3.11 ...] [--steps lint,sanity,unit] [--list]
"""

import argparse
import fcntl
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MATRIX_FILE = os.path.join(HERE, "matrix.yml")
DEFAULT_CACHE = "/var/cache/inferops-matrix"
STAMP = ".inferops-matrix.json"
STEPS = ("lint", "sanity", "unit")
PAIR_NAME = re.compile(r"^(\d+\.\d+)-py(\d+\.\d+)$")

# ansible-test's own list, read inside the pair's venv (the source of truth per core).
CONTROLLER_PYTHONS_PROBE = (
    "import json, ansible.release as r\n"
    "from ansible_test._util.target.common.constants import CONTROLLER_PYTHON_VERSIONS as c\n"
    "print(json.dumps({'core': r.__version__, 'controller': list(c)}))\n"
)


class Pair:
    def __init__(self, core, python, requirements, sanity_skip=None):
        self.core = core
        self.python = python
        self.requirements = requirements
        # ansible-test sanity tests left out on this core, each with the reason matrix.yml gives
        self.sanity_skip = dict(sanity_skip or {})

    @property
    def name(self):
        return "%s-py%s" % (self.core, self.python)


def load_matrix(path=MATRIX_FILE, section="ansible_core"):
    """The matrix and its pairs of ``section``: ansible_core (released cores) or prerelease."""
    with open(path, "r", encoding="utf-8") as handle:
        matrix = yaml.safe_load(handle)
    pairs = [Pair(core, python, os.path.join(HERE, entry["requirements"]), entry.get("sanity_skip"))
             for core, entry in (matrix.get(section) or {}).items() for python in entry["pythons"]]
    for pair in pairs:
        unexplained = [test for test, reason in pair.sanity_skip.items() if not str(reason or "").strip()]
        if unexplained:
            raise SystemExit("%s: sanity_skip of %s in %s needs the reason as the value, e.g. {%s: why}"
                             % (pair.name, ", ".join(unexplained), path, unexplained[0]))
    return matrix, pairs


def select_pairs(pairs, names):
    by_name = dict((pair.name, pair) for pair in pairs)
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise SystemExit("unknown matrix pair(s) %s; known: %s" % (", ".join(unknown), ", ".join(by_name)))
    return [by_name[name] for name in names]


def find_interpreter(version):
    """The newest pyenv build of ``version`` (3.12 -> .../versions/3.12.1/bin/python3.12), else python3.12 on PATH."""
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates = glob.glob(os.path.join(root, "versions", version + ".*", "bin", "python" + version))
    candidates = [path for path in candidates if re.search(r"/%s\.\d+/bin/" % re.escape(version), path)]
    if candidates:
        return max(candidates, key=lambda path: [int(part) for part in path.split("/")[-3].split(".")])
    on_path = shutil.which("python" + version)
    if on_path:
        return on_path
    raise SystemExit("no Python %s: looked for %s/versions/%s.*/bin/python%s and python%s on PATH"
                     % (version, root, version, version, version))


def venv_stamp(requirements, interpreter):
    with open(requirements, "rb") as handle:
        pins = hashlib.sha256(handle.read()).hexdigest()
    return {"requirements_sha256": pins, "interpreter": os.path.realpath(interpreter)}


def cached_venv(path, python, requirements, stamp=STAMP):
    """A venv at `path` on pyenv's Python `python` from `requirements`, built only when its pins or its interpreter
    changed (the file `stamp` in it records them); returns (path, built). `path`.lock serialises builders."""
    interpreter = find_interpreter(python)
    stamp_path = os.path.join(path, stamp)
    wanted = venv_stamp(requirements, interpreter)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(stamp_path, "r", encoding="utf-8") as handle:
                if json.load(handle) == wanted:
                    return path, False
        except (OSError, ValueError):
            pass
        # The stamp is written last, so a half-built venv is never taken for a good one.
        shutil.rmtree(path, ignore_errors=True)
        run([interpreter, "-m", "venv", path])
        pip = [os.path.join(path, "bin", "python"), "-m", "pip", "--disable-pip-version-check", "--quiet"]
        run(pip + ["install", "-r", requirements])
        run(pip + ["check"])
        with open(stamp_path, "w", encoding="utf-8") as handle:
            json.dump(wanted, handle, indent=2, sort_keys=True)
        return path, True


def ensure_venv(pair, cache):
    """The pair's venv in `cache`, built only when its pins or its interpreter changed; returns (path, built)."""
    return cached_venv(os.path.join(cache, pair.name), pair.python, pair.requirements)


def run(command, env=None, cwd=REPO):
    print("+ %s" % " ".join(command), flush=True)
    return subprocess.run(command, cwd=cwd, env=env, check=True)


def venv_env(venv):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               PATH=os.path.join(venv, "bin") + os.pathsep + os.environ.get("PATH", ""), VIRTUAL_ENV=venv)
    env.pop("PYTHONHOME", None)
    return env


def check_support(pair, venv, matrix):
    """Fail unless the matrix lists exactly the candidate Pythons this core's ansible-test supports."""
    probe = subprocess.run([os.path.join(venv, "bin", "python"), "-c", CONTROLLER_PYTHONS_PROBE],
                           check=True, capture_output=True, text=True)
    found = json.loads(probe.stdout)
    if not found["core"].startswith(pair.core + "."):
        raise SystemExit("%s: the venv has ansible-core %s (check %s)" % (pair.name, found["core"], pair.requirements))
    supported = [python for python in matrix["pythons"] if python in found["controller"]]
    listed = dict(matrix.get("prerelease") or {}, **matrix["ansible_core"])[pair.core]["pythons"]
    if pair.python not in found["controller"] or sorted(listed) != sorted(supported):
        raise SystemExit("%s: ansible-test %s supports controller Pythons %s; of %s the matrix must list %s, it lists %s"
                         % (pair.name, found["core"], ", ".join(found["controller"]), ", ".join(matrix["pythons"]),
                            supported, listed))
    return found["core"]


def step_command(step, pair, venv):
    python = os.path.join(venv, "bin", "python")
    if step == "lint":
        return [os.path.join(venv, "bin", "ansible-lint"), "--profile", "production", "--offline"]
    if step == "sanity":
        dest = os.path.join(REPO, ".build", "matrix", pair.name, "ansible_collections", "inferops", "amd")
        skips = [word for test in sorted(pair.sanity_skip) for word in ("--skip-test", test)]
        return [python, os.path.join(REPO, "tests", "tools", "run_sanity.py"), dest] + skips
    return [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "auto", "tests/unit"]


def run_pair(pair, steps, matrix, cache, linted_cores, results, unit_done=()):
    started = time.time()
    venv, built = ensure_venv(pair, cache)
    core = check_support(pair, venv, matrix)
    results.append((pair.name, "venv (built)" if built else "venv (cached)", True, time.time() - started))
    print("matrix: %s: ansible-core %s, venv %s (%s)" % (pair.name, core, venv, "built" if built else "cached"), flush=True)
    for step in steps:
        if step == "lint":
            # ansible-lint's verdict depends on the core, not on the Python running it.
            if pair.core in linted_cores:
                continue
            linted_cores.add(pair.core)
        if step == "unit" and pair.name in unit_done:
            print("matrix: %s unit: skipped, `make unit` runs it in .venv" % pair.name, flush=True)
            continue
        if step == "sanity":
            for test, reason in sorted(pair.sanity_skip.items()):
                print("matrix: %s sanity: without %s: %s" % (pair.name, test, reason), flush=True)
        began = time.time()
        command = step_command(step, pair, venv)
        print("+ %s" % " ".join(command), flush=True)
        passed = subprocess.run(command, cwd=REPO, env=venv_env(venv), check=False).returncode == 0
        results.append((pair.name, step, passed, time.time() - began))
        print("matrix: %s %s: %s in %.0f s" % (pair.name, step, "passed" if passed else "FAILED", time.time() - began),
              flush=True)


def print_summary(results, total):
    print("\nmatrix: cost per pair and step in seconds")
    for name, step, passed, seconds in results:
        print("  %-14s %-14s %-7s %7.0f" % (name, step, "ok" if passed else "FAILED", seconds))
    print("  %-14s %-14s %-7s %7.0f" % ("total", "", "", total))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ci", action="store_true", help="only the pairs listed under ci: in matrix.yml")
    parser.add_argument("--prerelease", action="store_true", help="the release candidates under prerelease: in matrix.yml")
    parser.add_argument("--pairs", nargs="+", metavar="CORE-pyPYTHON", help="only these pairs (e.g. 2.20-py3.12)")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated subset of %s" % ",".join(STEPS))
    parser.add_argument("--list", action="store_true", help="print the pairs and exit")
    args = parser.parse_args(argv)
    if args.prerelease and (args.ci or args.pairs):
        parser.error("--prerelease takes no --ci or --pairs")
    matrix, pairs = load_matrix(section="prerelease" if args.prerelease else "ansible_core")
    if args.prerelease and not pairs:
        parser.error("matrix.yml lists no prerelease core")
    if args.ci:
        pairs = select_pairs(pairs, matrix["ci"])
    elif args.pairs:
        pairs = select_pairs(pairs, args.pairs)
    if args.list:
        print("\n".join(pair.name for pair in pairs))
        return 0
    steps = [step for step in args.steps.split(",") if step]
    if not steps or any(step not in STEPS for step in steps):
        parser.error("--steps takes a comma-separated subset of %s" % ",".join(STEPS))
    cache = os.environ.get("INFEROPS_MATRIX_CACHE", DEFAULT_CACHE)
    started = time.time()
    results = []
    linted_cores = set()
    unit_done = ()
    if args.ci:
        # In CI `make lint` has run ansible-lint with the core of .venv, the one running this script,
        # and `make unit` the unit tests on .venv's pair.
        from ansible.release import __version__ as own_core
        own = ".".join(own_core.split(".")[:2])
        linted_cores.add(own)
        unit_done = ("%s-py%d.%d" % ((own,) + tuple(sys.version_info[:2])),)
    try:
        for pair in pairs:
            run_pair(pair, steps, matrix, cache, linted_cores, results, unit_done)
    finally:
        print_summary(results, time.time() - started)
    failed = [(result[0], result[1]) for result in results if not result[2]]
    if failed:
        print("matrix: FAILED: %s" % ", ".join("%s %s" % item for item in failed))
        return 1
    print("matrix: passed (%s)" % ", ".join(pair.name for pair in pairs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
