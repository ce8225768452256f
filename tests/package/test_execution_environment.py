"""execution-environment.yml renders into a build context that installs the collection and its needs.

`ansible-builder create` renders the context (no container engine needed). The
parts of the image build that are not about the container itself are then
replayed on this machine with the context's own files: the galaxy stage's
`ansible-galaxy collection install -r requirements.yml` run in _build/ (the
stage's WORKDIR), and the builder stage's introspect.py on what it installed,
which is where the collection's Python and system packages enter the image.
"""

import ast
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def pinned(requirements, package):
    with open(requirements, "r", encoding="utf-8") as handle:
        for line in handle:
            if line.lower().startswith(package + "=="):
                return line.strip()
    raise AssertionError("%s is not pinned in %s" % (package, requirements))


def requirement_lines(path):
    with open(path, "r", encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip() and not line.startswith("#")]


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


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """The rendered build context of a copy of execution-environment.yml next to a fresh tarball."""
    top = str(tmp_path_factory.mktemp("ee"))
    shutil.copy(os.path.join(REPO, "execution-environment.yml"), top)
    with open(os.path.join(top, "execution-environment.yml"), "r", encoding="utf-8") as handle:
        definition = yaml.safe_load(handle)
    tarball_source = definition["additional_build_files"][0]["src"]
    dist = os.path.join(top, "dist")
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", dist, REPO], cwd=top)
    os.makedirs(os.path.dirname(os.path.join(top, tarball_source)), exist_ok=True)
    shutil.copy(os.path.join(dist, os.listdir(dist)[0]), os.path.join(top, tarball_source))
    run([os.path.join(BIN, "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context",
         "--output-filename", "Containerfile"], cwd=top)
    return os.path.join(top, "context")


def read(path):
    with open(path, "r", encoding="utf-8") as handle:
        return handle.read()


def test_definition_is_schema_version_3():
    with open(os.path.join(REPO, "execution-environment.yml"), "r", encoding="utf-8") as handle:
        assert yaml.safe_load(handle)["version"] == 3


def test_containerfile_installs_the_tested_ansible_core_and_runner(context):
    containerfile = read(os.path.join(context, "Containerfile"))
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]*)"', containerfile, re.M).group(1).split()
    assert pinned(os.path.join(REPO, "requirements.txt"), "ansible-core") in refs
    assert any(ref.startswith("ansible-runner==") for ref in refs)
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert "introspect.py introspect --write-bindep=/tmp/src/bindep.txt --write-pip=/tmp/src/requirements.txt" in containerfile


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
