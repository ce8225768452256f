#!/bin/sh
# The README's two commands: `sh run.sh demo` and `sh run.sh test`.
# Installs the system packages the Makefile needs on a fresh Debian machine, then hands over to make.
set -eu
cd "$(dirname "$0")"

need=""
command -v make >/dev/null 2>&1 || need="$need make"
command -v git >/dev/null 2>&1 || need="$need git"
# zstd: Ollama 0.14.0 and later ship .tar.zst archives (unpacked by the ollama role and its tests)
command -v zstd >/dev/null 2>&1 || need="$need zstd"
command -v python3 >/dev/null 2>&1 || need="$need python3"
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need="$need python3-venv"
# `test` builds llama.cpp's llama-server from source (make llama-server).
if [ "${1:-}" = test ]; then
    command -v cmake >/dev/null 2>&1 || need="$need cmake"
    command -v g++ >/dev/null 2>&1 || need="$need g++"
    # A static busybox as a tree's /bin/sh: GRUB defaults sourced inside a tree under `set -e` (unit tests).
    command -v busybox >/dev/null 2>&1 || need="$need busybox-static"
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

case "${1:-}" in
    demo) exec make demo ;;
    test) exec make test ;;
    *) echo "usage: sh run.sh demo|test" >&2; exit 2 ;;
esac
