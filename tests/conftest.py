"""Shared pytest fixtures: import path for the collection and scratch hosts."""

import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, ".build", "collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from tests.simulation.scratch_host import make_scratch_host, profiles  # noqa: E402

# The tests run the collection against simulated hosts (trees with stand-in tools): the controller's
# switch that lets a tree's files run. A test of the product without it removes the variable itself.
os.environ["INFEROPS_SIMULATION"] = "1"
# The simulated hosts' connection (inventory/simulated: ansible_connection: inferops_simulation), which
# reboots a host's tree for ansible.builtin.reboot: a test-only plugin, found by the playbooks the tests run.
SIMULATION_CONNECTIONS = os.path.join(REPO, "tests", "simulation", "connection_plugins")
os.environ["ANSIBLE_CONNECTION_PLUGINS"] = os.pathsep.join(
    [SIMULATION_CONNECTIONS] + [path for path in os.environ.get("ANSIBLE_CONNECTION_PLUGINS", "").split(os.pathsep)
                                if path and path != SIMULATION_CONNECTIONS])


@pytest.fixture
def scratch_host(tmp_path):
    """Factory: ``scratch_host('r9700_desktop')`` -> path of a fresh writable copy."""
    def make(profile):
        return make_scratch_host(profile, str(tmp_path / profile))
    return make


@pytest.fixture(params=profiles())
def any_host(request, scratch_host):
    """Every recorded host profile, one test run each."""
    return request.param, scratch_host(request.param)
