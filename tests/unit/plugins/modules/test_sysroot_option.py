"""Every module takes sysroot the same way: the shared option, the doc fragment, one helper."""

import ast
import os

import pytest
import yaml

from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SYSROOT_OPTION

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
MODULES = os.path.join(REPO, "plugins", "modules")
NAMES = sorted(name[:-3] for name in os.listdir(MODULES) if name.endswith(".py") and name != "__init__.py")


def source(name):
    with open(os.path.join(MODULES, name + ".py")) as handle:
        return handle.read()


@pytest.mark.parametrize("name", NAMES)
def test_module_uses_the_shared_option_fragment_and_helper(name):
    text = source(name)
    tree = ast.parse(text)
    keywords = [node.arg for node in ast.walk(tree) if isinstance(node, ast.keyword)]
    assert "sysroot" not in keywords, "%s defines its own sysroot option" % name
    assert "with_sysroot_option(" in text and "module_sysroot(module)" in text
    assert "SysRoot(" not in text, "%s opens its root without module_sysroot" % name
    docs = yaml.safe_load(next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                               and node.targets[0].id == "DOCUMENTATION"))
    assert "inferops.amd.sysroot" in docs["extends_documentation_fragment"]
    assert "sysroot" not in docs.get("options", {})


def test_fragment_documents_the_shared_option():
    from ansible_collections.inferops.amd.plugins.doc_fragments.sysroot import ModuleDocFragment
    option = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]["sysroot"]
    assert {"type": option["type"], "default": option["default"]} == SYSROOT_OPTION["sysroot"]


@pytest.mark.parametrize("name", NAMES)
def test_every_module_is_in_the_hardware_action_group(name):
    with open(os.path.join(REPO, "meta", "runtime.yml")) as handle:
        assert name in yaml.safe_load(handle)["action_groups"]["hardware"]


@pytest.mark.parametrize("role", ["rdna4", "strix_halo", "ollama", "llama_cpp"])
def test_roles_declare_the_one_sysroot_variable(role):
    with open(os.path.join(REPO, "roles", role, "meta", "argument_specs.yml")) as handle:
        options = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    assert options["inferops_sysroot"]["type"] == "path"
    assert not [name for name in options if name.endswith("_sysroot") and name != "inferops_sysroot"]
