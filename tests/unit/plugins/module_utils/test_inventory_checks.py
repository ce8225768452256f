"""A host's inventory values, checked before anything changes: one message per bad value."""

import os

import pytest
import yaml

from ansible_collections.inferops.amd.plugins.module_utils.inventory_checks import (
    ROLES, collection_problems, inventory_problems)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


@pytest.fixture(scope="module")
def specs():
    loaded = {}
    for role in ROLES:
        with open(os.path.join(REPO, "roles", role, "meta", "argument_specs.yml")) as handle:
            loaded[role] = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    return loaded


def test_an_inventory_with_nothing_set_is_fine(specs):
    assert inventory_problems({}, specs) == []


def test_the_roles_own_defaults_pass_their_specs(specs):
    values = {}
    for role in ROLES:
        with open(os.path.join(REPO, "roles", role, "defaults", "main.yml")) as handle:
            values.update(yaml.safe_load(handle) or {})
    assert inventory_problems(values, specs) == []


@pytest.mark.parametrize("name, value, message", [
    ("inferops_reboot_allowed", "maybe", "inferops_reboot_allowed must be true or false (got maybe)"),
    ("inferops_sysroot", "relative/root", "inferops_sysroot must be an absolute path (got relative/root)"),
    ("inferops_reboot_command", "systemctl reboot", "inferops_reboot_command must be a list of arguments (got systemctl reboot)"),
    ("inferops_host_class", "gpu", "inferops_host_class must be one of rdna4_discrete, strix_halo, none (got gpu)"),
    ("strix_halo_gtt_reserve_mib", -4096, "strix_halo_gtt_reserve_mib must be a whole number of MiB, 0 or more (got -4096)"),
    ("inferops_serving", ["ollama", "vllm"], "inferops_serving must be a list of ollama, llama_cpp (got ['ollama', 'vllm'])"),
    ("inferops_serving", "ollama", "inferops_serving must be a list of ollama, llama_cpp (got ollama)"),
    ("inferops_benchmark", "yes", "inferops_benchmark must be a dict (api, url, model, ...) (got yes)"),
])
def test_one_bad_collection_value_gives_exactly_its_message(specs, name, value, message):
    assert inventory_problems({name: value}, specs) == [message]


@pytest.mark.parametrize("value", ["false", "yes", "0", True, False])
def test_reboot_allowed_takes_booleans_and_their_words(value):
    assert collection_problems({"inferops_reboot_allowed": value}) == []


def test_a_value_named_by_a_collection_rule_is_not_named_again_by_its_role(specs):
    # "lots" also fails strix_halo's spec (type int); the message names it once
    problems = inventory_problems({"strix_halo_gtt_reserve_mib": "lots"}, specs)
    assert problems == ["strix_halo_gtt_reserve_mib must be a whole number of MiB, 0 or more (got lots)"]


def test_role_values_are_checked_against_their_spec(specs):
    problems = inventory_problems({"rdna4_aspm_policy": "turbo"}, specs)
    assert len(problems) == 1
    assert problems[0].startswith("role rdna4: value of rdna4_aspm_policy must be one of: ")
    assert problems[0].endswith("got: turbo")


def test_misspelt_names_are_named_with_what_is_supported(specs):
    problems = inventory_problems({"strix_halo_ryzenadj_limits": {"stapm_limt": 80}, "rdna4_aspm_polcy": "x"}, specs)
    assert [problem.split(" Supported")[0] for problem in problems] == [
        "role rdna4: unknown variable or option rdna4_aspm_polcy.",
        "role strix_halo: unknown variable or option strix_halo_ryzenadj_limits.stapm_limt."]


def test_every_bad_value_of_a_host_is_named_collection_wide_first(specs):
    problems = inventory_problems({"ollama_backend": "cuda", "inferops_host_class": "gpu"}, specs)
    assert problems[0] == "inferops_host_class must be one of rdna4_discrete, strix_halo, none (got gpu)"
    assert problems[1].startswith("role ollama: value of ollama_backend must be one of:")
    assert len(problems) == 2
