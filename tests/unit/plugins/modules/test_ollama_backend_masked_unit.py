"""A masked ollama.service, as the simulated systemctl reports it (issue 24).

The stand-in reported a masked unit as enabled, so a refusal to start it was never exercised outside
the VM. Starting the service is inferops.amd.systemd_service's work now (its tests refuse a masked
unit); ollama_backend only selects the backend, and selecting for a masked unit writes its drop-in
like any other (systemd reads it once the unit is unmasked). systemd reports a unit whose file in /etc/systemd/system is a symlink to /dev/null as
LoadState=masked and UnitFileState=masked (src/shared/install.c, unit_file_get_state).
"""

import os
import subprocess

from tests.unit.module_runner import run_module

UNIT = "etc/systemd/system/ollama.service"


def systemctl(root, *args):
    proc = subprocess.run([os.path.join(root, "usr/bin/systemctl")] + list(args), capture_output=True, text=True,
                          env=dict(os.environ, INFEROPS_SYSROOT=root), check=False)
    return proc.returncode, proc.stdout.split(), proc.stderr


def mask(root):
    """The unit as a distribution package installs it (/usr/lib), masked by the admin (systemctl mask)."""
    vendor = os.path.join(root, "usr/lib/systemd/system/ollama.service")
    os.makedirs(os.path.dirname(vendor), exist_ok=True)
    os.rename(os.path.join(root, UNIT), vendor)
    os.symlink("/dev/null", os.path.join(root, UNIT))


def snapshot(root):
    found = {}
    for folder, _dirs, files in os.walk(os.path.join(root, "etc/systemd")):
        for name in files:
            path = os.path.join(folder, name)
            found[path] = os.readlink(path) if os.path.islink(path) else open(path, "rb").read()
    return found


def test_the_simulated_systemctl_reports_a_masked_unit_as_systemd_does(scratch_host):
    root = scratch_host("rx9070xt_chipset")
    mask(root)
    assert systemctl(root, "show", "ollama.service", "-p", "LoadState", "-p", "UnitFileState")[1] == \
        ["LoadState=masked", "UnitFileState=masked"]
    assert systemctl(root, "is-enabled", "ollama.service")[:2] == (1, ["masked"])
    rc, _out, err = systemctl(root, "enable", "ollama.service")
    assert rc == 1 and "is masked" in err


def test_selecting_for_a_masked_unit_writes_only_the_backend_dropin(scratch_host):
    root = scratch_host("rx9070xt_chipset")
    mask(root)
    before = snapshot(root)
    result = run_module("ollama_backend", dict(sysroot=root, backend="vulkan"))
    assert result["changed"] and result["restart_required"]
    after = snapshot(root)
    dropin = os.path.join(root, "etc/systemd/system/ollama.service.d/inferops-backend.conf")
    assert sorted(set(after) - set(before)) == [dropin]
    assert dict((k, v) for k, v in after.items() if k != dropin) == before
