"""execution-environment.yml builds an image that runs the collection, and renders a context that installs it.

The real build (tests/ee/ee_build.py): `ansible-builder build` of the shipped definition with podman,
FROM a stand-in for its Debian base made here with debootstrap (no registry); then, inside the
image, the pinned versions, `ansible-doc inferops.amd.hardware_facts` and the collection's capture
playbook run by ansible-runner (what AWX drives a job with) against recorded hosts, which are data
there (INFEROPS_SIMULATION is not set in the container). Without podman, runc, debootstrap or root
these tests skip, unless INFEROPS_REQUIRE_EE=1, where they fail.

`ansible-builder create` renders the context (no container engine needed). The parts of the image
build that are not about the container itself are then replayed on this machine with the context's
own files: the galaxy stage's `ansible-galaxy collection install -r requirements.yml` run in
_build/ (the stage's WORKDIR), and the builder stage's introspect.py on what it installed, which is
where the collection's Python and system packages enter the image.
"""

import ast
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time

import pytest
import yaml

from tests.ee import ee_build
from tests.simulation.scratch_host import make_scratch_host
from tests.unit.module_runner import run_module

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
DEFINITION = os.path.join(REPO, "execution-environment.yml")
TAG = "localhost/inferops-amd-ee:test"
# Recorded hosts the capture playbook reads inside the image (tests/fixtures/hosts/<profile>/root).
CAPTURED = {"gpu-box": "r9700_desktop", "halo": "strix_halo_laptop_64g"}


def pinned(requirements, package):
    with open(requirements, "r", encoding="utf-8") as handle:
        for line in handle:
            if line.lower().startswith(package + "=="):
                return line.strip()
    raise AssertionError("%s is not pinned in %s" % (package, requirements))


def requirement_lines(path):
    with open(path, "r", encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip() and not line.startswith("#")]


def definition():
    with open(DEFINITION, "r", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def image_env(collections=None):
    """The environment of the image build: none of this checkout's Ansible settings.

    `make` exports ANSIBLE_CONFIG=ansible.cfg, whose collections_path holds this
    checkout linked as inferops.amd; with it, ansible-galaxy finds the collection
    "already installed" and installs nothing. The image has no such file, so
    every ANSIBLE_* setting of the calling shell is dropped (the commands run in
    temporary folders, where no ansible.cfg is found either) and the collections
    path is only the one the stage installs into.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("ANSIBLE_")}
    env.update(ANSIBLE_NOCOLOR="1", PATH=BIN + os.pathsep + os.environ["PATH"])
    if collections:
        env.update(ANSIBLE_COLLECTIONS_PATH=collections,
                   ANSIBLE_HOME=os.path.join(os.path.dirname(collections), "ansible-home"))
    return env


def run(command, cwd, collections=None):
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=image_env(collections))
    assert proc.returncode == 0, "%s failed:\n%s\n%s" % (" ".join(command), proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def read(path):
    with open(path, "r", encoding="utf-8") as handle:
        return handle.read()


def report(config, line):
    """Print past pytest's capture, so a passing run still shows its cost."""
    with config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print("\nexecution environment: " + line, flush=True)


# ---------------------------------------------------------------- the definition

def test_definition_pins_ansible_core_and_cryptography_of_requirements_txt_and_runner():
    data = definition()
    assert data["version"] == 3
    requirements = os.path.join(REPO, "requirements.txt")
    dependencies = data["dependencies"]
    assert dependencies["ansible_core"]["package_pip"] == pinned(requirements, "ansible-core")
    assert pinned(requirements, "cryptography") in dependencies["python"]
    assert re.match(r"^ansible-runner==[0-9.]+$", dependencies["ansible_runner"]["package_pip"])


def test_shipped_base_is_debians_official_image_that_the_suite_can_stand_in_for():
    """The real build below runs FROM a debootstrap tree of the same Debian release (ee_build.py)."""
    suite = ee_build.debian_suite(definition()["images"]["base_image"]["name"])
    if os.path.isdir(ee_build.apt_sources.DEBOOTSTRAP_SCRIPTS):
        assert ee_build.apt_sources.is_debian_release(suite), suite


def fake_pip(tmp_path, lines):
    """A `python` whose `-m pip config list` prints `lines` (pip's own format)."""
    script = tmp_path / "python"
    script.write_text("#!/bin/sh\ncat <<'EOF'\n%s\nEOF\n" % "\n".join(lines))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_the_base_takes_the_machines_index_settings_but_no_local_path(tmp_path):
    """pip's configuration of this machine reaches the base, without the files and folders only it has."""
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(b"-----BEGIN CERTIFICATE-----\nplaceholder\n-----END CERTIFICATE-----\n")
    python = fake_pip(tmp_path, [
        "global.index-url='https://pypi.invalid/simple'",
        "global.constraint='/etc/xdg/pip/constraints.txt'",
        "global.extra-index-url='file:///opt/pypi/simple https://mirror.invalid/simple'",
        "global.find-links='/opt/wheels'",
        "global.timeout='30'",
        ":env:.cert='%s'" % bundle,
        ":env:.timeout='180'",
    ])
    settings, left_out = ee_build.host_pip_settings(python)
    assert settings == {"index-url": "https://pypi.invalid/simple", "extra-index-url": "https://mirror.invalid/simple",
                        "timeout": "180", "cert": str(bundle)}
    assert left_out == ["constraint", "extra-index-url (local paths)", "find-links"]
    files, rewritten = ee_build.network_files(settings)
    assert files == {ee_build.BASE_SHARE + "/pip-cert.pem": bundle.read_bytes()}
    text = ee_build.pip_conf_text(rewritten)
    assert "cert = %s/pip-cert.pem\n" % ee_build.BASE_SHARE in text
    assert str(tmp_path) not in text and "/opt/" not in text


# ---------------------------------------------------------------- the rendered context, replayed here

@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """The rendered build context of a copy of execution-environment.yml next to a fresh tarball."""
    top = str(tmp_path_factory.mktemp("ee"))
    shutil.copy(DEFINITION, top)
    tarball_source = definition()["additional_build_files"][0]["src"]
    dist = os.path.join(top, "dist")
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", dist, REPO], cwd=top)
    os.makedirs(os.path.dirname(os.path.join(top, tarball_source)), exist_ok=True)
    shutil.copy(os.path.join(dist, os.listdir(dist)[0]), os.path.join(top, tarball_source))
    run([os.path.join(BIN, "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context",
         "--output-filename", "Containerfile"], cwd=top)
    return os.path.join(top, "context")


def test_containerfile_installs_the_tested_ansible_core_and_runner(context):
    containerfile = read(os.path.join(context, "Containerfile"))
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]*)"', containerfile, re.M).group(1).split()
    assert pinned(os.path.join(REPO, "requirements.txt"), "ansible-core") in refs
    assert definition()["dependencies"]["ansible_runner"]["package_pip"] in refs
    assert re.search(r'^ARG EE_BASE_IMAGE="%s"$' % re.escape(definition()["images"]["base_image"]["name"]),
                     containerfile, re.M)
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert "introspect.py introspect --user-pip=requirements.txt --write-bindep=/tmp/src/bindep.txt " \
           "--write-pip=/tmp/src/requirements.txt" in containerfile


def test_context_carries_the_collection_tarball(context):
    requirements = yaml.safe_load(read(os.path.join(context, "_build", "requirements.yml")))
    entries = requirements["collections"]
    assert [entry["type"] for entry in entries] == ["file"]
    # the galaxy stage runs in /build, where _build/ is copied
    assert os.path.isfile(os.path.join(context, "_build", entries[0]["name"]))


def test_galaxy_stage_and_introspection_bring_in_the_collection_and_its_packages(context, tmp_path):
    build = os.path.join(context, "_build")
    collections = str(tmp_path / "usr-share-ansible" / "collections")
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "-r", "requirements.yml",
         "--collections-path", collections], cwd=build, collections=collections)
    assert os.path.isfile(os.path.join(collections, "ansible_collections", "inferops", "amd", "meta", "runtime.yml"))
    bindep_out, pip_out = str(tmp_path / "bindep.txt"), str(tmp_path / "requirements.txt")
    run([sys.executable, os.path.join(build, "scripts", "introspect.py"), "introspect", "--write-bindep", bindep_out,
         "--write-pip", pip_out, collections], cwd=build)
    system = requirement_lines(bindep_out)
    for wanted in requirement_lines(os.path.join(REPO, "bindep.txt")):
        assert any(line.startswith(wanted) and "inferops.amd" in line for line in system), (wanted, system)
    python = requirement_lines(pip_out) if os.path.exists(pip_out) else []
    assert python == [line + "  # from collection inferops.amd" for line in requirement_lines(
        os.path.join(REPO, "meta", "ee-requirements.txt"))]


def third_party_imports(path):
    with open(path, "r", encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return sorted(name for name in names
                  if name not in sys.stdlib_module_names and name not in ("ansible", "ansible_collections"))


def test_every_third_party_import_of_the_plugins_is_in_ee_requirements():
    listed = set(re.split(r"[<>=!~;\[ ]", line)[0].lower() for line in requirement_lines(
        os.path.join(REPO, "meta", "ee-requirements.txt")))
    missing = {}
    for folder, _subdirs, files in os.walk(os.path.join(REPO, "plugins")):
        for filename in files:
            if filename.endswith(".py"):
                path = os.path.join(folder, filename)
                unlisted = [name for name in third_party_imports(path) if name.lower() not in listed]
                if unlisted:
                    missing[os.path.relpath(path, REPO)] = unlisted
    assert missing == {}


# ---------------------------------------------------------------- the real image

@pytest.fixture(scope="module")
def image(request, tmp_path_factory):
    """The image built with podman from a copy of the shipped definition and a fresh tarball."""
    reason = ee_build.missing_tools()
    if reason:
        message = "cannot build the execution environment here: %s" % reason
        if os.environ.get("INFEROPS_REQUIRE_EE") == "1":
            pytest.fail(message)
        pytest.skip(message)
    top = str(tmp_path_factory.mktemp("ee-build"))
    shutil.copy(DEFINITION, top)
    started = time.monotonic()
    with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print("", flush=True)
        costs = ee_build.build(os.path.join(top, "execution-environment.yml"), os.path.join(top, "work"), TAG)
    report(request.config, "built %s in %.1f s (base %.1f s, tarball %.1f s, ansible-builder build %.1f s)" % (
        TAG, time.monotonic() - started, costs["base"], costs["tarball"], costs["build"]))
    return TAG


def in_image(image_tag, script, volumes=(), label=None, config=None):
    """`podman run` of a bash script in the image as its own user; returns the finished process."""
    argv = ee_build.podman("run", "--rm", *ee_build.run_limits())
    for source, target in volumes:
        argv += ["--volume", "%s:%s" % (source, target)]
    started = time.monotonic()
    proc = subprocess.run(argv + [image_tag, "bash", "-c", script], capture_output=True, text=True, check=False)
    if label and config:
        report(config, "%s: %.1f s" % (label, time.monotonic() - started))
    assert proc.returncode == 0, "%s failed in the image:\n%s\n%s" % (script, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def test_image_runs_the_pinned_versions_on_python_3_12_or_later_without_a_warning(image, request):
    proc = in_image(image, "ansible --version && python3 -c 'import json, sys; from importlib.metadata import version; "
                    "print(json.dumps([list(sys.version_info[:2])] + [version(name) for name in "
                    "(\"ansible-core\", \"cryptography\", \"ansible-runner\")]))'",
                    label="ansible --version and the installed versions", config=request.config)
    python, core, cryptography, runner = json.loads(proc.stdout.strip().splitlines()[-1])
    assert tuple(python) >= (3, 12)
    dependencies = definition()["dependencies"]
    assert "ansible-core==" + core == dependencies["ansible_core"]["package_pip"]
    assert "cryptography==" + cryptography in dependencies["python"]
    assert "ansible-runner==" + runner == dependencies["ansible_runner"]["package_pip"]
    assert proc.stderr == ""  # e.g. cryptography 51's DSA deprecation warning


def test_image_has_the_system_packages_of_bindep_txt(image, request):
    packages = [line.split()[0] for line in requirement_lines(os.path.join(REPO, "bindep.txt"))
                if "platform:" not in line or "platform:dpkg" in line]
    assert packages
    proc = in_image(image, "dpkg-query -W -f '${Package} ${db:Status-Status}\\n' " + " ".join(packages),
                    label="dpkg-query of bindep.txt's packages", config=request.config)
    assert sorted(proc.stdout.split("\n")[:-1]) == sorted("%s installed" % name for name in packages)


def module_documentation(name):
    path = os.path.join(REPO, "plugins", "modules", name + ".py")
    with open(path, "r", encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and [target.id for target in node.targets] == ["DOCUMENTATION"]:
            return yaml.safe_load(node.value.value)
    raise AssertionError("no DOCUMENTATION in " + path)


def test_ansible_doc_in_the_image_documents_hardware_facts(image, request):
    proc = in_image(image, "ansible-doc --json -t module inferops.amd.hardware_facts",
                    label="ansible-doc inferops.amd.hardware_facts", config=request.config)
    assert proc.stderr == ""
    doc = json.loads(proc.stdout)["inferops.amd.hardware_facts"]["doc"]
    mine = module_documentation("hardware_facts")
    assert doc["short_description"] == mine["short_description"]
    assert set(mine["options"]) <= set(doc["options"])
    # the fragment the collection ships, resolved inside the image
    assert "sysroot" in doc["options"]
    assert doc["filename"].startswith("/usr/share/ansible/collections/ansible_collections/inferops/amd/")


def facts_of(root):
    facts = run_module("hardware_facts", {"sysroot": root})["ansible_facts"]["inferops_amd"]
    facts.pop("sysroot")
    return facts


def test_the_collections_capture_playbook_runs_in_the_image_under_ansible_runner(image, request, tmp_path,
                                                                                 monkeypatch):
    """A project playbook that imports inferops.amd.capture (as docs/awx.md sets up a job template), run by
    ansible-runner in the image against recorded hosts; their archives give the facts of the trees they
    came from."""
    monkeypatch.delenv("INFEROPS_SIMULATION", raising=False)  # the trees are data, here and in the image
    data = tmp_path / "runner"
    for folder in ("project", "inventory", "trees", "captures"):
        (data / folder).mkdir(parents=True)
    (data / "project" / "site.yml").write_text(
        "---\n- name: Capture the inference nodes\n  ansible.builtin.import_playbook: inferops.amd.capture\n")
    lines = ["all:", "  hosts:"]
    for name, profile in CAPTURED.items():
        shutil.copytree(os.path.join(REPO, "tests", "fixtures", "hosts", profile, "root"), str(data / "trees" / name),
                        symlinks=True)
        lines += ["    %s:" % name, "      ansible_connection: local",
                  "      ansible_python_interpreter: /usr/bin/python3",
                  "      inferops_sysroot: /runner/trees/%s" % name,
                  "      inferops_capture_remote_path: /tmp/%s.tar.gz" % name,
                  "      inferops_capture_dir: /runner/captures"]
    (data / "inventory" / "hosts.yml").write_text("\n".join(lines) + "\n")
    # the image runs as its own user (1000), which writes the artifacts and the archives here
    for folder, _subdirs, _files in os.walk(str(data)):
        os.chmod(folder, 0o777)
    in_image(image, "ansible-runner run /runner -p site.yml",
             volumes=[(str(data), "/runner")], label="ansible-runner run of inferops.amd.capture (2 hosts)",
             config=request.config)
    artifacts = data / "artifacts"
    (ident,) = os.listdir(str(artifacts))
    assert (artifacts / ident / "status").read_text() == "successful"
    assert (artifacts / ident / "rc").read_text() == "0"
    for name in CAPTURED:
        archive = str(data / "captures" / ("%s.tar.gz" % name))
        replayed = make_scratch_host(archive, str(tmp_path / ("%s-replayed" % name)))
        assert facts_of(replayed) == facts_of(str(data / "trees" / name))
