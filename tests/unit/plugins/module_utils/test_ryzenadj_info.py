"""Parsing `ryzenadj --info` in every layout RyzenAdj prints, and naming its failures."""

import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._ryzenadj.info import (
    RyzenAdjInfoError, classify_failure, parse_info, parse_value)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "ryzenadj")


def fixture(name):
    with open(os.path.join(FIXTURES, name), "r", encoding="utf-8") as handle:
        return handle.read()


def test_rembrandt_with_the_old_paramter_header():
    info = parse_info(fixture("info-rembrandt-v0.11.1.txt"))
    assert info.header() == {"family": "Rembrandt", "smu_bios_interface_version": 18,
                             "version": "v0.11.1", "pm_table_version": "450005"}
    assert info.value("stapm-limit") == 89.0
    assert info.value("slow-limit") == 74.0
    assert info.value("apu-slow-limit") == 74.0
    assert info.value("tctl-temp") == 100.0
    assert len(info.rows) == 26
    assert info.messages == [] and info.table_error is None


def test_nan_reads_as_none():
    info = parse_info(fixture("info-phoenix-v0.13.0.txt"))
    assert info.value("fast-limit") == 24.0
    assert info.value("apu-slow-limit") is None
    assert info.value("tctl-temp") is None
    assert info.value("stapm-time") is None


def test_strix_halo_keeps_unknown_rows_and_value_rows_by_name():
    info = parse_info(fixture("info-strixhalo-v0.16.0.txt"))
    assert info.family == "Strix Halo" and info.pm_table_version == "64020c"
    assert info.value("stapm-limit") == 71.0
    assert info.value(None, names=("CPU CORE0 POWER",)) == 1.204
    assert info.value(None, names=("STAPM VALUE",)) == 20.293
    assert info.rows[-1].name == "CPU CORE0 VOLT" and info.rows[-1].parameter is None


def test_unreadable_table_keeps_the_header_and_the_tool_message():
    info = parse_info(fixture("info-strixhalo-table-error-v0.17.0.txt"))
    assert info.family == "Strix Halo" and info.version == "v0.17.0"
    assert not info.has_table
    assert info.value("stapm-limit") is None
    assert info.table_error.startswith("refresh_table failed / Unable to init power metric table: -5,")


def test_extra_white_space_and_notes_between_lines():
    text = ("detected compatible ryzen_smu kernel module\n"
            "  CPU Family:   Strix Halo  \n\n"
            "PM Table Version: 64020c\n"
            "| Name | Value | Parameter |\n"
            "|---|---|---|\n"
            "|STAPM LIMIT|85.000|stapm-limit|   \n"
            "|   PPT LIMIT SLOW   |   70.000000   |   slow-limit   |\n"
            "| THM LIMIT CORE | -nan | tctl-temp |\n")
    info = parse_info(text)
    assert info.family == "Strix Halo"
    assert info.value("stapm-limit") == 85.0 and info.value("slow-limit") == 70.0
    assert info.value("tctl-temp") is None
    assert info.messages == ["detected compatible ryzen_smu kernel module"]


def test_row_name_finds_a_row_without_parameter_column_value():
    info = parse_info("| Name | Value | Parameter |\n| TCTL LIMIT | 90.000 | |\n")
    assert info.value("tctl-temp", names=("THM LIMIT CORE", "TCTL LIMIT")) == 90.0


@pytest.mark.parametrize("text, words", [
    ("", "no 'CPU Family:' header"),
    ("hello world\nnothing here\n", "no 'CPU Family:' header"),
    ("| STAPM LIMIT | 85.000 | stapm-limit |\n", "before the '| Name | Value | Parameter |' header"),
    ("| Name | Value | Parameter |\n| STAPM LIMIT | lots | stapm-limit |\n", "line 2: not a number"),
    ("| Name | Value | Parameter |\n| STAPM LIMIT | 85.000 |\n", "line 2 is not a"),
])
def test_garbage_is_refused_with_the_line(text, words):
    with pytest.raises(RyzenAdjInfoError) as error:
        parse_info(text)
    assert words in str(error.value)


def test_parse_value():
    assert parse_value("    85.000") == 85.0
    assert parse_value("nan") is None and parse_value("-nan") is None and parse_value("inf") is None
    assert parse_value("  ") is None


def test_unsupported_cpu_is_named():
    error = classify_failure(255, "Fam19h: unsupported model 33\nOnly Ryzen Mobile Series are supported\n"
                                  "Unable to init ryzenadj\n")
    assert error.kind == "unsupported_cpu"
    assert "does not support this CPU (exit code 255): Fam19h: unsupported model 33 / Only Ryzen" in str(error)
    assert "Strix Halo needs RyzenAdj 0.17.0 or newer" in str(error)


def test_missing_smu_access_is_named_with_the_tool_text_and_the_fix():
    error = classify_failure(255, "Unable to get os_access Obj, check permission\nUnable to init ryzenadj\n"
                                  "\ndetected compatible ryzen_smu kernel module\n")
    assert error.kind == "smu_access"
    message = str(error)
    assert "cannot reach the SMU" in message and "Unable to get os_access Obj, check permission" in message
    assert "ryzen_smu" in message and "iomem=relaxed" in message


def test_other_failures_keep_the_tool_text():
    error = classify_failure(255, "set_apu_slow_limit is not supported on this family\n")
    assert error.kind == "tool"
    assert str(error) == "ryzenadj failed (exit code 255): set_apu_slow_limit is not supported on this family"


def test_both_spellings_of_a_set_confirmation_are_read():
    from ansible_collections.inferops.amd.plugins.module_utils._ryzenadj.info import set_confirmations
    text = "Sucessfully set stapm_limit to 85000\nSuccessfully set fast_limit to 90000\nset_x is rejected by SMU\n"
    assert set_confirmations(text) == {"stapm_limit": 85000, "fast_limit": 90000}


def test_a_table_failure_with_a_non_zero_exit_still_gives_the_header():
    from ansible_collections.inferops.amd.plugins.module_utils._ryzenadj.info import info_despite_exit_status
    text = ("CPU Family: Strix Halo\nSMU BIOS Interface Version: 25\nVersion: v0.17.0 \n"
            "Unable to init power metric table: -5, this does not affect adjustments because it is only needed "
            "for monitoring.\n")
    info = info_despite_exit_status(251, text)
    assert info.family == "Strix Halo" and not info.has_table and "-5" in info.table_error
    assert info_despite_exit_status(255, "Unable to init ryzenadj\n") is None
    assert info_despite_exit_status(0, text) is None
