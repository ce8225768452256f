"""Every parser over real files from other projects (tests/fixtures/real_world, sources in its SOURCES.md).

The expected values are read off the fixture files themselves (the line with the ``*``, the
table row, the log line), never taken from this collection's output.
"""

import os
import shutil

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import cards as amd_gpu
from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import power as amdgpu_power
from ansible_collections.inferops.amd.plugins.module_utils._ollama import install as ollama_install
from ansible_collections.inferops.amd.plugins.module_utils._ollama import log as ollama_log
from ansible_collections.inferops.amd.plugins.module_utils._pci import devices as pci_devices
from ansible_collections.inferops.amd.plugins.module_utils._ryzenadj import info as ryzenadj_info
from ansible_collections.inferops.amd.plugins.module_utils._amdgpu.profile_table import (
    active_profile,
    parse_power_profile_mode,
    profile_index,
)
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot

REAL = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "real_world")
SMU11_MODES = list(range(7))
ALL_EIGHT = list(range(8))


def fixture(*parts):
    return os.path.join(REAL, *parts)


def read(*parts):
    with open(fixture(*parts), "rb") as handle:
        return handle.read()


def text(*parts):
    return read(*parts).decode("utf-8")


# (file, indexes listed, active mode) as each file shows them.
PROFILE_FILES = [
    (("amdgpu-sysfs-rs", "rx7600s"), ALL_EIGHT, "VR"),                 # Navi 33: "4 VR            * 5 COMPUTE"
    (("lact", "rx7600s", "card1"), ALL_EIGHT, "VR"),
    (("amdgpu-sysfs-rs", "rx7700s"), ALL_EIGHT, "BOOTUP_DEFAULT"),     # Navi 33: "0 BOOTUP_DEFAULT* 1 ..."
    (("amdgpu-sysfs-rs", "rx7800xt"), ALL_EIGHT, "BOOTUP_DEFAULT"),
    (("amdgpu-sysfs-rs", "rx7900xt"), ALL_EIGHT, "BOOTUP_DEFAULT"),
    (("lact", "rx7900xtx", "card0"), ALL_EIGHT, "BOOTUP_DEFAULT"),
    (("amdgpu-sysfs-rs", "rx9070xt"), ALL_EIGHT, "3D_FULL_SCREEN"),
    (("lact", "rx9070", "card1"), ALL_EIGHT, "3D_FULL_SCREEN"),
    (("amdgpu-sysfs-rs", "rx6900xt"), SMU11_MODES, "BOOTUP_DEFAULT"),  # 4 KiB with trailing NUL bytes
    (("lact", "rx5500xt", "card1"), SMU11_MODES, "COMPUTE"),
    (("lact", "rx5700xt", "card1"), SMU11_MODES, "CUSTOM"),
    (("lact", "rx6600", "card1"), SMU11_MODES, "3D_FULL_SCREEN"),
    (("amdgpu-sysfs-rs", "rx580"), SMU11_MODES, "3D_FULL_SCREEN"),     # smu7: "1 3D_FULL_SCREEN *:"
    (("amdgpu-sysfs-rs", "vega56"), SMU11_MODES, "BOOTUP_DEFAULT"),
    (("amdgpu-sysfs-rs", "internal-4800h"), [1, 3, 4, 5, 6], "VIDEO"),  # Renoir APU, no header
    (("lact", "vangogh", "card0"), [1, 3, 4, 5, 6, 8, 9], None),        # Van Gogh: no mode marked
]
NAMES = ["BOOTUP_DEFAULT", "3D_FULL_SCREEN", "POWER_SAVING", "VIDEO", "VR", "COMPUTE", "CUSTOM", "WINDOW_3D",
         "CAPPED", "UNCAPPED"]


def _file_id(value):
    return "/".join(value) if isinstance(value, tuple) else None


@pytest.mark.parametrize("folder,indexes,active", PROFILE_FILES, ids=_file_id)
def test_every_real_profile_table_parses_with_its_active_mode(folder, indexes, active):
    raw = read(*(folder + ("pp_power_profile_mode",)))
    modes = parse_power_profile_mode(raw.replace(b"\0", b"").decode("utf-8"))
    # amdgpu_pp_profile_name[] order is the index order on every generation.
    assert [(m.index, m.name) for m in modes] == [(i, NAMES[i]) for i in indexes]
    assert active_profile(modes) == active


def test_navi33_compute_is_index_5_and_custom_is_listed_but_refused():
    modes = parse_power_profile_mode(text("amdgpu-sysfs-rs", "rx7600s", "pp_power_profile_mode"))
    assert profile_index(modes, "COMPUTE") == 5
    with pytest.raises(ValueError, match="'CUSTOM' is listed by this card \\(index 6\\)"):
        profile_index(modes, "CUSTOM")


def add_gpu(tree, bdf, files):
    """Lay out /sys/bus/pci/devices/<bdf> with the given {attribute: fixture path or bytes}."""
    base = os.path.join(tree, "sys", "bus", "pci", "devices", bdf)
    for name, source in files.items():
        path = os.path.join(base, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(source, bytes):
            with open(path, "wb") as handle:
                handle.write(source)
        else:
            shutil.copyfile(fixture(*source), path)
    return base


def add_kfd_node(tree, node, source):
    folder = os.path.join(tree, "sys", "class", "kfd", "kfd", "topology", "nodes", str(node))
    os.makedirs(folder)
    shutil.copyfile(fixture(*source), os.path.join(folder, "properties"))


# (LACT folder, PCI address from its uevent PCI_SLOT_NAME, gfx target KFD reports)
APUS = [("vangogh", "card0", "0000:04:00.0", "gfx1033"),
        ("phoenix", "card1", "0000:64:00.0", "gfx1103"),
        ("strixpoint", "card1", "0000:c1:00.0", "gfx1150")]


@pytest.mark.parametrize("card,drm,bdf,gfx", APUS)
def test_apus_of_lact_captures_are_integrated(tmp_path, card, drm, bdf, gfx):
    tree = str(tmp_path)
    files = {"vendor": ("lact", card, drm, "vendor")}
    if card == "vangogh":  # LACT keeps no device/class file for it; its uevent says PCI_ID=1002:163F, PCI_CLASS=30000
        files.update({"device": b"0x163f\n", "class": b"0x030000\n"})
    else:
        files.update({"device": ("lact", card, drm, "device"), "class": ("lact", card, drm, "class")})
    add_gpu(tree, bdf, files)
    add_kfd_node(tree, 1, ("lact", card, "kfd_node1", "properties"))
    gpus = amd_gpu.gather_gpus(SysRoot(tree))
    assert [(g["pci_address"], g["gfx_target"], g["integrated"]) for g in gpus] == [(bdf, gfx, True)]


@pytest.mark.parametrize("card,device_id", [("rx580", "0x67df"), ("vega56", "0x687f")])
def test_discrete_cards_of_amdgpu_sysfs_rs_are_not_integrated(tmp_path, card, device_id):
    tree = str(tmp_path)
    add_gpu(tree, "0000:09:00.0", dict((name, ("amdgpu-sysfs-rs", card, name))
                                       for name in ("vendor", "device", "class", "power_dpm_force_performance_level",
                                                    "pp_power_profile_mode")))
    gpu = amd_gpu.gather_gpus(SysRoot(tree))[0]
    assert gpu["device_id"] == device_id and gpu["integrated"] is False
    assert gpu["performance_level"] == "auto"


def test_raven_device_id_is_integrated_without_kfd():
    # amdgpu_drv.c pciidlist: 0x15dd CHIP_RAVEN|AMD_IS_APU
    assert amd_gpu.is_integrated("0x15dd", None) is True
    assert amd_gpu.is_integrated("0x67df", None) is False


def test_nul_padded_attributes_read_as_their_values(tmp_path):
    """amdgpu-sysfs-rs's rx6900xt files are 4 KiB: the value, then NUL bytes."""
    tree = str(tmp_path)
    add_gpu(tree, "0000:0c:00.0", dict((name, ("amdgpu-sysfs-rs", "rx6900xt", name)) for name in (
        "vendor", "class", "power_dpm_force_performance_level", "pp_power_profile_mode")))
    root = SysRoot(tree)
    assert read("amdgpu-sysfs-rs", "rx6900xt", "vendor").endswith(b"\0")
    assert pci_devices.class_code(root, "0000:0c:00.0") == 0x0300
    assert amd_gpu.list_amd_gpus(root) == ["0000:0c:00.0"]
    gpu = amd_gpu.gather_gpus(root)[0]
    assert (gpu["vendor_id"], gpu["performance_level"], gpu["power_profile"]) == ("0x1002", "auto", "BOOTUP_DEFAULT")
    state = amdgpu_power.CardPower(root, "0000:0c:00.0")
    assert state.profile == "BOOTUP_DEFAULT" and state.modes_error is None


def navi33_tree(tmp_path):
    tree = str(tmp_path)
    add_gpu(tree, "0000:03:00.0", {
        "vendor": ("amdgpu-sysfs-rs", "rx7600s", "vendor"), "class": b"0x030000\n", "device": b"0x7480\n",
        "power_dpm_force_performance_level": ("amdgpu-sysfs-rs", "rx7600s", "power_dpm_force_performance_level"),
        "pp_power_profile_mode": ("amdgpu-sysfs-rs", "rx7600s", "pp_power_profile_mode"),
        "hwmon/hwmon5/power1_cap": b"90000000\n"})
    return tree


def test_navi33_card_plans_compute_and_reads_it_back(tmp_path):
    tree = navi33_tree(tmp_path)
    root = SysRoot(tree)
    state = amdgpu_power.CardPower(root, "0000:03:00.0")
    assert (state.level, state.profile) == ("manual", "VR")
    plan = amdgpu_power.plan_card(state, profile="compute")
    assert [w.as_dict() for w in plan.writes] == [{
        "path": "/sys/bus/pci/devices/0000:03:00.0/pp_power_profile_mode", "value": "5", "setting": "power_profile"}]
    # What smu_v13_0_7_get_power_profile_mode() prints once COMPUTE is active: "%d %-14s%s" with "* ".
    path = os.path.join(tree, "sys", "bus", "pci", "devices", "0000:03:00.0", "pp_power_profile_mode")
    before = text("amdgpu-sysfs-rs", "rx7600s", "pp_power_profile_mode")
    after = before.replace("4 VR            * 5 COMPUTE         6", "4 VR              5 COMPUTE       * 6")
    assert after != before
    with open(path, "w") as handle:
        handle.write(after)
    assert amdgpu_power.CardPower(root, "0000:03:00.0").snapshot()["power_profile"] == "COMPUTE"


def test_custom_active_card_is_told_custom_cannot_be_chosen(tmp_path):
    tree = str(tmp_path)
    add_gpu(tree, "0000:03:00.0", {"vendor": ("amdgpu-sysfs-rs", "rx580", "vendor"), "class": b"0x030000\n",
                                   "power_dpm_force_performance_level": b"manual\n",
                                   "pp_power_profile_mode": ("lact", "rx5700xt", "card1", "pp_power_profile_mode")})
    state = amdgpu_power.CardPower(SysRoot(tree), "0000:03:00.0")
    assert state.profile == "CUSTOM"
    with pytest.raises(amdgpu_power.AmdgpuPowerError) as caught:
        amdgpu_power.plan_card(state, profile="CUSTOM")
    assert "not offered" not in str(caught.value)
    assert "'CUSTOM' is listed by this card (index 6)" in str(caught.value)
    assert amdgpu_power.plan_card(state, profile="COMPUTE").writes[0].value == "5"


# (file, family, version, pm table, {parameter: value}) as the table shows them.
RYZENADJ = [
    ("krackan-v0.16.0-pr343.txt", "Krackan", "v0.16.0", "650005",
     {"stapm-limit": 46.0, "fast-limit": 46.0, "slow-limit": 35.0, "apu-slow-limit": None, "tctl-temp": None}),
    ("cezanne-v0.8.2-issue172.txt", "Cezanne", "v0.8.2", "400005",
     {"stapm-limit": 216.0, "fast-limit": 216.0, "slow-limit": 190.0, "apu-slow-limit": 100.0, "vrm-current": 74.0}),
    ("rembrandt-v0.16.0-issue315.txt", "Rembrandt", "v0.16.0", "450005",
     {"stapm-limit": 5.0, "fast-limit": 5.0, "slow-limit": 2.0, "apu-slow-limit": 2.0, "stapm-time": None}),
]


@pytest.mark.parametrize("name,family,version,pm_table,values", RYZENADJ)
def test_ryzenadj_info_pastes(name, family, version, pm_table, values):
    info = ryzenadj_info.parse_info(text("ryzenadj", name))
    assert (info.family, info.version, info.pm_table_version) == (family, version, pm_table)
    assert info.smu_bios_interface_version in (18, 21)
    for parameter, value in values.items():
        assert info.value(parameter) == value, parameter
    assert info.table_error is None


def test_ryzenadj_debug_build_lines_are_kept_as_messages():
    info = ryzenadj_info.parse_info(text("ryzenadj", "cezanne-debug-v0.13.0-legionlinux73.txt"))
    assert info.header() == {"family": "Cezanne", "smu_bios_interface_version": 18, "version": "v0.13.0",
                             "pm_table_version": "400005"}
    assert not info.has_table
    assert "init_table" in info.messages
    assert sum(1 for line in info.messages if line.startswith("SMU_SERVICE")) == 18


def test_ryzenadj_set_output_of_an_old_release():
    found = ryzenadj_info.set_confirmations(text("ryzenadj", "set-lucienne-issue316.txt"))
    assert found["stapm_limit"] == 30000 and found["fast_limit"] == 34000 and found["slow_limit"] == 32000
    assert found["tctl_temp"] == 85 and "set_max_gfxclk_freq" not in found
    assert len(found) == 11


@pytest.mark.parametrize("name,version", [
    ("version-not-running-issue6369.txt", "0.3.4"),
    ("version-old-server-issue11023.txt", "0.9.0"),     # the installed client, not the old server still running
    ("version-custom-build-issue5334.txt", "0.1.20"),
])
def test_ollama_version_outputs(name, version):
    assert ollama_install.parse_version(text("ollama", name)) == version


def test_ollama_server_test_logs_give_their_devices():
    cpu = ollama_log.last_server_start(text("ollama", "server_test-cpu.log"))
    assert cpu.libraries == ["cpu"] and ollama_log.backend_matches(cpu, "cpu")
    frank = ollama_log.last_server_start(text("ollama", "server_test-frank.log"))
    assert [(d["library"], d["compute"], d.get("name")) for d in frank.devices] == [
        ("cuda", "7.5", "NVIDIA GeForce RTX 2080 Ti"), ("rocm", "gfx1030", "1002:73bf")]
    assert frank.devices[1]["total"] == "16.0 GiB"


def test_ollama_journal_lines_with_a_localised_prefix():
    start = ollama_log.last_server_start(text("ollama", "journal-issue11557.log"))
    assert (start.version, start.address) == ("0.9.6", "127.0.0.1:11434")
    current = ollama_log.current_server_start(text("ollama", "journal-issue11557.log"))
    assert current.version == "0.9.6" and current.devices == []
    assert ollama_log.parse_slog_line(current.lines[-1])["msg"] == "unsupported Radeon iGPU detected skipping"
