"""Which Debian mirror (and proxy) this machine's apt uses, for debootstrap to build the VM image.

The image must build unchanged behind a local mirror or an apt proxy, so the mirror is read
from the machine's own apt configuration instead of being written into the code:

  - one-line sources (sources.list(5), "ONE-LINE-STYLE FORMAT"): /etc/apt/sources.list and
    /etc/apt/sources.list.d/*.list, `deb [options] URI SUITE COMPONENT...`;
  - deb822 sources ("DEB822-STYLE FORMAT"): /etc/apt/sources.list.d/*.sources, stanzas of
    `Types:`, `URIs:`, `Suites:`, `Components:`, `Enabled: no` switches one off, `#` lines
    are comments.

An entry is a Debian archive for the wanted suite when its type is `deb`, it has the `main`
component and it lists the suite itself (bookworm, not bookworm-security or -updates, which
live in other archives or hold only updates). Failing that, any entry whose suite debootstrap
knows as a Debian release (its script in /usr/share/debootstrap/scripts links to `sid`)
serves the wanted suite too: every Debian mirror carries all current releases. Third-party
repositories (their own suite names such as `nodistro`) never match.
"""

import glob
import os
import subprocess

APT_ETC = "/etc/apt"
DEBOOTSTRAP_SCRIPTS = "/usr/share/debootstrap/scripts"


class NoMirror(Exception):
    """No apt source of this machine is a Debian archive debootstrap can use."""


def one_line_entries(text):
    """(types, uris, suites, components) of each `deb ...` line of a .list file."""
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        kind, rest = words[0], words[1:]
        if rest and rest[0].startswith("["):
            # [ option=value ... ] may span several words
            while rest and not rest[0].endswith("]"):
                rest = rest[1:]
            rest = rest[1:]
        if len(rest) >= 2:
            yield [kind], [rest[0]], [rest[1]], rest[2:]


def deb822_entries(text):
    """(types, uris, suites, components) of each enabled stanza of a .sources file."""
    stanza, key = {}, None
    for line in text.splitlines() + [""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            if stanza and stanza.get("enabled", "yes").strip().lower() != "no":
                yield tuple(stanza.get(name, "").split()
                            for name in ("types", "uris", "suites", "components"))
            stanza, key = {}, None
        elif line[0].isspace() and key:
            stanza[key] += " " + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            key = key.strip().lower()
            stanza[key] = value.strip()


def machine_entries(etc=APT_ETC):
    """Every source entry apt on this machine reads, in apt's order, with the file it came from."""
    files = [os.path.join(etc, "sources.list")]
    files += sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.list")))
    files += sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.sources")))
    for path in files:
        try:
            with open(path) as handle:
                text = handle.read()
        except OSError:
            continue
        parse = deb822_entries if path.endswith(".sources") else one_line_entries
        for entry in parse(text):
            yield path, entry


def is_debian_release(suite, scripts=DEBOOTSTRAP_SCRIPTS):
    """debootstrap's own list: Debian releases' scripts are links to `sid` (Ubuntu's to `gutsy`)."""
    path = os.path.join(scripts, suite)
    return os.path.basename(os.path.realpath(path)) == "sid" if os.path.exists(path) else False


def debian_mirror(suite, etc=APT_ETC, scripts=DEBOOTSTRAP_SCRIPTS):
    """The URI of the first apt source that serves `suite` of Debian's main archive."""
    fallback = None
    looked_at = []
    for path, (types, uris, suites, components) in machine_entries(etc):
        looked_at.append(path)
        usable = [uri for uri in uris if not uri.startswith("cdrom:")]
        if "deb" not in types or "main" not in components or not usable:
            continue
        if suite in suites:
            return usable[0].rstrip("/")
        if fallback is None and any(is_debian_release(name, scripts) for name in suites):
            fallback = usable[0].rstrip("/")
    if fallback:
        return fallback
    raise NoMirror(
        "no Debian archive for %s among this machine's apt sources (%s); set INFEROPS_VM_MIRROR "
        "to a Debian mirror URL" % (suite, ", ".join(sorted(set(looked_at))) or "none found in "
                                    + etc))


def apt_http_proxy():
    """apt's Acquire::http::Proxy, if one is configured (debootstrap's wget reads http_proxy)."""
    try:
        result = subprocess.run(["apt-config", "shell", "PROXY", "Acquire::http::Proxy"],
                                capture_output=True, text=True, check=False)
    except OSError:
        return None
    # apt-config prints PROXY='http://proxy:3128/' or nothing
    line = result.stdout.strip()
    if result.returncode != 0 or not line.startswith("PROXY="):
        return None
    value = line[len("PROXY="):].strip("'\"")
    return value if value and value.upper() != "DIRECT" else None
