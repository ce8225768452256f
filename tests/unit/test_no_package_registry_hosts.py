"""Tests and docs name no real package archive: examples use placeholder hosts (RFC 2606 .invalid).

A test or an example that names a real archive invites running it against that archive; the VM
image's mirror comes from the machine's own apt sources (tests/vm/apt_sources.py), never from
the repository. The recorded host trees under tests/fixtures/hosts keep what they recorded
(an os-release HOME_URL, for one).
"""

import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCANNED = ("tests", "docs")
RECORDED = os.path.join("tests", "fixtures", "hosts")
# Debian's, Ubuntu's, NodeSource's, PyPI's and npm's package archives.
ARCHIVE_HOST = re.compile(r"\b(?:(?:deb|security|snapshot|ftp|httpredir)\.debian\.org|(?:archive|security)\.ubuntu\.com"
                          r"|deb\.nodesource\.com|pypi\.org|files\.pythonhosted\.org|registry\.npmjs\.org)\b")


def scanned_files():
    for top in SCANNED:
        for folder, subdirs, files in os.walk(os.path.join(REPO, top)):
            subdirs[:] = [name for name in subdirs if name != "__pycache__"
                          and os.path.relpath(os.path.join(folder, name), REPO) != RECORDED]
            for name in files:
                yield os.path.join(folder, name)


def test_tests_and_docs_name_no_package_archive_host():
    found = []
    for path in scanned_files():
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (UnicodeDecodeError, OSError):
            continue  # binary files (capture archives, images) are not examples anyone copies
        found += ["%s:%d: %s" % (os.path.relpath(path, REPO), text.count("\n", 0, match.start()) + 1, match.group(0))
                  for match in ARCHIVE_HOST.finditer(text)]
    assert found == []
