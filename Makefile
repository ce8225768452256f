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

.PHONY: setup system-packages demo test lint sanity unit integration vm bench bench-fleet clean

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
test: setup lint sanity unit integration vm
	@echo "make test: all stages passed"

lint: setup
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint --profile production --offline

sanity: setup
	$(BIN)/python tests/tools/run_sanity.py $(SANITY_TREE)

unit: setup
	$(BIN)/python -m pytest -q tests/unit

integration: setup
	$(BIN)/python -m pytest -q tests/integration

vm: setup
	bash tests/vm/run.sh

bench: setup
	$(BIN)/python tests/bench/bench_hardware_facts.py --write docs/benchmarks.md

## bench-fleet: site.yml over 7, 25 and 50 simulated hosts next to a one-task play (minutes; CPU heavy).
bench-fleet: setup
	$(BIN)/python tests/bench/bench_fleet.py --hosts $(or $(BENCH_HOSTS),7 25 50) --write docs/benchmarks.md

clean:
	rm -rf .build .pytest_cache tests/output
