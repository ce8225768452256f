"""The unit that re-applies RyzenAdj limits at boot and after resume, byte for byte."""

import os

from ansible_collections.inferops.amd.plugins.module_utils._ryzenadj import unit as ryzenadj_unit
from ansible_collections.inferops.amd.plugins.module_utils._systemd import units as systemd_unit
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot

HP_UNIT = """\
# Managed by Ansible (inferops.amd.ryzenadj); local changes are overwritten.

[Unit]
Description=Apply RyzenAdj power limits (at boot and after resume)
Documentation=https://github.com/FlyGoat/RyzenAdj
After=systemd-modules-load.service
After=suspend.target hibernate.target hybrid-sleep.target suspend-then-hibernate.target

[Service]
Type=oneshot
ExecStart=/usr/bin/ryzenadj --stapm-limit=85000 --fast-limit=85000 --slow-limit=85000 --apu-slow-limit=85000

[Install]
WantedBy=multi-user.target suspend.target hibernate.target hybrid-sleep.target suspend-then-hibernate.target
"""


def test_unit_content():
    flags = ["--stapm-limit=85000", "--fast-limit=85000", "--slow-limit=85000", "--apu-slow-limit=85000"]
    assert ryzenadj_unit.render("/usr/bin/ryzenadj", flags) == HP_UNIT
    assert ryzenadj_unit.UNIT_FILE == "/etc/systemd/system/inferops-ryzenadj.service"


def test_firmware_caps_are_recorded_and_read_back_for_the_same_request():
    flags = ["--stapm-limit=85000", "--slow-limit=85000"]
    text = ryzenadj_unit.render("/usr/bin/ryzenadj", flags, {"slow-limit": 70000})
    assert text.splitlines()[:2] == ["# Managed by Ansible (inferops.amd.ryzenadj); local changes are overwritten.",
                                     "# Firmware kept: slow-limit=70000"]
    assert ryzenadj_unit.exec_flags(text) == {"stapm-limit": 85000, "slow-limit": 85000}
    assert ryzenadj_unit.known_caps(text) == {"slow-limit": (85000, 70000)}
    assert ryzenadj_unit.known_caps(None) == {} and ryzenadj_unit.known_caps(HP_UNIT) == {}


def test_no_remain_after_exit_so_every_resume_starts_it_again():
    assert "RemainAfterExit" not in HP_UNIT


def test_exec_quoting():
    assert systemd_unit.quote_exec_argv(["/opt/my tools/ryzenadj", "--x=50%", "$HOME", 'a"b']) == \
        '"/opt/my tools/ryzenadj" --x=50%% $$HOME "a\\"b"'


def test_enabled_means_every_wanted_by_link(tmp_path):
    root = SysRoot(str(tmp_path))
    assert ryzenadj_unit.is_enabled(root) is False
    links = systemd_unit.wants_links(ryzenadj_unit.UNIT_NAME, ryzenadj_unit.WANTED_BY)
    assert links[0] == "/etc/systemd/system/multi-user.target.wants/inferops-ryzenadj.service"
    for index, link in enumerate(links):
        real = root.path(link)
        os.makedirs(os.path.dirname(real))
        os.symlink("/etc/systemd/system/inferops-ryzenadj.service", real)  # dangling inside the tree, as on a real host
        assert ryzenadj_unit.is_enabled(root) is (True if index == len(links) - 1 else None)
