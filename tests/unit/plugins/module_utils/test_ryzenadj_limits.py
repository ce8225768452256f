"""Watts to the tool's milliwatts, which limits to write, and clamping after read-back."""

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._ryzenadj import limits as ryzenadj_limits
from ansible_collections.inferops.amd.plugins.module_utils._ryzenadj.info import parse_info

BEFORE = parse_info("| Name | Value | Parameter |\n"
                    "| STAPM LIMIT | 59.000 | stapm-limit |\n"
                    "| PPT LIMIT FAST | 85.000 | fast-limit |\n"
                    "| PPT LIMIT SLOW | 70.000 | slow-limit |\n"
                    "| PPT LIMIT APU | nan | apu-slow-limit |\n"
                    "| THM LIMIT CORE | 95.000 | tctl-temp |\n")
AFTER = parse_info("| Name | Value | Parameter |\n"
                   "| STAPM LIMIT | 85.000 | stapm-limit |\n"
                   "| PPT LIMIT FAST | 85.000 | fast-limit |\n"
                   "| PPT LIMIT SLOW | 70.000 | slow-limit |\n"
                   "| PPT LIMIT APU | nan | apu-slow-limit |\n"
                   "| THM LIMIT CORE | 95.000 | tctl-temp |\n")


def hp_request(**extra):
    params = dict(stapm_limit=85, fast_limit=85, slow_limit=85, apu_slow_limit=None, tctl_temp=None)
    params.update(extra)
    return ryzenadj_limits.requested_limits(params)


def test_watts_become_milliwatt_flags_in_the_tools_order():
    requested = ryzenadj_limits.requested_limits(dict(tctl_temp=90, slow_limit=70.5, stapm_limit=85))
    assert ryzenadj_limits.all_flags(requested) == ["--stapm-limit=85000", "--slow-limit=70500", "--tctl-temp=90"]


def test_only_differing_and_unreadable_limits_are_written():
    plans = ryzenadj_limits.plan_limits(hp_request(apu_slow_limit=85), BEFORE)
    assert [p.before for p in plans] == [59.0, 85.0, 70.0, None]
    assert ryzenadj_limits.write_flags(plans) == ["--stapm-limit=85000", "--slow-limit=85000", "--apu-slow-limit=85000"]
    assert [p.readable for p in plans] == [True, True, True, False]


def test_a_recorded_cap_for_the_same_request_counts_as_applied():
    caps = {"slow-limit": (85000, 70000), "stapm-limit": (90000, 81000)}
    plans = ryzenadj_limits.plan_limits(hp_request(), BEFORE, caps)
    # slow: asked 85 W before and the firmware kept 70 W, which the table shows: nothing to do.
    # stapm: the cap was recorded for another request (90 W), so 85 W is asked.
    assert [p.known_cap for p in plans] == [None, None, 70.0]
    assert ryzenadj_limits.write_flags(plans) == ["--stapm-limit=85000"]
    ryzenadj_limits.predict(plans)
    assert ryzenadj_limits.kept_by_firmware(plans) == {"slow-limit": 70000}


def test_values_within_the_tolerance_are_the_same():
    info = parse_info("| Name | Value | Parameter |\n| STAPM LIMIT | 31.000002 | stapm-limit |\n")
    plans = ryzenadj_limits.plan_limits(ryzenadj_limits.requested_limits({"stapm_limit": 31}), info)
    assert ryzenadj_limits.write_flags(plans) == []


def test_read_back_finds_what_the_firmware_clamped():
    plans = ryzenadj_limits.read_back(ryzenadj_limits.plan_limits(hp_request(), BEFORE), AFTER)
    stapm, fast, slow = plans
    assert (stapm.after, stapm.changed, stapm.clamped) == (85.0, True, False)
    assert (fast.after, fast.changed, fast.clamped) == (85.0, False, False)
    assert (slow.after, slow.changed, slow.clamped) == (70.0, False, True)
    assert slow.as_dict() == {"parameter": "slow-limit", "unit": "W", "requested": 85.0, "requested_tool_value": 85000,
                              "before": 70.0, "effective": 70.0, "written": True, "changed": False, "clamped": True}


def test_clamp_summary_names_requested_and_kept_values():
    plans = ryzenadj_limits.read_back(ryzenadj_limits.plan_limits(hp_request(), BEFORE), AFTER)
    assert ryzenadj_limits.clamp_summary(plans) == "slow_limit: requested 85 W, firmware kept 70 W"


def test_unreadable_limit_cannot_be_called_clamped():
    plans = ryzenadj_limits.read_back(
        ryzenadj_limits.plan_limits(ryzenadj_limits.requested_limits({"apu_slow_limit": 85}), BEFORE), AFTER)
    assert plans[0].clamped is None and plans[0].as_dict()["changed"] is None


def test_check_mode_prediction_assumes_every_write_takes():
    plans = ryzenadj_limits.predict(ryzenadj_limits.plan_limits(hp_request(), BEFORE))
    assert [p.after for p in plans] == [85.0, 85.0, 85.0]
    assert ryzenadj_limits.describe(plans, "before") == "stapm_limit = 59 W\nfast_limit = 85 W\nslow_limit = 70 W\n"


@pytest.mark.parametrize("params, words", [
    ({"stapm_limit": 85000}, "stapm_limit=85000 is outside 1..300 W (this looks like milliwatts: give watts, e.g. stapm_limit=85)"),
    ({"slow_limit": 0}, "slow_limit=0 is outside 1..300 W"),
    ({"tctl_temp": 110}, "tctl_temp=110 is outside 40..105 degrees C"),
])
def test_implausible_values_are_refused(params, words):
    with pytest.raises(ryzenadj_limits.LimitError) as error:
        ryzenadj_limits.requested_limits(params)
    assert str(error.value) == words


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_value_that_is_no_number_is_named_with_the_allowed_range(value):
    with pytest.raises(ryzenadj_limits.LimitError) as caught:
        ryzenadj_limits.requested_limits({"stapm_limit": value})
    message = str(caught.value)
    assert message == "stapm_limit=%s is not a number of W; give a value between 1 and 300 W" % value
    assert "milliwatts" not in message


def test_an_infinite_temperature_names_degrees():
    message = r"^tctl_temp=inf is not a number of degrees C; give a value between 40 and 105 degrees C$"
    with pytest.raises(ryzenadj_limits.LimitError, match=message):
        ryzenadj_limits.requested_limits({"tctl_temp": float("inf")})
