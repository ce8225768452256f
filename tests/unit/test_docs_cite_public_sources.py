"""The docs that ship cite public sources (docs/sources.md), not files of the project's workspace that do not ship."""

import glob
import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNSHIPPED = re.compile(r"seeds/|(?<![\w./-])(\.\./)?shared/|\b\d{3}_[0-9a-f]{16}\.txt|\bseeds? \d{3}\b|\b(the|same) seeds?\b",
                       re.IGNORECASE)
DOCS = ["README.md"] + sorted(os.path.relpath(path, REPO) for path in glob.glob(os.path.join(REPO, "docs", "*.md")))


@pytest.mark.parametrize("doc", DOCS)
def test_no_doc_cites_a_file_that_does_not_ship(doc):
    with open(os.path.join(REPO, doc)) as handle:
        found = ["%s:%d: %s" % (doc, number, match.group(0)) for number, line in enumerate(handle, 1)
                 for match in UNSHIPPED.finditer(line)]
    assert found == []


def test_the_sources_page_names_the_public_origins():
    with open(os.path.join(REPO, "docs", "sources.md")) as handle:
        text = handle.read()
    assert "https://github.com/ggml-org/llama.cpp/discussions/21043" in text
    assert "nerds-run/strix_halo_vllm" in text and "docs/optimization-log.md" in text
