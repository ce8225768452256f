#!/bin/sh
# The README's two commands: `sh run.sh demo` and `sh run.sh test`.
# Installs the system packages the Makefile needs on a fresh Debian machine, then hands over to make.
set -eu
cd "$(dirname "$0")"

# The development venv runs on Python 3.13 (ansible-core 2.21, pinned in requirements.txt, supports
# 3.12-3.14 as a controller). Taken from $PYTHON, python3.13 on PATH, pyenv's newest 3.13 build, or
# python3 when that is 3.13 (Debian 13); installed from Debian's packages where they have it.
want=3.13
is_wanted() {
    "$1" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" >/dev/null 2>&1
}
find_python() {
    pyenv_build=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/$want.*/bin/python$want 2>/dev/null | sort -V | tail -n 1)
    for candidate in ${PYTHON:-} python$want $pyenv_build python3; do
        if is_wanted "$candidate"; then
            "$candidate" -c 'import sys; print(sys.executable)'
            return 0
        fi
    done
    return 1
}

need=""
python=$(find_python) || python=""
if [ -z "$python" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && apt-cache show python$want >/dev/null 2>&1; then
        need="$need python$want python$want-venv"
    else
        echo "run.sh: no Python $want: set PYTHON=/path/to/python$want, install Debian 13's python3 and" \
             "python3-venv, or build it with pyenv (pyenv install $want)" >&2
        exit 1
    fi
elif ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    need="$need python$want-venv"
fi
command -v make >/dev/null 2>&1 || need="$need make"
command -v git >/dev/null 2>&1 || need="$need git"
# zstd: Ollama 0.14.0 and later ship .tar.zst archives (unpacked by the ollama role and its tests)
command -v zstd >/dev/null 2>&1 || need="$need zstd"
# `test` builds llama.cpp's llama-server from source (make llama-server).
if [ "${1:-}" = test ]; then
    command -v cmake >/dev/null 2>&1 || need="$need cmake"
    command -v g++ >/dev/null 2>&1 || need="$need g++"
    # A static busybox as a tree's /bin/sh: GRUB defaults sourced inside a tree under `set -e` (unit tests).
    command -v busybox >/dev/null 2>&1 || need="$need busybox-static"
    # The execution environment is built for real (make package, make ee: tests/ee/ee_build.py): podman,
    # with runc as its runtime (Debian 12's podman 4.3 with crun fails on cgroup v2 hybrid hosts), and
    # debootstrap for the Debian base image it is built FROM, made here instead of pulled from a registry.
    command -v podman >/dev/null 2>&1 || need="$need podman"
    command -v runc >/dev/null 2>&1 || need="$need runc"
    command -v debootstrap >/dev/null 2>&1 || need="$need debootstrap"
fi
if [ -n "$need" ]; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "run.sh: missing system packages:$need (install them, or run as root on Debian)" >&2
        exit 1
    fi
    echo "run.sh: installing$need"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
fi

[ -n "$python" ] || python=$(find_python) || { echo "run.sh: Python $want is still missing" >&2; exit 1; }
echo "run.sh: Python $want: $python"

case "${1:-}" in
    demo) exec make PYTHON="$python" demo ;;
    test) exec make PYTHON="$python" test ;;
    *) echo "usage: sh run.sh demo|test" >&2; exit 2 ;;
esac
