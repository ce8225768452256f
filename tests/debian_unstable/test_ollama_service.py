"""The ollama role's service steps against real systemd, on the Debian unstable host.

The unit and integration tests drive the simulated systemctl (tests/simulation/tools/systemctl); this is
where real systemd (Debian unstable's, as PID 1 in the container of tests/debian_unstable/host.py) reads
the two drop-ins the role writes, the settings (inferops.amd.config_file) and the backend's
(inferops.amd.ollama_backend), and inferops.amd.systemd_service enables, starts and restarts the service
as the role's tasks and handler do. No Ollama release can be downloaded here, so a stand-in takes its
place: a script that answers `--version` as Ollama does and sleeps as `serve`, one backend folder so the
installation has a layout, and a unit where a distribution package puts it (/usr/lib/systemd/system).
There is no GPU: the backend is `cpu`. The modules run through Ansible (testinfra's ansible backend,
the test connection tests/debian_unstable/connection_plugins), as the role runs them.

(It ran on molecule's default VM scenario before; the container's real systemd proves the same in
seconds instead of minutes of ssh round trips under software emulation.)
"""

import json

import pytest

from tests.debian_unstable.conftest import container_host

CONTAINER = "inferops-unstable-ollama"

UNIT = "ollama.service"
DROPINS = "/etc/systemd/system/%s.d" % UNIT
STAND_IN = """#!/bin/sh
# Stand-in for the ollama executable (tests/debian_unstable/test_ollama_service.py).
case "$1" in
  --version|-v) echo "ollama version is 0.32.15" ;;
  serve) exec sleep infinity ;;
  *) echo "stand-in ollama: $*" >&2; exit 2 ;;
esac
"""
UNIT_FILE = """[Unit]
Description=Ollama stand-in for the inferops.amd VM test

[Service]
ExecStart=/usr/local/bin/ollama serve

[Install]
WantedBy=multi-user.target
"""
# What the role's settings drop-in (roles/ollama/templates/inferops-settings.conf.j2, quoted by the
# systemd_quote filter) holds for these values, less its comment: a value with a space, quotes and a
# percent sign, which systemd must read back exactly.
SETTINGS = {"OLLAMA_HOST": "127.0.0.1:11434", "OLLAMA_KEEP_ALIVE": "10m",
            "INFEROPS_TEST_NOTE": 'one "quoted" word at 100%'}
SETTINGS_DROPIN = ("[Service]\n"
                   'Environment="INFEROPS_TEST_NOTE=one \\"quoted\\" word at 100%%"\n'
                   'Environment="OLLAMA_HOST=127.0.0.1:11434"\n'
                   'Environment="OLLAMA_KEEP_ALIVE=10m"\n')
# Ollama 0.32.15 with its backend folders: the CPU alone (ollama_release_table, 0.30.1 on).
CPU_ENVIRONMENT = {"ROCR_VISIBLE_DEVICES": "-1", "OLLAMA_VULKAN": "0"}


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    with container_host(tmp_path_factory.mktemp("ollama-service"), CONTAINER) as machine:
        yield machine


def run(host, module, **args):
    """The module's result. The result file of a failed run may lack the ``failed`` key: the tests check effects."""
    return host.ansible(module, json.dumps(args), check=False)


def install_stand_in(host):
    host.run_test("mkdir -p /usr/local/bin /usr/local/lib/ollama/vulkan /usr/lib/systemd/system")
    for dest, content, mode in (("/usr/local/bin/ollama", STAND_IN, "0755"),
                                ("/usr/local/lib/ollama/vulkan/libggml-vulkan.so", "", "0644"),
                                ("/usr/lib/systemd/system/" + UNIT, UNIT_FILE, "0644")):
        result = host.ansible("ansible.builtin.copy", json.dumps(dict(dest=dest, content=content, mode=mode)),
                              check=False)
        assert result.get("dest") == dest and not result.get("failed"), result


def main_pid(host):
    pid = host.run_test("systemctl show %s -p MainPID --value" % UNIT).stdout.strip()
    assert pid.isdigit() and pid != "0", pid
    return pid


def environment_of_the_service(host):
    """The environment systemd gave the running process, from its drop-ins: /proc/<MainPID>/environ."""
    raw = host.run_test("tr '\\0' '\\n' < /proc/%s/environ" % main_pid(host)).stdout
    return raw.splitlines()


def configure(host):
    """The role's steps: settings, backend, restart when either changed (the handler), enabled and running."""
    settings = run(host, "inferops.amd.config_file", path=DROPINS + "/inferops-settings.conf",
                   content=SETTINGS_DROPIN, mode="0644")
    backend = run(host, "inferops.amd.ollama_backend", backend="cpu")
    assert not settings.get("failed") and not backend.get("failed"), (settings, backend)
    if settings["changed"] or backend["changed"]:
        restarted = run(host, "inferops.amd.systemd_service", name=UNIT, state="restarted", daemon_reload=True)
        assert not restarted.get("failed"), restarted
    service = run(host, "inferops.amd.systemd_service", name=UNIT, state="started", enabled=True)
    assert not service.get("failed"), service
    return settings, backend, service


def test_the_settings_and_the_backend_reach_the_process_real_systemd_starts(host):
    install_stand_in(host)
    host.run_test("systemctl daemon-reload")

    settings, backend, service = configure(host)
    assert settings["changed"] and backend["changed"] and backend["restart_required"]
    assert backend["dropin"]["environment"] == CPU_ENVIRONMENT
    assert service["actions"] == ["enable %s" % UNIT], "the handler's restart started it already"
    assert host.run("systemctl is-enabled %s" % UNIT).stdout.strip() == "enabled"
    assert host.run("systemctl is-active %s" % UNIT).stdout.strip() == "active"
    environment = environment_of_the_service(host)
    for name, value in list(SETTINGS.items()) + list(CPU_ENVIRONMENT.items()):
        assert "%s=%s" % (name, value) in environment, environment
    first_pid = main_pid(host)

    settings, backend, service = configure(host)
    assert not (settings["changed"] or backend["changed"] or service["changed"])
    assert main_pid(host) == first_pid, "a re-run neither starts nor restarts"

    # verify writes nothing and, on the running system, asks systemd: the stand-in logs no devices, so it fails
    # waiting for them, naming the journal it read
    verified = run(host, "inferops.amd.ollama_backend", backend="cpu", verify=True, verify_timeout=2)
    assert verified.get("failed") is not False and "no 'inference compute' line" in verified.get("msg", ""), verified
    assert main_pid(host) == first_pid
