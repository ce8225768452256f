"""ollama_backend's `start` and `environment` against the VM's real systemd.

The unit tests drive the simulated systemctl (tests/simulation/tools/systemctl); this is where real
systemd answers `systemctl show`, `enable`, `daemon-reload`, `start` and `mask`, and reads the settings
drop-in the module writes. No Ollama release can be downloaded here, so a stand-in takes its place:
a script that answers `--version` as Ollama does and sleeps as `serve`, one backend folder so the
installation has a layout, and a unit where a distribution package puts it (/usr/lib/systemd/system,
so that `systemctl mask` can mask it). The VM has no GPU: the backend is `auto`.
"""

import json

UNIT = "ollama.service"
STAND_IN = """#!/bin/sh
# Stand-in for the ollama executable (molecule/default/tests/test_vm_ollama_service.py).
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
# A value with a space, quotes and a percent sign: systemd must read back exactly this.
SETTINGS = {"OLLAMA_HOST": "127.0.0.1:11434", "OLLAMA_KEEP_ALIVE": "10m",
            "INFEROPS_TEST_NOTE": 'one "quoted" word at 100%'}


def module(host, **args):
    """The module's result; ``ok`` tells success (the result file of a failed run has no ``failed`` key)."""
    result = host.ansible("inferops.amd.ollama_backend", json.dumps(dict(backend="auto", start=True, **args)),
                          check=False)
    result["ok"] = "backend" in result and not result.get("failed")
    return result


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


def test_start_enables_and_starts_through_real_systemd_and_then_only_reads(host):
    install_stand_in(host)
    host.run_test("systemctl daemon-reload")

    host.run_test("systemctl mask %s" % UNIT)
    masked = module(host, environment=SETTINGS)
    host.run_test("systemctl unmask %s" % UNIT)
    assert not masked["ok"] and "is masked" in masked.get("msg", ""), masked
    assert not host.file("/etc/systemd/system/%s.d/inferops-settings.conf" % UNIT).exists, \
        "refused before anything was written"

    first = module(host, environment=SETTINGS)
    assert first["ok"], first
    assert first["changed"] and first["service"]["actions"] == ["enable", "start"]
    assert first["service"]["before"]["UnitFileState"] == "disabled"
    assert first["service"]["before"]["ActiveState"] == "inactive"
    assert first["restart_required"] is False, "the one start ran the new settings"
    assert host.run("systemctl is-enabled %s" % UNIT).stdout.strip() == "enabled"
    assert host.run("systemctl is-active %s" % UNIT).stdout.strip() == "active"
    environment = environment_of_the_service(host)
    for name, value in SETTINGS.items():
        assert "%s=%s" % (name, value) in environment, environment
    first_pid = main_pid(host)

    again = module(host, environment=SETTINGS)
    assert again["ok"], again
    assert again["changed"] is False and again["service"]["actions"] == []
    assert main_pid(host) == first_pid, "a re-run neither starts nor restarts"

    changed = module(host, environment=dict(SETTINGS, OLLAMA_KEEP_ALIVE="30m"), restart=True)
    assert changed["ok"], changed
    assert changed["restarted"] and changed["service"]["actions"] == []
    assert main_pid(host) != first_pid
    assert "OLLAMA_KEEP_ALIVE=30m" in environment_of_the_service(host)
