"""The simulated systemctl's `show`: systemctl(1)'s KEY=VALUE lines for the states the roles read."""

import os
import subprocess

from tests.unit.simulation.test_simulated_boot_units import unit, write


def systemctl(host, *args):
    proc = subprocess.run([os.path.join(host, "usr/bin/systemctl")] + list(args), capture_output=True, text=True,
                          env=dict(os.environ, INFEROPS_SYSROOT=host), check=False)
    return proc.returncode, proc.stdout.splitlines()


def test_show_follows_enable_and_start_and_takes_property_lists(scratch_host):
    host = scratch_host("strix_halo_arch_ollama")
    write(host, "/etc/systemd/system/idle.service", unit("Type=simple\nExecStart=/bin/sleep 30",
                                                         "WantedBy=multi-user.target"))
    assert systemctl(host, "show", "idle.service", "--property=UnitFileState,ActiveState") == \
        (0, ["UnitFileState=disabled", "ActiveState=inactive"])
    systemctl(host, "enable", "--now", "idle.service")
    try:
        # -p NAME, repeated, asks for the same as one comma-separated list
        assert systemctl(host, "show", "-p", "ActiveState", "-p", "UnitFileState", "idle.service") == \
            (0, ["ActiveState=active", "UnitFileState=enabled"])
    finally:
        systemctl(host, "stop", "idle.service")
    assert systemctl(host, "show", "idle.service", "-p", "ActiveState") == (0, ["ActiveState=inactive"])


def test_show_of_a_unit_that_does_not_exist_is_not_found_not_an_error(scratch_host):
    host = scratch_host("strix_halo_arch_ollama")
    assert systemctl(host, "show", "nothere.service") == \
        (0, ["ActiveState=inactive", "LoadState=not-found", "UnitFileState="])
