#!/usr/bin/env bash
# `make docs`: the collection's documentation site, built offline with antsibull-docs and Sphinx.
#   tests/tools/build_docs.sh [DEST]      (default .build/docs; open DEST/html/index.html)
# The Sphinx project is generated each time by `antsibull-docs sphinx-init` in .build/docs-src,
# so nothing generated is kept in the repo. The plugin and role pages come from the collection
# as `make setup` links it (.build/collections), i.e. from the DOCUMENTATION that ansible-doc renders.
set -euo pipefail
cd "$(dirname "$0")/../.."
DEST=${1:-.build/docs}
SRC=.build/docs-src
BIN=$PWD/.venv/bin
export ANSIBLE_COLLECTIONS_PATH=$PWD/.build/collections

rm -rf "$SRC" "$DEST"
# antsibull-docs refuses a destination that others may write to.
mkdir -p -m 0755 "$SRC"
"$BIN/antsibull-docs" sphinx-init --use-current --lenient --dest-dir "$SRC" inferops.amd >/dev/null
# No internet at test time: no intersphinx inventories to fetch (links into docs.ansible.com,
# such as "common return values", stay plain text; Sphinx reports them as warnings).
echo 'intersphinx_mapping = {}' >>"$SRC/conf.py"
mkdir -p -m 0755 "$SRC/rst"
"$BIN/antsibull-docs" --config-file "$SRC/antsibull-docs.cfg" collection --cleanup everything --use-current \
    --dest-dir "$SRC/rst" inferops.amd
"$BIN/sphinx-build" -q -b html -c "$SRC" "$SRC/rst" "$DEST/html"
test -s "$DEST/html/collections/inferops/amd/index.html"
echo "docs: open $DEST/html/index.html"
