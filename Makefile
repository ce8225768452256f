# inferops.amd: set-up, the demo (main job), tests and benchmarks.
# Everything a fresh Debian machine needs is installed from here.
SHELL := /bin/bash
comma := ,
# The development venv's interpreter (run.sh finds one and passes it; requirements.txt pins for it).
PYTHON ?= python3.13
VENV_PYTHON := 3.13
VENV := .venv
BIN := $(VENV)/bin
COLLECTION_LINK := .build/collections/ansible_collections/inferops/amd
SANITY_TREE := .build/sanity/ansible_collections/inferops/amd
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)
COLLECTION_VERSION = $(shell sed -n 's/^version: *//p' galaxy.yml)
# Runs a stage's command and prints what it cost: $(call cost,COMMAND[,LABEL]).
cost = SECONDS=0; $(1); rc=$$?; echo "make $@$(if $(2), $(2)): $$SECONDS s (exit $$rc)"; exit $$rc

.PHONY: setup system-packages demo test lint sanity unit integration unstable vm vm-systemd-boot bench clean \
	matrix matrix-ci matrix-prerelease package ee ee-base docs changelog bench-fleet bench-mitogen llama-server

# A venv of another Python (an older checkout's) is replaced, not upgraded in place.
$(BIN)/ansible-playbook: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(comma),$(VENV_PYTHON))))' || \
		{ echo "make: $(PYTHON) is not Python $(VENV_PYTHON) (sh run.sh finds one; or make PYTHON=/path/to/python$(VENV_PYTHON))" >&2; exit 1; }
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(comma),$(VENV_PYTHON))))'; then \
		echo "make: $(VENV) is not Python $(VENV_PYTHON); rebuilding it"; rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $(COLLECTION_LINK))
	ln -sfn ../../../.. $(COLLECTION_LINK)

setup: $(BIN)/ansible-playbook $(COLLECTION_LINK)

## demo: the main job, site.yml against the built-in simulated fleet. INFEROPS_SIMULATION=1 is the
## controller's switch that lets the simulated hosts' stand-in tools run (a tree is data without it);
## the simulated hosts' connection (tests/simulation/connection_plugins) reboots their trees.
demo: setup
	$(BIN)/python tests/simulation/fleet.py reset
	INFEROPS_SIMULATION=1 ANSIBLE_CONNECTION_PLUGINS=$(CURDIR)/tests/simulation/connection_plugins $(BIN)/ansible-playbook -i inventory/simulated playbooks/site.yml; status=$$?; $(BIN)/python tests/simulation/fleet.py stop; exit $$status

## test: everything CI runs. Sanity runs in matrix-ci, on the oldest and newest
## ansible-core x Python pairs (`make sanity` is the same test on .venv's pair).
test: setup lint matrix-ci unit llama-server integration unstable package docs vm
	@echo "make test: all stages passed"

lint: setup
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint --profile production --offline
	@$(call cost,ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.build/collections $(BIN)/antsibull-docs lint-collection-docs --plugin-docs $(COLLECTION_LINK),antsibull-docs lint-collection-docs)
	@$(call cost,$(BIN)/antsibull-changelog lint,antsibull-changelog lint)

## matrix: sanity, unit tests and ansible-lint on every ansible-core x Python pair of
## tests/matrix/matrix.yml, each in its own cached venv under /var/cache/inferops-matrix.
matrix: setup
	@$(call cost,$(BIN)/python tests/matrix/matrix.py)

## matrix-ci: the same on the oldest and the newest pair only (CI).
matrix-ci: setup
	@$(call cost,$(BIN)/python tests/matrix/matrix.py --ci)

## matrix-prerelease: the same on the release candidates under `prerelease:` in matrix.yml (not in `make test`).
matrix-prerelease: setup
	@$(call cost,$(BIN)/python tests/matrix/matrix.py --prerelease)

## package: the built tarball installed into a clean collections path, by FQCN; galaxy-importer on it; the EE
## image built with podman and run (INFEROPS_REQUIRE_EE: the EE tests fail, not skip, without podman); one test
## file per worker (galaxy-importer, the EE build and the installed tarball run side by side).
package: setup
	@$(call cost,INFEROPS_REQUIRE_EE=1 $(BIN)/python -m pytest -q -n auto --dist loadfile tests/package)

## ee: the execution environment image localhost/inferops-amd-ee:VERSION, built by ansible-builder with podman
## FROM a Debian base made here (ee-base; no registry), or FROM EE_BASE_IMAGE=docker.io/library/debian:trixie
## (pulled); context and build log in .build/ee (docs/awx.md). Without podman: only the build context.
ee: setup
	rm -rf .build/ee && mkdir -p .build/ee
	@if command -v podman >/dev/null 2>&1; then \
		$(call cost,$(BIN)/python tests/ee/ee_build.py build --work .build/ee --tag localhost/inferops-amd-ee:$(COLLECTION_VERSION)$(if $(EE_BASE_IMAGE), --base-image $(EE_BASE_IMAGE))); \
	else \
		$(BIN)/ansible-galaxy collection build --output-path .build/ee . && \
		cp .build/ee/inferops-amd-$(COLLECTION_VERSION).tar.gz .build/ee/inferops-amd.tar.gz && \
		$(BIN)/ansible-builder create -f execution-environment.yml -c .build/ee/context && \
		echo "make ee: podman is not installed: rendered the build context only (.build/ee/context);" \
			"apt-get install podman runc debootstrap to build the image"; \
	fi

## ee-base: only the Debian base image of `make ee` (debootstrap -> podman import), cached in /var/cache/inferops-ee.
ee-base: setup
	@$(call cost,$(BIN)/python tests/ee/ee_build.py base)

## docs: the collection's documentation site (antsibull-docs + Sphinx); open .build/docs/html/index.html.
docs: setup
	@$(call cost,bash tests/tools/build_docs.sh .build/docs)

## changelog: fold changelogs/fragments into the release of galaxy.yml's version; CHANGELOG.md.
changelog: setup
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.build/collections $(BIN)/antsibull-changelog release --version $(COLLECTION_VERSION)
	$(BIN)/antsibull-changelog generate

sanity: setup
	$(BIN)/python tests/tools/run_sanity.py $(SANITY_TREE)

## unit and integration run on every core (pytest-xdist, -n auto); integration keeps each test file on one
## worker (--dist loadfile): a file's tests share a fleet and run in order.
unit: setup
	$(BIN)/python -m pytest -q -n auto tests/unit

## llama-server: llama.cpp's server built from source for the integration tests, cached in
## /var/cache/inferops-llama (tests/llama/llama_server_build.py); prints its cost, skipped when cached.
llama-server: setup
	$(BIN)/python tests/llama/llama_server_build.py build

# INFEROPS_REQUIRE_LLAMA_SERVER: tests that need the real llama-server fail instead of skipping.
integration: setup llama-server
	INFEROPS_REQUIRE_LLAMA_SERVER=1 $(BIN)/python -m pytest -q -n auto --dist loadfile tests/integration

## unstable: the llama_cpp role with Debian's packages on a real Debian unstable system (systemd in a podman
## container, image cached in /var/cache/inferops-unstable: tests/debian_unstable/host.py); prints its cost.
## INFEROPS_REQUIRE_UNSTABLE: the tests fail, not skip, where the host cannot run.
unstable: setup llama-server
	@$(call cost,INFEROPS_REQUIRE_UNSTABLE=1 $(BIN)/python -m pytest -q -s -p no:cacheprovider tests/debian_unstable)

## vm: the molecule scenarios (extensions/molecule/) on real VMs: default and vm_grub_failure (GRUB/BIOS), vm_systemd_boot (UEFI); one by hand: bash tests/vm/molecule.sh test -s NAME.
vm: setup
	bash tests/vm/run.sh

## vm-systemd-boot: only the UEFI VM with systemd-boot and kernel-install.
vm-systemd-boot: setup
	INFEROPS_VM_SCENARIOS=vm_systemd_boot bash tests/vm/run.sh

bench: setup
	$(BIN)/python tests/bench/bench_hardware_facts.py --write docs/benchmarks.md

## bench-fleet: site.yml over 7, 25 and 50 simulated hosts next to a one-task play, BENCH_RUNS (3) times each (minutes; CPU heavy).
bench-fleet: setup
	INFEROPS_SIMULATION=1 ANSIBLE_CONNECTION_PLUGINS=$(CURDIR)/tests/simulation/connection_plugins $(BIN)/python tests/bench/bench_fleet.py --hosts $(or $(BENCH_HOSTS),7 25 50) --runs $(or $(BENCH_RUNS),3) --write docs/benchmarks.md

## bench-mitogen: site.yml with mitogen's strategy against ansible-core's linear one, BENCH_HOSTS (50) simulated hosts,
## BENCH_RUNS (1) re-runs each; installs the pinned mitogen into /var/cache/inferops-mitogen (docs/mitogen.md).
bench-mitogen: setup
	INFEROPS_SIMULATION=1 ANSIBLE_CONNECTION_PLUGINS=$(CURDIR)/tests/simulation/connection_plugins $(BIN)/python tests/bench/bench_fleet.py --strategy mitogen_linear --hosts $(or $(BENCH_HOSTS),50) --runs $(or $(BENCH_RUNS),1) --write docs/benchmarks.md

clean:
	rm -rf .build .pytest_cache tests/output changelogs/.plugin-cache.yaml
