"""The built tarball, installed into a clean collections path, works by FQCN.

`ansible-galaxy collection build` packs the checkout (minus galaxy.yml's
build_ignore); `ansible-galaxy collection install` puts it into an empty
collections path; every command then runs from a folder outside the checkout
with an empty ansible.cfg, so nothing but the installed tarball can answer.
The plugins, roles and playbooks checked are read from the checkout's tree,
so a new module, role or plugin is covered without editing this file.

The host side is test machinery: the scratch host (a recorded tree plus the
simulated tools) and its simulated reboot come from the checkout's tests/,
which the tarball does not ship.
"""

import ast
import json
import os
import subprocess
import sys
import tarfile

import pytest
import yaml

from tests.simulation.scratch_host import make_scratch_host

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
NAMESPACE, NAME = "inferops", "amd"
FQCN = NAMESPACE + "." + NAME

# The playbooks run by FQCN against the scratch host: one list, add new ones here.
PLAYBOOKS = ["site"]

# Paths that are development or test machinery and must not be in the tarball (molecule's scenarios live in
# extensions/molecule/, the collection layout of molecule 26; molecule/ is the layout before it).
NOT_SHIPPED = ("run.sh", ".gitignore", "Makefile", "ansible.cfg", "requirements.txt", "execution-environment.yml",
               "inventory/simulated", "tests", "extensions/molecule", "molecule", ".ci", ".venv", ".build",
               "changelogs/fragments")
# Plugin folders without plugins of their own that ansible-doc documents.
UNDOCUMENTED_PLUGIN_DIRS = ("module_utils", "doc_fragments", "action", "plugin_utils")


def galaxy_version():
    with open(os.path.join(REPO, "galaxy.yml"), "r", encoding="utf-8") as handle:
        return yaml.safe_load(handle)["version"]


def documented_plugins():
    """[(ansible-doc type, plugin name)] for every documented plugin file in plugins/."""
    found = []
    plugins = os.path.join(REPO, "plugins")
    for folder in sorted(os.listdir(plugins)):
        path = os.path.join(plugins, folder)
        if folder in UNDOCUMENTED_PLUGIN_DIRS or not os.path.isdir(path):
            continue
        plugin_type = "module" if folder == "modules" else folder
        for filename in sorted(os.listdir(path)):
            if filename.endswith(".py") and filename != "__init__.py":
                found.append((plugin_type, documented_name(os.path.join(path, filename))))
    return found


def documented_name(path):
    """The name a plugin's DOCUMENTATION gives itself (module: or name:)."""
    with open(path, "r", encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets):
            doc = yaml.safe_load(node.value.value)
            return doc.get("module") or doc["name"]
    raise AssertionError("%s has no DOCUMENTATION" % path)


def roles():
    return sorted(name for name in os.listdir(os.path.join(REPO, "roles"))
                  if os.path.isdir(os.path.join(REPO, "roles", name, "tasks")))


class Installed:
    """The tarball and a clean place where it is installed; run() runs an ansible command there."""

    def __init__(self, top):
        self.top = top
        self.collections = os.path.join(top, "collections")
        self.workdir = os.path.join(top, "work")
        os.makedirs(self.workdir)
        config = os.path.join(top, "ansible.cfg")
        with open(config, "w", encoding="utf-8") as handle:
            handle.write("[defaults]\nretry_files_enabled = false\n")
        self.env = dict(os.environ, ANSIBLE_CONFIG=config, ANSIBLE_COLLECTIONS_PATH=self.collections,
                        ANSIBLE_ROLES_PATH=os.path.join(top, "roles"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                        ANSIBLE_HOME=os.path.join(top, "ansible-home"),
                        PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
        for variable in ("ANSIBLE_CALLBACK_PLUGINS", "ANSIBLE_CALLBACKS_ENABLED", "ANSIBLE_LIBRARY",
                         "ANSIBLE_MODULE_UTILS", "ANSIBLE_FILTER_PLUGINS", "ANSIBLE_INVENTORY"):
            self.env.pop(variable, None)
        self.tarball = None

    def run(self, *command, check=True):
        proc = subprocess.run([os.path.join(BIN, command[0])] + list(command[1:]), cwd=self.workdir, env=self.env,
                              capture_output=True, text=True, check=False)
        if check:
            failure = "%s failed (%d):\n%s\n%s" % (" ".join(command), proc.returncode, proc.stdout[-4000:],
                                                   proc.stderr[-4000:])
            assert proc.returncode == 0, failure
        return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    place = Installed(str(tmp_path_factory.mktemp("artifact")))
    out = os.path.join(place.top, "dist")
    proc = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", out, REPO],
                          cwd=place.top, env=place.env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    place.tarball = os.path.join(out, "%s-%s-%s.tar.gz" % (NAMESPACE, NAME, galaxy_version()))
    place.run("ansible-galaxy", "collection", "install", "--offline", place.tarball, "-p", place.collections)
    return place


def test_tarball_leaves_out_what_is_not_the_product(installed):
    with tarfile.open(installed.tarball) as tarball:
        names = tarball.getnames()
    shipped = [name for name in names if any(name == path or name.startswith(path + "/") for path in NOT_SHIPPED)]
    assert shipped == []
    for wanted in ("plugins/modules", "roles", "playbooks/site.yml", "meta/runtime.yml", "meta/execution-environment.yml",
                   "bindep.txt", "inventory/example/hosts.yml", "CHANGELOG.md", "changelogs/changelog.yaml"):
        assert any(name == wanted or name.startswith(wanted + "/") for name in names), wanted


def test_no_shipped_play_or_inventory_runs_test_machinery(installed):
    """The simulated inventory's reboot command ran tests/simulation/fleet.py; nothing shipped may."""
    root = os.path.join(installed.collections, "ansible_collections", NAMESPACE, NAME)
    offenders = []
    for top in ("playbooks", "inventory", "meta"):
        for folder, _subdirs, files in os.walk(os.path.join(root, top)):
            for filename in files:
                with open(os.path.join(folder, filename), "r", encoding="utf-8") as handle:
                    if "tests/simulation" in handle.read():
                        offenders.append(os.path.relpath(os.path.join(folder, filename), root))
    assert offenders == []


def test_only_the_installed_copy_is_found(installed):
    listed = json.loads(installed.run("ansible-galaxy", "collection", "list", FQCN, "--format", "json").stdout)
    assert list(listed) == [os.path.join(installed.collections, "ansible_collections")]
    assert listed[os.path.join(installed.collections, "ansible_collections")][FQCN]["version"] == galaxy_version()


@pytest.mark.parametrize("plugin_type,name", documented_plugins())
def test_ansible_doc_renders_every_plugin(installed, plugin_type, name):
    docs = json.loads(installed.run("ansible-doc", "-t", plugin_type, "--json", "%s.%s" % (FQCN, name)).stdout)
    doc = docs["%s.%s" % (FQCN, name)]["doc"]
    assert doc["short_description"]
    assert doc["collection"] == FQCN
    text = installed.run("ansible-doc", "-t", plugin_type, "%s.%s" % (FQCN, name)).stdout
    assert "%s.%s" % (FQCN, name) in text


def test_ansible_doc_lists_exactly_the_modules_of_the_tree(installed):
    listed = json.loads(installed.run("ansible-doc", "-t", "module", "-l", FQCN, "--json").stdout)
    assert sorted(listed) == sorted("%s.%s" % (FQCN, name) for kind, name in documented_plugins() if kind == "module")


@pytest.mark.parametrize("role", roles())
def test_ansible_doc_renders_every_role(installed, role):
    docs = json.loads(installed.run("ansible-doc", "-t", "role", "--json", "%s.%s" % (FQCN, role)).stdout)
    entry = docs["%s.%s" % (FQCN, role)]
    assert entry["entry_points"]["main"]["short_description"]
    assert entry["entry_points"]["main"]["options"]


def scratch_inventory(installed, name, profile="r9700_desktop"):
    """A one-host inventory on a fresh scratch host, rebooted by the simulation's connection (from the checkout,
    tests/simulation/connection_plugins, which tests/conftest.py puts on ANSIBLE_CONNECTION_PLUGINS)."""
    root = make_scratch_host(profile, os.path.join(installed.top, name + "-host"))
    host = {
        "ansible_connection": "inferops_simulation",
        "ansible_python_interpreter": sys.executable,
        "inferops_sysroot": root,
        "inferops_reboot_allowed": True,
        "ollama_install_method": "none",
    }
    path = os.path.join(installed.top, name + "-inventory.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump({"inference_nodes": {"hosts": {"scratch": host}}}, handle)
    return path, root


def recap(output):
    for line in output.splitlines():
        if line.startswith("scratch ") and "ok=" in line:
            return dict(item.split("=") for item in line.split(":", 1)[1].split())
    raise AssertionError("no play recap for the scratch host in:\n" + output[-4000:])


def test_role_import_by_fqcn(installed):
    inventory, root = scratch_inventory(installed, "role-import")
    playbook = os.path.join(installed.workdir, "import_role.yml")
    with open(playbook, "w", encoding="utf-8") as handle:
        handle.write("""---
- name: A user's playbook that imports one role of the installed collection
  hosts: scratch
  gather_facts: false
  module_defaults:
    group/%s.hardware:
      sysroot: "{{ inferops_sysroot }}"
  roles:
    - role: %s.rdna4
""" % (FQCN, FQCN))
    run = installed.run("ansible-playbook", "-i", inventory, playbook)
    assert recap(run.stdout)["failed"] == "0"
    with open(os.path.join(root, "sys/module/pcie_aspm/parameters/policy"), "r", encoding="utf-8") as handle:
        assert "[performance]" in handle.read()


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_by_fqcn_converges_and_is_idempotent(installed, playbook):
    inventory = scratch_inventory(installed, playbook)[0]
    first = installed.run("ansible-playbook", "-i", inventory, "%s.%s" % (FQCN, playbook))
    assert recap(first.stdout)["failed"] == "0" and recap(first.stdout)["unreachable"] == "0"
    second = installed.run("ansible-playbook", "-i", inventory, "%s.%s" % (FQCN, playbook))
    assert recap(second.stdout)["changed"] == "0", second.stdout[-4000:]


def test_audit_by_fqcn_finds_the_drift_and_is_clean_after_site(installed):
    """inferops.amd.audit exits non-zero on a host that drifted, and zero once site.yml tuned it."""
    inventory = scratch_inventory(installed, "audit")[0]
    before = installed.run("ansible-playbook", "-i", inventory, "%s.audit" % FQCN, check=False)
    assert before.returncode != 0 and "drifted" in before.stdout, before.stdout[-4000:]
    installed.run("ansible-playbook", "-i", inventory, "%s.site" % FQCN)
    after = installed.run("ansible-playbook", "-i", inventory, "%s.audit" % FQCN, check=False)
    assert after.returncode == 0, after.stdout[-4000:]
    assert recap(after.stdout)["changed"] == "0"
