"""The amdgpu power udev rules file: exact content, parsing back, merging."""

from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import power_rules as amdgpu_power_rules
from tests.unit.host_files import expected_file

EXPECTED_R9700 = expected_file("amdgpu-power-r9700_desktop.rules")

FULL = {"performance_level": "manual", "power_profile_index": 5, "power_cap_microwatts": 250000000}


def test_render_exact_content():
    assert amdgpu_power_rules.render({"0000:03:00.0": FULL}) == EXPECTED_R9700


def test_nothing_persisted_means_no_file():
    assert amdgpu_power_rules.render({}) is None
    assert amdgpu_power_rules.render({"0000:03:00.0": {}}) is None


def test_only_the_rules_a_setting_needs():
    text = amdgpu_power_rules.render({"0000:08:00.0": {"power_cap_microwatts": 213000000}})
    assert 'SUBSYSTEM=="drm"' not in text
    assert text.endswith('# 0000:08:00.0: power cap\nACTION=="add", SUBSYSTEM=="hwmon", KERNELS=="0000:08:00.0", '
                         'DRIVERS=="amdgpu", ATTR{power1_cap}="213000000"\n')
    level_only = amdgpu_power_rules.render({"0000:08:00.0": {"performance_level": "high"}})
    assert level_only.endswith('ATTR{device/power_dpm_force_performance_level}="high"\n')
    assert "pp_power_profile_mode" not in level_only and "hwmon" not in level_only.split("\n\n", 1)[1]


def test_cards_are_rendered_in_pci_order():
    text = amdgpu_power_rules.render({"0000:08:00.0": {"performance_level": "high"},
                                      "0000:03:00.0": {"performance_level": "auto"}})
    assert text.index("0000:03:00.0") < text.index("0000:08:00.0")


def test_parse_reads_back_what_render_wrote():
    settings = {"0000:03:00.0": FULL, "0000:08:00.0": {"performance_level": "high"}}
    assert amdgpu_power_rules.parse(amdgpu_power_rules.render(settings)) == settings
    assert amdgpu_power_rules.parse("") == {}


def test_merge_keeps_other_settings_and_cards():
    settings = {"0000:03:00.0": {"power_cap_microwatts": 250000000}, "0000:08:00.0": {"performance_level": "high"}}
    merged = amdgpu_power_rules.merge(settings, "0000:03:00.0", {"performance_level": "manual"})
    assert merged == {"0000:03:00.0": {"power_cap_microwatts": 250000000, "performance_level": "manual"},
                      "0000:08:00.0": {"performance_level": "high"}}
    assert settings["0000:03:00.0"] == {"power_cap_microwatts": 250000000}
    assert amdgpu_power_rules.without(merged, "0000:03:00.0") == {"0000:08:00.0": {"performance_level": "high"}}
