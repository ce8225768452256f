# inferops.amd: set-up, the demo (main job), tests and benchmarks.
# Everything a fresh Debian machine needs is installed from here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COLLECTION_LINK := .build/collections/ansible_collections/inferops/amd
SANITY_TREE := .build/sanity/ansible_collections/inferops/amd
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup system-packages demo test lint sanity unit llama-server integration vm bench clean

$(BIN)/ansible-playbook: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $(COLLECTION_LINK))
	ln -sfn ../../../.. $(COLLECTION_LINK)

setup: $(BIN)/ansible-playbook $(COLLECTION_LINK)

## demo: the main job, site.yml against the built-in simulated fleet.
demo: setup
	$(BIN)/python tests/simulation/fleet.py reset
	$(BIN)/ansible-playbook -i inventory/simulated playbooks/site.yml; status=$$?; $(BIN)/python tests/simulation/fleet.py stop; exit $$status

## test: everything CI runs.
test: setup lint sanity unit llama-server integration vm
	@echo "make test: all stages passed"

lint: setup
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint --profile production --offline

sanity: setup
	$(BIN)/python tests/tools/run_sanity.py $(SANITY_TREE)

unit: setup
	$(BIN)/python -m pytest -q tests/unit

## llama-server: llama.cpp's server built from source for the integration tests, cached in
## /var/cache/inferops-llama (tests/llama/llama_server_build.py); prints its cost, skipped when cached.
llama-server: setup
	$(BIN)/python tests/llama/llama_server_build.py build

# INFEROPS_REQUIRE_LLAMA_SERVER: tests that need the real llama-server fail instead of skipping.
integration: setup llama-server
	INFEROPS_REQUIRE_LLAMA_SERVER=1 $(BIN)/python -m pytest -q tests/integration

vm: setup
	bash tests/vm/run.sh

bench: setup
	$(BIN)/python tests/bench/bench_hardware_facts.py --write docs/benchmarks.md

clean:
	rm -rf .build .pytest_cache tests/output
