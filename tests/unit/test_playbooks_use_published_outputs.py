"""The playbooks read each role only through its one published output (rdna4_report, ...)."""

import glob
import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = ("rdna4", "strix_halo", "ollama")
PUBLISHED = dict((role, "%s_report" % role) for role in ROLES)


def playbook_texts():
    for path in glob.glob(os.path.join(REPO, "playbooks", "**", "*.yml"), recursive=True):
        with open(path) as handle:
            yield os.path.relpath(path, REPO), handle.read()


def role_options(role):
    import yaml
    with open(os.path.join(REPO, "roles", role, "meta", "argument_specs.yml")) as handle:
        return set(yaml.safe_load(handle)["argument_specs"]["main"]["options"])


def test_no_playbook_reads_a_role_internal_or_unpublished_variable():
    for path, text in playbook_texts():
        for role in ROLES:
            assert "__%s_" % role not in text, (path, role)
            names = set(re.findall(r"\b%s_[a-z0-9_]+\b" % role, text))
            unpublished = names - {PUBLISHED[role]} - role_options(role) - {"rdna4_discrete"}
            assert not unpublished, (path, sorted(unpublished))
