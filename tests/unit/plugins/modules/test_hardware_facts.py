"""hardware_facts against every recorded host."""

import json
import os

import pytest

from tests.unit.module_runner import run_module

EXPECTED = {
    "r9700_desktop": ("rdna4_discrete", ["0000:03:00.0"]),
    "rx9070xt_chipset": ("rdna4_discrete", ["0000:08:00.0"]),
    "strix_halo_128g": ("strix_halo", ["0000:c5:00.0"]),
    "strix_halo_laptop_64g": ("strix_halo", ["0000:c5:00.0"]),
    "aspm_locked": ("rdna4_discrete", ["0000:03:00.0"]),
    "no_amd_gpu": ("none", []),
    "strix_halo_arch_ollama": ("strix_halo", ["0000:c5:00.0"]),
}


def facts_of(root, **args):
    result = run_module("hardware_facts", dict(sysroot=root, **args))
    assert result["changed"] is False
    return result["ansible_facts"]["inferops_amd"]


@pytest.mark.parametrize("profile", sorted(EXPECTED))
def test_class_and_gpus_of_each_recorded_host(scratch_host, profile):
    facts = facts_of(scratch_host(profile))
    host_class, addresses = EXPECTED[profile]
    assert facts["host_class"] == host_class
    assert [gpu["pci_address"] for gpu in facts["gpus"]] == addresses
    assert "simulated" not in facts  # the facts of the machine, whatever root they were read from
    assert facts["kernel"]["cmdline"][0].startswith("BOOT_IMAGE=")


def test_facts_probe_finds_the_firmware_lock(scratch_host):
    facts = facts_of(scratch_host("aspm_locked"), probe_aspm=True)
    assert facts["aspm"]["changeable"] is False and facts["aspm"]["probed"] is True
    assert "EPERM" in facts["aspm"]["reason"]


def test_probe_changes_nothing(scratch_host):
    root = scratch_host("r9700_desktop")
    policy = os.path.join(root, "sys/module/pcie_aspm/parameters/policy")
    before = open(policy).read()
    facts = facts_of(root, probe_aspm=True)
    assert facts["aspm"] == {"policy": "default", "available": ["default", "performance", "powersave", "powersupersave"],
                             "changeable": True, "reason": None, "probed": True}
    assert open(policy).read() == before


def test_facts_only_read_by_default(scratch_host, monkeypatch):
    """Without probe_aspm the module never writes a kernel attribute, on any host."""
    from ansible_collections.inferops.amd.plugins.module_utils._host import sysroot

    def no_writes(self, path, value):
        raise AssertionError("hardware_facts wrote %r to %s" % (value, path))
    monkeypatch.setattr(sysroot.SysRoot, "write_attribute", no_writes)
    facts = facts_of(scratch_host("r9700_desktop"))
    assert facts["aspm"]["probed"] is False and facts["aspm"]["changeable"] is True


def test_explicit_probe_is_made_in_check_mode_too(scratch_host):
    root = scratch_host("aspm_locked")
    aspm = run_module("hardware_facts", {"sysroot": root, "probe_aspm": True},
                      check_mode=True)["ansible_facts"]["inferops_amd"]["aspm"]
    assert aspm["probed"] is True and "EPERM" in aspm["reason"]


def test_no_probe_on_a_plain_tree_and_the_tree_stays_as_recorded(tmp_path):
    """An extracted capture has no kernel: asking for the probe must not write the policy file."""
    import shutil
    from tests.simulation.scratch_host import FIXTURE_HOSTS
    root = str(tmp_path / "plain")
    shutil.copytree(os.path.join(FIXTURE_HOSTS, "r9700_desktop", "root"), root, symlinks=True)
    policy = os.path.join(root, "sys/module/pcie_aspm/parameters/policy")
    before = open(policy).read()
    facts = facts_of(root, probe_aspm=True)
    assert facts["sysroot"] == root
    assert facts["aspm"]["probed"] is False and facts["aspm"]["policy"] == "default"
    assert open(policy).read() == before


def test_the_probe_finds_the_lock_that_link_files_do_not_show(scratch_host):
    root = scratch_host("aspm_locked")
    assert os.path.isfile(os.path.join(root, "sys/bus/pci/devices/0000:03:00.0/link/l1_aspm"))
    aspm = facts_of(root, probe_aspm=True)["aspm"]
    assert aspm["probed"] is True and aspm["changeable"] is False and "EPERM" in aspm["reason"]
    result = run_module("hardware_facts", {"sysroot": root}, check_mode=True)
    aspm = result["ansible_facts"]["inferops_amd"]["aspm"]
    assert aspm["probed"] is False and aspm["changeable"] is True and aspm["reason"] is None
    with open(os.path.join(root, "sys/module/pcie_aspm/parameters/policy")) as handle:
        assert handle.read() == "[default] performance powersave powersupersave \n"


def test_check_mode_on_a_host_with_link_controls_reports_changeable(scratch_host):
    result = run_module("hardware_facts", {"sysroot": scratch_host("r9700_desktop")}, check_mode=True)
    aspm = result["ansible_facts"]["inferops_amd"]["aspm"]
    assert aspm["probed"] is False and aspm["changeable"] is True and aspm["reason"] is None


def test_pcie_aspm_off_on_the_command_line_is_not_changeable(scratch_host):
    root = scratch_host("r9700_desktop")
    with open(os.path.join(root, "proc/cmdline"), "a") as handle:
        handle.write("")
    with open(os.path.join(root, "proc/cmdline"), "w") as handle:
        handle.write("BOOT_IMAGE=/boot/vmlinuz ro pcie_aspm=off\n")
    aspm = facts_of(root, probe_aspm=False)["aspm"]
    assert aspm["changeable"] is False and "pcie_aspm=off" in aspm["reason"]


def test_ryzenadj_presence(scratch_host):
    root = scratch_host("strix_halo_128g")
    assert facts_of(root)["ryzenadj_installed"] is False
    tool = os.path.join(root, "usr/bin/ryzenadj")
    with open(tool, "w") as handle:
        handle.write("#!/bin/sh\n")
    os.chmod(tool, 0o755)
    assert facts_of(root)["ryzenadj_installed"] is True


def test_empty_root_gives_nulls_not_errors(tmp_path):
    facts = facts_of(str(tmp_path))
    assert facts["host_class"] == "none" and facts["gpus"] == []
    assert facts["aspm"]["policy"] is None and facts["aspm"]["changeable"] is False
    assert facts["memory_total_bytes"] is None


def test_missing_sysroot_fails_clearly(tmp_path):
    result = run_module("hardware_facts", {"sysroot": str(tmp_path / "missing")}, expect_failure=True)
    assert "is not a directory" in result["msg"]


def _install_tool(root, machine_path, executable=True):
    path = os.path.join(root, machine_path.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write("#!/bin/sh\n")
    os.chmod(path, 0o755 if executable else 0o644)


def test_tools_are_machine_paths_found_in_search_order(scratch_host):
    root = scratch_host("strix_halo_128g")
    for name in ("ollama", "tuned-adm"):
        for folder in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"):
            if os.path.exists(os.path.join(root, folder.lstrip("/"), name)):
                os.unlink(os.path.join(root, folder.lstrip("/"), name))
    assert facts_of(root)["tools"]["ollama"] is None
    _install_tool(root, "/usr/bin/ollama")
    assert facts_of(root)["tools"]["ollama"] == "/usr/bin/ollama"
    # the release archive's /usr/local/bin comes first, as on PATH
    _install_tool(root, "/usr/local/bin/ollama")
    _install_tool(root, "/usr/sbin/tuned-adm", executable=False)
    tools = facts_of(root)["tools"]
    assert tools["ollama"] == "/usr/local/bin/ollama"
    assert tools["tuned-adm"] is None, "a file that is not executable is no tool"
    assert sorted(tools) == ["ollama", "ryzenadj", "systemctl", "tuned-adm"]


def test_tuned_is_the_selected_profile_and_whether_its_daemon_runs(scratch_host):
    root = scratch_host("strix_halo_128g")
    # recorded: the profile file, no daemon PID file: a preset
    assert facts_of(root)["tuned"] == {"profile": "balanced", "running": False}
    os.makedirs(os.path.join(root, "run/tuned"))
    with open(os.path.join(root, "run/tuned/tuned.pid"), "w") as handle:
        handle.write("812")
    assert facts_of(root)["tuned"] == {"profile": "balanced", "running": True}


def test_tuned_is_none_without_tuned_adm(scratch_host):
    root = scratch_host("r9700_desktop")
    assert facts_of(root)["tools"]["tuned-adm"] is None and facts_of(root)["tuned"] is None


def _set_simulated_ollama_version(root, version):
    marker = os.path.join(root, ".inferops-simulation.json")
    with open(marker) as handle:
        data = json.load(handle)
    data.setdefault("ollama", {})["version"] = version
    with open(marker, "w") as handle:
        json.dump(data, handle)


def _install_script(root, machine_path, body):
    _install_tool(root, machine_path)
    with open(os.path.join(root, machine_path.lstrip("/")), "a") as handle:
        handle.write(body)


@pytest.mark.parametrize("profile, executable", [("rx9070xt_chipset", "/usr/local/bin/ollama"),
                                                 ("strix_halo_arch_ollama", "/usr/bin/ollama")])
def test_ollama_version_is_what_the_ollama_found_prints(scratch_host, profile, executable):
    root = scratch_host(profile)
    _set_simulated_ollama_version(root, "0.31.2")
    facts = facts_of(root)
    assert facts["tools"]["ollama"] == executable
    assert facts["ollama_version"] == "0.31.2"


def test_ollama_version_is_the_executable_s_own_over_an_older_server_s(scratch_host):
    root = scratch_host("r9700_desktop")
    _install_script(root, "/usr/local/bin/ollama",
                    'echo "ollama version is 0.13.5"\necho "Warning: client version is 0.33.0-rc1"\n')
    assert facts_of(root)["ollama_version"] == "0.33.0-rc1"


def test_ollama_version_is_none_without_ollama_or_without_a_version(scratch_host, tmp_path):
    root = scratch_host("r9700_desktop")
    marker = tmp_path / "ran"
    assert facts_of(root)["tools"]["ollama"] is None and facts_of(root)["ollama_version"] is None
    _install_script(root, "/usr/bin/ollama", "touch '%s'\necho 'bash: no version here' >&2\nexit 127\n" % marker)
    assert facts_of(root)["ollama_version"] is None
    assert marker.exists(), "the ollama found was asked"


def test_the_ollama_of_a_plain_tree_never_runs_and_its_version_is_unknown(scratch_host, tmp_path, monkeypatch):
    monkeypatch.delenv("INFEROPS_SIMULATION")
    root = scratch_host("r9700_desktop")
    marker = tmp_path / "ran"
    _install_script(root, "/usr/local/bin/ollama", "touch '%s'\necho 'ollama version is 0.32.15'\n" % marker)
    facts = facts_of(root)
    assert facts["tools"]["ollama"] == "/usr/local/bin/ollama"
    assert facts["ollama_version"] is None
    assert not marker.exists()
