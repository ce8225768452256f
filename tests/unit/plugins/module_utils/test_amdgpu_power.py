"""amdgpu power settings of one card: selection, validation, plans, writes."""

import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import power as amdgpu_power
from ansible_collections.inferops.amd.plugins.module_utils._amdgpu.power import AmdgpuPowerError, CardPower, plan_card
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot
from tests.unit.host_files import refuse

R9700 = "0000:03:00.0"
RX9070XT = "0000:08:00.0"
STRIX = "0000:c5:00.0"


@pytest.fixture
def r9700(scratch_host):
    return SysRoot(scratch_host("r9700_desktop"))


def test_select_cards_defaults_to_every_amd_gpu(r9700):
    assert amdgpu_power.select_cards(r9700, []) == [R9700]


def test_select_cards_by_pci_address_or_card_name(r9700):
    assert amdgpu_power.select_cards(r9700, ["card1"]) == [R9700]
    assert amdgpu_power.select_cards(r9700, [R9700, "card1"]) == [R9700]


def test_select_unknown_card_lists_the_gpus(r9700):
    with pytest.raises(AmdgpuPowerError) as caught:
        amdgpu_power.select_cards(r9700, ["card0"])
    assert str(caught.value) == "card 'card0' is not an AMD GPU on this host; AMD GPUs: 0000:03:00.0 (card1)"


def test_host_without_amd_gpu_is_an_error(scratch_host):
    with pytest.raises(AmdgpuPowerError, match="no AMD GPU"):
        amdgpu_power.select_cards(SysRoot(scratch_host("no_amd_gpu")), [])


def test_card_power_reads_the_recorded_card(r9700):
    state = CardPower(r9700, R9700)
    assert state.card == "card1"
    assert state.label == "card1 (0000:03:00.0)"
    # 6.12's smu_sw_init() starts a dGPU in 3D_FULL_SCREEN
    assert state.snapshot() == {"performance_level": "auto", "power_profile": "3D_FULL_SCREEN", "power_cap_watts": 300}
    assert state.hwmon == "/sys/bus/pci/devices/0000:03:00.0/hwmon/hwmon2"


def test_profile_implies_manual_first_then_the_profile_index(r9700):
    plan = plan_card(CardPower(r9700, R9700), profile="compute")
    assert [(w.setting, w.value) for w in plan.writes] == [("performance_level", "manual"), ("power_profile", "5")]
    assert plan.after == {"performance_level": "manual", "power_profile": "COMPUTE", "power_cap_watts": 300}
    assert plan.persisted == {"performance_level": "manual", "power_profile_index": 5}


def test_explicit_level_is_kept_with_a_profile(r9700):
    plan = plan_card(CardPower(r9700, R9700), level="auto", profile="COMPUTE")
    assert [(w.setting, w.value) for w in plan.writes] == [("power_profile", "5")]


def test_leaving_manual_writes_the_profile_before_the_level(r9700):
    apply_all(r9700, plan_card(CardPower(r9700, R9700), profile="COMPUTE"))
    plan = plan_card(CardPower(r9700, R9700), level="auto", profile="BOOTUP_DEFAULT")
    assert [(w.setting, w.value) for w in plan.writes] == [("power_profile", "0"), ("performance_level", "auto")]


def apply_all(root, plan):
    return amdgpu_power.apply_plan(root, plan)


def test_apply_writes_and_reads_back(r9700):
    after = apply_all(r9700, plan_card(CardPower(r9700, R9700), level="profile_peak", cap_watts=250))
    assert after.snapshot() == {"performance_level": "profile_peak", "power_profile": "3D_FULL_SCREEN",
                                "power_cap_watts": 250}
    assert r9700.read_value("/sys/class/drm/card1/device/hwmon/hwmon2/power1_cap") == "250000000"


def test_nothing_to_write_when_the_card_already_matches(r9700):
    plan = plan_card(CardPower(r9700, R9700), level="auto", profile="3D_FULL_SCREEN", cap_watts=300)
    assert not plan.changed
    assert plan.persisted == {"performance_level": "auto", "power_profile_index": 1, "power_cap_microwatts": 300000000}


def test_cap_out_of_range_names_min_and_max(scratch_host):
    root = SysRoot(scratch_host("rx9070xt_chipset"))
    with pytest.raises(AmdgpuPowerError) as caught:
        plan_card(CardPower(root, RX9070XT), cap_watts=400)
    assert str(caught.value) == ("power_cap_watts 400 is outside the range of card card0 (0000:08:00.0): "
                                 "min 213 W, max 334 W (power1_cap_min/max)")
    with pytest.raises(AmdgpuPowerError, match="min 213 W, max 334 W"):
        plan_card(CardPower(root, RX9070XT), cap_watts=200)


def test_apu_without_cap_file_names_the_missing_file(scratch_host):
    root = SysRoot(scratch_host("strix_halo_128g"))
    with pytest.raises(AmdgpuPowerError, match=r"card card1 \(0000:c5:00.0\) has no hwmon power1_cap "
                       r"\(/sys/bus/pci/devices/0000:c5:00.0/hwmon/hwmon\d+/power1_cap does not exist\).*SMU PPT"):
        plan_card(CardPower(root, STRIX), cap_watts=100)


def test_apu_profile_request_names_the_missing_file(scratch_host):
    root = SysRoot(scratch_host("strix_halo_128g"))
    with pytest.raises(AmdgpuPowerError) as caught:
        plan_card(CardPower(root, STRIX), profile="COMPUTE")
    assert str(caught.value).startswith(
        "cannot set power profile 'COMPUTE' on card card1 (0000:c5:00.0): "
        "/sys/bus/pci/devices/0000:c5:00.0/pp_power_profile_mode does not exist")


def test_unknown_profile_lists_what_the_card_offers(scratch_host):
    root = SysRoot(scratch_host("rx9070xt_chipset"))
    with pytest.raises(AmdgpuPowerError) as caught:
        plan_card(CardPower(root, RX9070XT), profile="TURBO")
    assert str(caught.value) == ("card card0 (0000:08:00.0): power profile 'TURBO' is not offered by this card; "
                                 "allowed: BOOTUP_DEFAULT, 3D_FULL_SCREEN, POWER_SAVING, VIDEO, VR, COMPUTE, WINDOW_3D")


def test_garbled_profile_file_is_reported_with_the_card(scratch_host):
    host = scratch_host("r9700_desktop")
    with open(os.path.join(host, "sys/bus/pci/devices", R9700, "pp_power_profile_mode"), "w") as handle:
        handle.write("garbage\n")
    with pytest.raises(AmdgpuPowerError, match=r"cannot set power profile 'COMPUTE' on card card1 .*no line of the form"):
        plan_card(CardPower(SysRoot(host), R9700), profile="COMPUTE")


def test_ebusy_names_card_and_value_and_what_was_applied(scratch_host):
    host = scratch_host("r9700_desktop")
    refuse(host, "*/pp_power_profile_mode", "EBUSY")
    root = SysRoot(host)
    with pytest.raises(AmdgpuPowerError) as caught:
        apply_all(root, plan_card(CardPower(root, R9700), profile="COMPUTE"))
    message = str(caught.value)
    assert message.startswith("card card1 (0000:03:00.0): setting power_profile to COMPUTE (index 5) failed with EBUSY: "
                              "the card is busy (it usually drives a display")
    assert message.endswith("already applied: performance_level=manual")


def test_einval_from_the_kernel_is_reported_as_rejected_value(scratch_host):
    host = scratch_host("r9700_desktop")
    refuse(host, "*/power_dpm_force_performance_level", "EINVAL")
    root = SysRoot(host)
    with pytest.raises(AmdgpuPowerError, match="setting performance_level to high failed with EINVAL: the kernel rejected"):
        apply_all(root, plan_card(CardPower(root, R9700), level="high"))


def test_read_back_mismatch_is_an_error(scratch_host, monkeypatch):
    root = SysRoot(scratch_host("r9700_desktop"))
    plan = plan_card(CardPower(root, R9700), level="high")
    # A kernel that accepts the write but keeps its old value.
    monkeypatch.setattr(root, "write_attribute", lambda path, value: None)
    with pytest.raises(AmdgpuPowerError, match="after writing, the kernel reports"):
        apply_all(root, plan)
