"""tests/vm/apt_sources.py: the VM image's Debian mirror comes from this machine's apt sources."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "vm"))
import apt_sources  # noqa: E402  (tests/vm is not a package: vmctl.py runs as a script)

# Formats from sources.list(5); the deb822 file is laid out as this CI machine's own debian.sources,
# with placeholder hosts (.invalid, RFC 2606) where it names Debian's and a third party's archives.
DEBIAN_SOURCES = """Types: deb
# http://snapshot.example.invalid/archive/debian/20250520T000000Z
URIs: http://mirror.example.invalid/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://security.example.invalid/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
NODESOURCE = """Types: deb
URIs: https://nodejs.example.invalid/node_20.x
Suites: nodistro
Components: main
"""


@pytest.fixture
def scripts(tmp_path):
    """debootstrap's scripts folder: Debian releases link to sid, Ubuntu's to gutsy."""
    folder = tmp_path / "scripts"
    folder.mkdir()
    for name in ("sid", "gutsy"):
        (folder / name).write_text("# debootstrap script\n")
    for name, target in (("bookworm", "sid"), ("trixie", "sid"), ("noble", "gutsy")):
        os.symlink(target, str(folder / name))
    return str(folder)


def apt_etc(tmp_path, sources_list=None, **parts):
    etc = tmp_path / "apt"
    (etc / "sources.list.d").mkdir(parents=True)
    if sources_list is not None:
        (etc / "sources.list").write_text(sources_list)
    for name, text in parts.items():
        (etc / "sources.list.d" / name.replace("__", ".")).write_text(text)
    return str(etc)


def test_deb822_sources_give_the_archive_of_the_suite_not_security(tmp_path, scripts):
    etc = apt_etc(tmp_path, nodesource__sources=NODESOURCE, debian__sources=DEBIAN_SOURCES)
    assert apt_sources.debian_mirror("bookworm", etc, scripts) == "http://mirror.example.invalid/debian"


def test_a_local_mirror_in_sources_list_is_used(tmp_path, scripts):
    etc = apt_etc(tmp_path, "# local cache\ndeb [arch=amd64 signed-by=/k.gpg] "
                  "http://apt-cache.lan:3142/debian/ bookworm main contrib\n"
                  "deb http://security.example.invalid/debian-security bookworm-security main\n")
    assert apt_sources.debian_mirror("bookworm", etc, scripts) == "http://apt-cache.lan:3142/debian"


def test_options_spread_over_several_words_are_skipped(tmp_path, scripts):
    etc = apt_etc(tmp_path, "deb [ arch=amd64 trusted=yes ] http://m.example/debian bookworm main\n")
    assert apt_sources.debian_mirror("bookworm", etc, scripts) == "http://m.example/debian"


def test_disabled_stanzas_deb_src_and_lines_without_main_are_ignored(tmp_path, scripts):
    etc = apt_etc(tmp_path, "deb-src http://src.example/debian bookworm main\n"
                  "deb http://nonfree.example/debian bookworm non-free\n",
                  off__sources="Enabled: no\nTypes: deb\nURIs: http://off.example/debian\n"
                               "Suites: bookworm\nComponents: main\n",
                  debian__sources=DEBIAN_SOURCES)
    assert apt_sources.debian_mirror("bookworm", etc, scripts) == "http://mirror.example.invalid/debian"


def test_a_mirror_of_another_debian_release_serves_the_suite(tmp_path, scripts):
    etc = apt_etc(tmp_path, debian__sources=DEBIAN_SOURCES.replace("bookworm", "trixie"))
    assert apt_sources.debian_mirror("bookworm", etc, scripts) == "http://mirror.example.invalid/debian"


def test_no_debian_archive_is_a_clear_error_naming_the_override(tmp_path, scripts):
    etc = apt_etc(tmp_path, "deb http://ubuntu.example.invalid/ubuntu noble main\n",
                  nodesource__sources=NODESOURCE)
    with pytest.raises(apt_sources.NoMirror) as err:
        apt_sources.debian_mirror("bookworm", etc, scripts)
    assert "INFEROPS_VM_MIRROR" in str(err.value)
    assert "sources.list" in str(err.value) and "nodesource.sources" in str(err.value)


def test_continuation_lines_of_a_deb822_field_are_joined(tmp_path, scripts):
    etc = apt_etc(tmp_path, multi__sources="Types: deb\nURIs:\n http://first.example/debian\n"
                                           " http://second.example/debian\nSuites: bookworm\n"
                                           "Components: main\n")
    assert apt_sources.debian_mirror("bookworm", etc, scripts) == "http://first.example/debian"
