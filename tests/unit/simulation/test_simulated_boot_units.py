"""Simulated boot and suspend/resume: firmware state is lost, enabled oneshot units run."""

import json
import os

from tests.simulation import simulated_boot


def write(host, path, text, mode=0o644):
    full = os.path.join(host, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(full, mode)


def enable(host, unit, *targets):
    for target in targets:
        link = os.path.join(host, "etc/systemd/system/%s.wants/%s" % (target, unit))
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink("/etc/systemd/system/" + unit, link)


RECORDER = "#!/bin/sh\necho \"$@\" >> \"$INFEROPS_SYSROOT/var/log/recorded\"\n"


def recorded(host):
    path = os.path.join(host, "var/log/recorded")
    if not os.path.exists(path):
        return []
    with open(path, "r", encoding="utf-8") as handle:
        return handle.read().splitlines()


def unit(service, install="", unit_section=""):
    return "[Unit]\n%s\n[Service]\n%s\n[Install]\n%s\n" % (unit_section, service, install)


def test_firmware_state_is_lost_at_reboot_and_at_suspend(scratch_host):
    host = scratch_host("r9700_desktop")
    for step in ("reboot", "suspend_resume"):
        write(host, simulated_boot.FIRMWARE_STATE_DIR + "/smu.json", "{}")
        getattr(simulated_boot.load(host), step)()
        assert os.listdir(os.path.join(host, simulated_boot.FIRMWARE_STATE_DIR.lstrip("/"))) == []


def test_boot_runs_enabled_oneshot_units_of_multi_user_target_only(scratch_host):
    host = scratch_host("r9700_desktop")
    write(host, "/usr/bin/recorder", RECORDER, 0o755)
    write(host, "/etc/systemd/system/a.service", unit("Type=oneshot\nExecStart=/usr/bin/recorder a1\n"
                                                      "ExecStart=-/usr/bin/recorder a2"))
    write(host, "/etc/systemd/system/b.service", unit("Type=simple\nExecStart=/usr/bin/recorder b"))
    write(host, "/etc/systemd/system/c.service", unit("Type=oneshot\nExecStart=/usr/bin/recorder c"))
    enable(host, "a.service", "multi-user.target")
    enable(host, "b.service", "multi-user.target")
    simulated_boot.load(host).reboot()
    assert recorded(host) == ["a1", "a2"]
    journal = os.path.join(host, "var/log/inferops-sim/journal/a.service.jsonl")
    assert os.path.exists(journal)


def test_drop_in_empty_exec_start_resets_the_list(scratch_host):
    host = scratch_host("r9700_desktop")
    write(host, "/usr/bin/recorder", RECORDER, 0o755)
    write(host, "/etc/systemd/system/a.service", unit("Type=oneshot\nExecStart=/usr/bin/recorder old"))
    write(host, "/etc/systemd/system/a.service.d/override.conf", "[Service]\nExecStart=\nExecStart=/usr/bin/recorder new\n")
    enable(host, "a.service", "multi-user.target")
    simulated_boot.load(host).reboot()
    assert recorded(host) == ["new"]


def test_sleep_orders_units_before_and_after_wake_up(scratch_host):
    host = scratch_host("r9700_desktop")
    write(host, "/usr/bin/recorder", RECORDER, 0o755)
    # Ordered after the sleep target: runs once the machine is awake again.
    write(host, "/etc/systemd/system/resume.service",
          unit("Type=oneshot\nExecStart=/usr/bin/recorder resume", unit_section="After=suspend.target hibernate.target"))
    # systemd.special(7) pattern: ExecStart before sleep, ExecStop after wake-up.
    write(host, "/etc/systemd/system/pair.service",
          unit("Type=oneshot\nRemainAfterExit=yes\nExecStart=/usr/bin/recorder pre\nExecStop=/usr/bin/recorder post",
               unit_section="DefaultDependencies=no\nStopWhenUnneeded=yes\nBefore=sleep.target"))
    enable(host, "resume.service", "suspend.target")
    enable(host, "pair.service", "sleep.target")
    write(host, simulated_boot.FIRMWARE_STATE_DIR + "/smu.json", "{}")
    simulated_boot.load(host).suspend_resume()
    assert recorded(host) == ["pre", "post", "resume"]
    simulated_boot.load(host).suspend_resume("hibernate")
    # resume.service is not wanted by hibernate.target: only the sleep.target unit runs.
    assert recorded(host)[3:] == ["pre", "post"]
    with open(os.path.join(host, simulated_boot.MARKER), "r", encoding="utf-8") as handle:
        assert json.load(handle)["suspend_count"] == 2
