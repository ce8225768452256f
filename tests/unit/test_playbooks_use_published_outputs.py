"""The playbooks use the roles as a user does: each role through its entry points, read only through its one
published output (rdna4_report, ...), and nothing of the simulation in them."""

import glob
import os
import re

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = ("rdna4", "strix_halo", "ollama", "llama_cpp")
PUBLISHED = dict((role, "%s_report" % role) for role in ROLES)


def playbook_texts():
    for path in glob.glob(os.path.join(REPO, "playbooks", "**", "*.yml"), recursive=True):
        with open(path) as handle:
            yield os.path.relpath(path, REPO), handle.read()


def role_options(role):
    with open(os.path.join(REPO, "roles", role, "meta", "argument_specs.yml")) as handle:
        return set(yaml.safe_load(handle)["argument_specs"]["main"]["options"])


def entries(node):
    """Every mapping of a parsed playbook or task file (plays, tasks), blocks and rescues opened."""
    if isinstance(node, list):
        for item in node:
            yield from entries(item)
    elif isinstance(node, dict):
        yield node
        for key in ("tasks", "block", "rescue", "always", "pre_tasks", "post_tasks", "handlers"):
            yield from entries(node.get(key))


def test_no_playbook_reads_a_role_internal_or_unpublished_variable():
    for path, text in playbook_texts():
        for role in ROLES:
            assert "__%s_" % role not in text, (path, role)
            names = set(re.findall(r"\b%s_[a-z0-9_]+\b" % role, text))
            unpublished = names - {PUBLISHED[role]} - role_options(role) - {"rdna4_discrete"}
            assert not unpublished, (path, sorted(unpublished))


def test_roles_start_at_their_entry_points_with_validation_on():
    used = []
    for path, text in playbook_texts():
        for task in entries(yaml.safe_load(text)):
            for action in ("ansible.builtin.import_role", "ansible.builtin.include_role"):
                if action in task:
                    arguments = task[action]
                    assert arguments.get("rolespec_validate", True) is True, (path, task["name"])
                    assert arguments.get("tasks_from", "main") in ("main", "verify"), (path, task["name"])
                    used.append((arguments["name"], arguments.get("tasks_from", "main")))
    for role in ROLES:
        assert ("inferops.amd.%s" % role, "main") in used and ("inferops.amd.%s" % role, "verify") in used, role


def test_nothing_of_the_simulation_is_in_the_playbooks():
    for path, text in playbook_texts():
        lowered = text.lower()
        for word in ("simulat", "inferops_reboot_command", "inferops-sim", "fleet.py", "tests/"):
            assert word not in lowered, (path, word)
