"""The recorded hosts and the tool that copies them: every profile is complete and copies cleanly."""

import json
import os

import pytest

from tests.simulation import simulated_boot
from tests.simulation.scratch_host import FIXTURE_HOSTS, TOOLS, make_scratch_host, profiles


@pytest.mark.parametrize("profile", profiles())
def test_profile_has_provenance_and_only_known_tools(profile):
    folder = os.path.join(FIXTURE_HOSTS, profile)
    assert os.path.getsize(os.path.join(folder, "PROVENANCE.md")) > 200
    with open(os.path.join(folder, "simulation.json")) as handle:
        config = json.load(handle)
    missing = [name for name in config.get("tools", {}) if not os.path.isfile(os.path.join(TOOLS, name))]
    assert missing == []


def test_scratch_copy_is_simulated_and_records_boot_defaults(tmp_path):
    root = make_scratch_host("r9700_desktop", str(tmp_path / "host"))
    kernel = simulated_boot.load(root)
    defaults = kernel.config["boot_defaults"]
    assert any(path.endswith("/pp_power_profile_mode") for path in defaults)
    # the links' firmware state, which a boot under pcie_aspm.policy=default restores
    links = kernel.config["pcie_links"]
    assert links["/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0/0000:02:00.0"]["default"]["l1_aspm"] == 1
    assert "clkpm" not in links["/sys/devices/pci0000:00/0000:00:01.1"]["capable"]
    assert kernel.config["aspm_disabled"] is False
    assert kernel.config["boot_count"] == 0


def test_scratch_copy_refuses_a_non_empty_destination(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("x")
    with pytest.raises(SystemExit, match="non-empty"):
        make_scratch_host("r9700_desktop", str(tmp_path / "busy"))


def test_unknown_profile_lists_the_known_ones(tmp_path):
    with pytest.raises(SystemExit, match="unknown host profile 'nope'; known: aspm_locked"):
        make_scratch_host("nope", str(tmp_path / "x"))


def test_installed_tools_act_on_their_own_tree(tmp_path):
    root = make_scratch_host("strix_halo_128g", str(tmp_path / "host"))
    import subprocess
    out = subprocess.run([os.path.join(root, "usr/sbin/tuned-adm"), "active"], capture_output=True, text=True,
                         env={"PATH": os.environ["PATH"]}, check=True).stdout
    # the recording has the profile file but no daemon PID file (/run is not recorded): a preset
    assert out.splitlines()[-1] == "Preset profile: balanced"
