"""The inventory_problems filter finds the roles' argument specs in the collection it belongs to."""

from ansible_collections.inferops.amd.plugins.filter.inventory_problems import FilterModule


def test_filter_checks_role_values_against_the_installed_specs():
    problems = FilterModule().filters()["inventory_problems"]({"ollama_backend": "cuda", "rdna4_aspm_policy": "performance"})
    assert len(problems) == 1 and problems[0].startswith("role ollama: value of ollama_backend must be one of:")
