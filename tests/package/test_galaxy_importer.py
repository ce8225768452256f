"""galaxy-importer, what Galaxy and Automation Hub run on an upload, passes the tarball with nothing to say.

The tarball is built from the checkout with .venv's ansible-galaxy and imported
with ``python -m galaxy_importer.main <tarball>`` in galaxy-importer's own venv
(tests/package/requirements-galaxy-importer.txt, Python 3.13; cached under
$INFEROPS_GALAXY_IMPORTER_CACHE, default /var/cache/inferops-galaxy-importer,
rebuilt only when that file or the interpreter changes).  The import must log no
WARNING, ERROR or CRITICAL line, print nothing on stderr, exit 0, and find the
docs of every documented plugin.  The test prints its cost (venv cached or built,
import seconds).

What this relies on, from galaxy-importer's source
(https://github.com/ansible/galaxy-importer, read at commit e1cfc3d9c735, after
v0.4.40; the 0.4.44 wheel pinned here has the same config.py, constants.py,
main.py, collection.py, finder.py and loaders/):

* galaxy_importer/config.py: ``Config.DEFAULTS`` run_ansible_doc=True,
  run_ansible_lint=True (offline_ansible_lint=True), run_ansible_test=False,
  run_flake8=False, require_v1_or_greater=False, check_changelog=True;
  ``ConfigFile.load()`` reads the ``[galaxy-importer]`` section of the first file
  found of $GALAXY_IMPORTER_CONFIG, /etc/galaxy-importer/galaxy-importer.cfg and
  the package's own galaxy-importer.cfg; any GALAXY_IMPORTER_<KEY> variable
  overrides a key.  The test passes tests/package/galaxy-importer.cfg (the
  defaults plus run_flake8 = True) and drops every other GALAXY_IMPORTER_*
  variable, so neither this machine's /etc nor the shell changes the verdict.
  ansible-test stays off, as by default (no container).
* galaxy_importer/main.py: the log goes to stdout through ``CustomFormatter``:
  INFO lines bare, every other level as ``LEVEL: message``; the result is written
  to importer_result.json in the working folder; the exit status is 1 only when
  the import raised (an ``ImporterError`` is logged as ERROR), 0 otherwise, even
  with warnings.  So the test reads the log, not only the exit status.
* galaxy_importer/loaders/content.py ``PluginLoader``: with run_flake8 every
  Python file the importer finds under plugins/ (modules, module_utils,
  doc_fragments, filter, ...) is linted with ``flake8 --exit-zero --isolated
  --extend-ignore E402 --select E,F,W --max-line-length 160`` (constants.py
  FLAKE8_*), and each finding is logged as a WARNING.  ``--select E,F,W`` picks
  W503 and W504 explicitly, which beats flake8's default ignore list, so a line
  break on either side of a binary operator is a warning: the plugins break lines
  after an opening bracket, a comma or before a comprehension's ``if``/``for``.
* galaxy_importer/loaders/collection.py: ansible-lint ``--profile production``
  (its stdout lines logged as WARNING), a changelog check, ansible-test ignore
  files, execution-environment dependency files: all log WARNING when unhappy.
* galaxy_importer/loaders/doc_string.py and collection.py ``_load_contents``:
  ansible-doc --list/--json per plugin type (constants.ANSIBLE_DOC_SUPPORTED_TYPES)
  gives the docs, keyed by the plugin's name; every Python file is then listed
  as content named after its file (finder.py) and gets the docs of
  ``<namespace>.<name>.<file name>``.  A filter or module file whose
  DOCUMENTATION names another plugin is listed with ``doc_strings: null``: the
  empty docs page Galaxy shows.  The test names every such plugin.

Not the default and not tested: ``require_v1_or_greater`` (some hubs set it)
rejects any version below 1.0.0, as galaxy.yml's 0.x is.
"""

import json
import os
import re
import subprocess
import sys
import time

import pytest
import yaml

from tests.matrix.matrix import cached_venv

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.dirname(sys.executable)
REQUIREMENTS = os.path.join(HERE, "requirements-galaxy-importer.txt")
CONFIG = os.path.join(HERE, "galaxy-importer.cfg")
# galaxy-importer 0.4.44 pulls the newest ansible-core, which needs Python >= 3.12; .venv's Python.
PYTHON = "3.13"
DEFAULT_CACHE = "/var/cache/inferops-galaxy-importer"
STAMP = ".inferops-galaxy-importer.json"
NAMESPACE, NAME = "inferops", "amd"
IMPORT_TIMEOUT = 600
# A log line of any level above INFO (main.py CustomFormatter: "LEVEL: message").
FINDING = re.compile(r"^(WARNING|ERROR|CRITICAL): ")
# Plugin folders whose file names are not the plugin's ansible-doc type.
PLUGIN_DIR_TYPES = {"modules": "module"}


def report(config, line):
    """Print past pytest's capture, so a passing run still shows its cost."""
    with config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print("\ngalaxy-importer: " + line, flush=True)


def ensure_venv(cache):
    """galaxy-importer's venv, built only when its pins or its interpreter changed; returns (path, built)."""
    return cached_venv(os.path.join(cache, "venv"), PYTHON, REQUIREMENTS, stamp=STAMP)


def importer_env(venv, home):
    """Galaxy's side: the importer's venv first on PATH, none of this checkout's or this shell's settings.

    `make` exports ANSIBLE_CONFIG=ansible.cfg (this checkout's collections path);
    GALAXY_IMPORTER_* variables would override the configuration; a private HOME
    keeps ~/.ansible.cfg and ~/.ansible out of ansible-doc and ansible-lint.
    """
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("ANSIBLE_", "GALAXY_IMPORTER_", "PYTHON")) and name != "VIRTUAL_ENV"}
    env.update(GALAXY_IMPORTER_CONFIG=CONFIG, HOME=home, ANSIBLE_NOCOLOR="1",
               PATH=os.path.join(venv, "bin") + os.pathsep + os.environ.get("PATH", ""))
    return env


def galaxy_version():
    with open(os.path.join(REPO, "galaxy.yml"), "r", encoding="utf-8") as handle:
        return yaml.safe_load(handle)["version"]


def pins(path):
    with open(path, "r", encoding="utf-8") as handle:
        return dict(line.strip().lower().split("==", 1) for line in handle if "==" in line and not line.startswith("#"))


class Import:
    """One run of the importer on a fresh tarball: exit status, log, stderr, result and the importer's constants."""

    def __init__(self, venv, top):
        self.venv = venv
        dist = os.path.join(top, "dist")
        proc = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", dist, REPO],
                              cwd=top, capture_output=True, text=True, check=False,
                              env={k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        self.tarball = os.path.join(dist, "%s-%s-%s.tar.gz" % (NAMESPACE, NAME, galaxy_version()))
        work = os.path.join(top, "work")
        home = os.path.join(top, "home")
        os.makedirs(work)
        os.makedirs(home)
        env = importer_env(venv, home)
        python = os.path.join(venv, "bin", "python")
        started = time.time()
        proc = subprocess.run([python, "-m", "galaxy_importer.main", self.tarball], cwd=work, env=env,
                              capture_output=True, text=True, check=False, timeout=IMPORT_TIMEOUT)
        self.seconds = time.time() - started
        self.returncode, self.stdout, self.stderr = proc.returncode, proc.stdout, proc.stderr
        self.result = None
        if os.path.exists(os.path.join(work, "importer_result.json")):
            with open(os.path.join(work, "importer_result.json"), "r", encoding="utf-8") as handle:
                self.result = json.load(handle)
        probe = subprocess.run([python, "-c", "import json; from galaxy_importer import __version__, constants as c; "
                                "print(json.dumps([__version__, c.ANSIBLE_DOC_SUPPORTED_TYPES]))"],
                               env=env, capture_output=True, text=True, check=True)
        self.version, self.documented_types = json.loads(probe.stdout)

    def findings(self):
        return [line for line in self.stdout.splitlines() if FINDING.match(line)]

    def log_tail(self):
        return "--- stdout (tail)\n%s\n--- stderr (tail)\n%s" % (self.stdout[-6000:], self.stderr[-3000:])


@pytest.fixture(scope="module")
def imported(pytestconfig, tmp_path_factory):
    began = time.time()
    venv, built = ensure_venv(os.environ.get("INFEROPS_GALAXY_IMPORTER_CACHE", DEFAULT_CACHE))
    venv_seconds = time.time() - began
    run = Import(venv, str(tmp_path_factory.mktemp("galaxy-importer")))
    report(pytestconfig, "venv %s (%s) in %.0f s; import of %s with galaxy-importer %s in %.0f s"
           % (venv, "built" if built else "cached", venv_seconds, os.path.basename(run.tarball), run.version,
              run.seconds))
    return run


def test_the_import_succeeds(imported):
    assert imported.returncode == 0, imported.log_tail()
    assert imported.result is not None, imported.log_tail()
    assert "Importer processing completed successfully" in imported.stdout.splitlines(), imported.log_tail()
    assert imported.result["metadata"]["version"] == galaxy_version()


def test_no_warning_and_no_error(imported):
    """Every WARNING/ERROR/CRITICAL line of the importer's log (flake8, ansible-lint, changelog, ...) is listed."""
    findings = imported.findings()
    assert findings == [], "galaxy-importer logged %d finding(s):\n%s" % (len(findings), "\n".join(findings))
    assert imported.stderr == "", imported.log_tail()


def test_flake8_and_ansible_lint_ran(imported):
    """The configuration took: every Python file the importer lists was linted with flake8; ansible-lint ran."""
    lines = imported.stdout.splitlines()
    python_contents = [(item["content_type"], item["name"]) for item in imported.result["contents"]
                       if item["content_type"] not in ("role", "playbook")]
    assert python_contents
    not_linted = ["%s %s" % content for content in python_contents
                  if "Linting %s %s via flake8..." % content not in lines]
    assert not_linted == [], "not linted with flake8 (is run_flake8 on in %s?): %s" % (CONFIG, ", ".join(not_linted))
    assert "...ansible-lint run complete" in lines, "ansible-lint did not run (run_ansible_lint is on by default)"
    assert not any(line.startswith("Running ansible-test") for line in lines)


def test_every_plugin_has_its_docs_found(imported):
    """A plugin listed with null doc_strings is the empty docs page Galaxy shows (DOCUMENTATION names another plugin)."""
    empty = ["%s %s" % (item["content_type"], item["content_name"]) for item in imported.result["docs_blob"]["contents"]
             if item["content_type"] in imported.documented_types and not (item["doc_strings"] or {}).get("doc")]
    assert empty == [], ("galaxy-importer found no docs for %s: it looks up <namespace>.<name>.<file name>, so the "
                         "file's DOCUMENTATION must name the plugin after its file" % ", ".join(empty))


def test_every_documented_plugin_of_the_checkout_is_listed(imported):
    """The checkout's plugins/<type>/*.py of every type ansible-doc documents, each in the result with its docs."""
    listed = dict(((item["content_type"], item["content_name"]), item["doc_strings"])
                  for item in imported.result["docs_blob"]["contents"])
    wanted = []
    plugins = os.path.join(REPO, "plugins")
    for folder in sorted(os.listdir(plugins)):
        plugin_type = PLUGIN_DIR_TYPES.get(folder, folder)
        if plugin_type not in imported.documented_types:
            continue
        for dirpath, _dirs, files in os.walk(os.path.join(plugins, folder)):
            for filename in sorted(files):
                if filename.endswith(".py") and filename != "__init__.py":
                    sub = os.path.relpath(dirpath, os.path.join(plugins, folder)).replace(os.sep, ".")
                    wanted.append((plugin_type, filename[:-3] if sub == "." else sub + "." + filename[:-3]))
    assert wanted
    missing = ["%s %s" % key for key in wanted if not (listed.get(key) or {}).get("doc")]
    assert missing == []


def test_the_importer_venv_is_in_step_with_the_development_venv():
    """ansible-doc in the importer's venv is the development venv's ansible-core (and its cryptography)."""
    importer, development = pins(REQUIREMENTS), pins(os.path.join(REPO, "requirements.txt"))
    for package in ("ansible-core", "cryptography"):
        assert importer.get(package) == development.get(package), package
