"""What the Debian unstable host's tests share."""

import contextlib
import json
import os
import sys

import pytest
import testinfra

from tests.debian_unstable import host
from tests.integration.conftest import REPO

HERE = os.path.dirname(os.path.abspath(__file__))


def require_host():
    """Skip where this machine cannot run the host; fail instead under INFEROPS_REQUIRE_UNSTABLE=1 (`make unstable`)."""
    reason = host.missing()
    if reason:
        message = "the Debian unstable host cannot run here: " + reason
        if os.environ.get("INFEROPS_REQUIRE_UNSTABLE") == "1":
            pytest.fail(message)
        pytest.skip(message)


@contextlib.contextmanager
def container_host(folder, container):
    """A started container NAME as a testinfra host over Ansible; removed afterwards.

    testinfra runs `ansible` in this process's environment: this venv's, with the test connection
    (tests/debian_unstable/connection_plugins), this checkout's settings (the collection from
    .build/collections) and no simulation switch (a real system at /). ``folder`` gets the inventory.
    """
    require_host()
    inventory = os.path.join(str(folder), "inventory.yml")
    with open(inventory, "w") as handle:
        json.dump({"all": {"hosts": {container: {
            "ansible_connection": "inferops_podman", "ansible_python_interpreter": "/usr/bin/python3"}}}}, handle)
    saved = dict(os.environ)
    os.environ.update(ANSIBLE_CONNECTION_PLUGINS=os.path.join(HERE, "connection_plugins"), INFEROPS_SIMULATION="0",
                      ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
                      PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    host.start(container)
    try:
        yield testinfra.get_host("ansible://%s?ansible_inventory=%s&force_ansible=true" % (container, inventory))
    finally:
        host.stop(container)
        os.environ.clear()
        os.environ.update(saved)
