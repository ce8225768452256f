"""A new user finds how to preview a run: README.md and docs/site.md show site.yml with --check --diff."""

import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PREVIEW = re.compile(r"ansible-playbook -i \S+ (playbooks/site\.yml|inferops\.amd\.site) --check --diff")


@pytest.mark.parametrize("doc", ["README.md", "docs/site.md"])
def test_the_docs_show_a_preview_run_and_what_it_leaves_alone(doc):
    with open(os.path.join(REPO, doc)) as handle:
        text = handle.read()
    match = PREVIEW.search(text)
    assert match, "%s shows no `ansible-playbook -i INVENTORY site.yml --check --diff`" % doc
    around = " ".join(text[match.start():match.start() + 900].split())
    assert "changes nothing on the hosts" in around and "would reboot (check)" in around
