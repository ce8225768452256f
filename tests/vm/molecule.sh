#!/usr/bin/env bash
# molecule as `make vm` (tests/vm/run.sh) starts it; for running a scenario by hand:
#   bash tests/vm/molecule.sh list
#   bash tests/vm/molecule.sh test -s vm_systemd_boot     # or create / converge / login / destroy
# It runs .venv's molecule
#  - from the collection root (the folder holding galaxy.yml): only there does molecule 26 take the
#    checkout for a collection, find the scenarios in extensions/molecule/ and read their shared
#    extensions/molecule/config.yml (molecule/util.py: get_collection_metadata, lookup_config_file);
#  - with .venv/bin first on PATH: molecule (through ansible-compat) runs ansible-config,
#    ansible-playbook and ansible-galaxy by name, so a bare .venv/bin/molecule ends in a traceback
#    (FileNotFoundError: 'ansible-config') or runs another ansible-core found elsewhere on PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=$PWD/.venv/bin:$PATH
exec molecule "$@"
