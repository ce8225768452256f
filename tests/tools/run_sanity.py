"""Run `ansible-test sanity` on a copy of this checkout placed where ansible-test wants it.

ansible-test only works on a collection at ansible_collections/<namespace>/<name>/,
so the tracked and untracked-but-not-ignored files are copied to DEST (default
.build/sanity/ansible_collections/inferops/amd).  The recorded hardware trees
are left out: they are data, and their sysfs names (PCI addresses with ':')
are not legal collection file names, which some sanity tests cannot even parse.

ansible-test bootstraps pip in each of its virtual environments with a script it
downloads from a host outside the package registries; with no internet that
fails.  The cache slot it checks first (~/.ansible/test/cache/get_pip_<ver>.py)
is seeded with a script that bootstraps pip from the interpreter's own ensurepip
(the pip bundled with the interpreter, not the exact version ansible-test pins;
ansible-test then installs each test's requirements from PyPI with it).
"""

import os
import shutil
import subprocess
import sys
import types

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DEST = os.path.join(REPO, ".build", "sanity", "ansible_collections", "inferops", "amd")

# Recorded trees, and the simulated system tools (executables that must carry a shebang).
EXCLUDED = ("tests/fixtures/", "tests/simulation/tools/")

PIP_BOOTSTRAP = '''"""pip bootstrap for ansible-test without internet (written by inferops.amd tests/tools/run_sanity.py)."""
import ensurepip

ensurepip.bootstrap(upgrade=True)
'''


def pip_bootstrap_version():
    from ansible_test._internal.python_requirements import get_venv_packages
    version = "%d.%d" % sys.version_info[:2]
    return get_venv_packages(types.SimpleNamespace(version=version))["pip"]


def seed_pip_bootstrap():
    version = pip_bootstrap_version()
    path = os.path.expanduser("~/.ansible/test/cache/get_pip_%s.py" % version.replace(".", "_"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(PIP_BOOTSTRAP)


def collection_files():
    output = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, check=True, capture_output=True).stdout
    return [name for name in output.decode().split("\0")
            if name and not name.startswith(EXCLUDED) and os.path.lexists(os.path.join(REPO, name))]


def copy_collection(dest):
    if os.path.exists(dest):
        shutil.rmtree(dest)
    for name in collection_files():
        source = os.path.join(REPO, name)
        target = os.path.join(dest, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.islink(source):
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)
    # ansible-test needs a git repository to know which files belong to the collection.
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    subprocess.run(["git", "add", "-A"], cwd=dest, check=True)


def main(argv):
    """argv: [DEST [ansible-test sanity options, e.g. --skip-test pylint]]."""
    dest = os.path.abspath(argv[0]) if argv else DEFAULT_DEST
    copy_collection(dest)
    seed_pip_bootstrap()
    python = "%d.%d" % sys.version_info[:2]
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-test"), "sanity", "--local",
               "--python", python, "--color", "no"] + list(argv[1:])
    print("+ (cd %s && %s)" % (dest, " ".join(command)), flush=True)
    return subprocess.run(command, cwd=dest, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
