"""pp_power_profile_mode in every layout the kernel prints."""

import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._amdgpu.profile_table import (
    PowerProfileModeError,
    active_profile,
    parse_power_profile_mode,
    profile_index,
    selectable_profiles,
)

HOSTS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "hosts")
R9700_FILE = os.path.join(
    HOSTS, "r9700_desktop", "root", "sys", "devices", "pci0000:00", "0000:00:01.1", "0000:01:00.0",
    "0000:02:00.0", "0000:03:00.0", "pp_power_profile_mode")
# One mode per line, "%2d %14s%s\n" (vangogh_ppt.c, renoir_ppt.c), with the gaps of the
# modes the APU's workload map lacks.  Strix Halo itself has no such file (smu_v14_0_0_ppt.c).
APU_FILE_TEXT = "".join("%2d %14s%s\n" % (i, name, "*" if i == 0 else " ") for i, name in (
    (0, "BOOTUP_DEFAULT"), (1, "3D_FULL_SCREEN"), (3, "VIDEO"), (4, "VR"), (5, "COMPUTE"), (6, "CUSTOM")))

ALL_EIGHT = ["BOOTUP_DEFAULT", "3D_FULL_SCREEN", "POWER_SAVING", "VIDEO", "VR", "COMPUTE", "CUSTOM", "WINDOW_3D"]

# SMU 14.0.2 (RDNA4 discrete) as the kernel prints it: "%2d %14s%s:" per mode,
# then "%19s %d(%13s) %7d ..." rows for GFXCLK and FCLK.
SMU14_COEFF = "%19s %d(%13s) %7d %7d %7d %7d %7d %7d %7d %7d\n"
SMU14 = (
    "PROFILE_INDEX(NAME) CLOCK_TYPE(NAME) FPS MinActiveFreqType MinActiveFreq BoosterFreqType "
    "BoosterFreq PD_Data_limit_c PD_Data_error_coeff PD_Data_error_rate_coeff\n"
    + "".join(
        "%2d %14s%s:\n" % (i, name, "*" if i == 5 else " ")
        + SMU14_COEFF % ("", 0, "GFXCLK", 1, 0, 1, 0, 4, 800000, 12, -3)
        + SMU14_COEFF % ("", 1, "FCLK", 1, 0, 1, 0, 4, 800000, 12, -3)
        for i, name in enumerate(ALL_EIGHT)))

# SMU11 (Navi 1x/2x): header and padded names, coefficient rows indented.
SMU11 = ("PROFILE_INDEX(NAME) CLOCK_TYPE(NAME) FPS UseRlcBusy MinActiveFreqType MinActiveFreq BoosterFreqType BoosterFreq "
         "PD_Data_limit_c PD_Data_error_coeff PD_Data_error_rate_coeff\n") + """ 0 BOOTUP_DEFAULT :
                    0(       GFXCLK)       0       5       1       0       4     800    4587520  -65536       0
                    1(       SOCCLK)       0       5       1       0       1       0    3276800  -65536   -6553
 1 3D_FULL_SCREEN*:
                    0(       GFXCLK)       0       5       1       0       4     650     629145   -65536       0
 2   POWER_SAVING :
                    0(       GFXCLK)       0       5       1       0       4     500    1677721   -65536       0
 5        COMPUTE :
                    0(       GFXCLK)       0       5       1       0       4    1000    1000000   -65536       0
 6         CUSTOM :
                    0(       GFXCLK)       0       0       0       0       0       0          0        0       0
"""

# Older cards (smu7): NUM/MODE_NAME header, star after a space, values after the colon.
SMU7 = """NUM        MODE_NAME     SCLK_UP_HYST   SCLK_DOWN_HYST SCLK_ACTIVE_LEVEL     MCLK_UP_HYST   MCLK_DOWN_HYST MCLK_ACTIVE_LEVEL
  0 BOOTUP_DEFAULT :        0      100       30        0      100       10
  1 3D_FULL_SCREEN *:        0      100       30        0      100       10
  2   POWER_SAVING :       10        0       30        -        -        -
  3          VIDEO :        -        -        -       10       16       31
  4             VR :        0       11       50        0      100       10
  5        COMPUTE :        0        5       30        -        -        -
  6         CUSTOM :        -        -        -        -        -        -
"""

# Transposed SMU13 layout: every mode on the first line, then one row per tunable.
TRANSPOSED = """0 BOOTUP_DEFAULT* 1 3D_FULL_SCREEN  2 POWER_SAVING  3 VIDEO  4 VR  5 COMPUTE  6 CUSTOM  7 WINDOW_3D
Gfx_ActiveHystLimit              0    1    1    1    1    0    0    1
Gfx_IdleHystLimit                5    5    5    5    5    5    0    5
"""

# APU with the optional header.
APU_WITH_HEADER = """PROFILE_INDEX(NAME)
 0 BOOTUP_DEFAULT
 1 3D_FULL_SCREEN
 3          VIDEO
 5        COMPUTE*
 6         CUSTOM
"""


def names(modes):
    return [mode.name for mode in modes]


def read(path):
    with open(path, "r", encoding="utf-8") as handle:
        return handle.read()


def test_rdna4_recorded_file_lists_eight_modes_with_the_6_12_boot_default_active():
    modes = parse_power_profile_mode(read(R9700_FILE))
    assert names(modes) == ALL_EIGHT
    assert [mode.index for mode in modes] == list(range(8))
    assert active_profile(modes) == "3D_FULL_SCREEN"  # smu_sw_init() of 6.12 picks FULLSCREEN3D for dGPUs


def test_smu14_kernel_format_finds_active_compute():
    modes = parse_power_profile_mode(SMU14)
    assert names(modes) == ALL_EIGHT
    assert active_profile(modes) == "COMPUTE"
    assert profile_index(modes, "COMPUTE") == 5


def test_apu_layout_has_gaps_in_indexes():
    modes = parse_power_profile_mode(APU_FILE_TEXT)
    assert [(m.index, m.name) for m in modes] == [
        (0, "BOOTUP_DEFAULT"), (1, "3D_FULL_SCREEN"), (3, "VIDEO"), (4, "VR"), (5, "COMPUTE"), (6, "CUSTOM")]
    assert active_profile(modes) == "BOOTUP_DEFAULT"
    assert profile_index(modes, "video") == 3


def test_apu_header_is_skipped():
    modes = parse_power_profile_mode(APU_WITH_HEADER)
    assert names(modes) == ["BOOTUP_DEFAULT", "3D_FULL_SCREEN", "VIDEO", "COMPUTE", "CUSTOM"]
    assert active_profile(modes) == "COMPUTE"


def test_smu11_layout_skips_coefficient_rows():
    modes = parse_power_profile_mode(SMU11)
    assert [(m.index, m.name, m.active) for m in modes] == [
        (0, "BOOTUP_DEFAULT", False), (1, "3D_FULL_SCREEN", True), (2, "POWER_SAVING", False),
        (5, "COMPUTE", False), (6, "CUSTOM", False)]


def test_smu7_layout_with_star_after_space_and_values_after_colon():
    modes = parse_power_profile_mode(SMU7)
    assert names(modes) == ["BOOTUP_DEFAULT", "3D_FULL_SCREEN", "POWER_SAVING", "VIDEO", "VR", "COMPUTE", "CUSTOM"]
    assert active_profile(modes) == "3D_FULL_SCREEN"


def test_transposed_layout_reads_the_first_line_only():
    modes = parse_power_profile_mode(TRANSPOSED)
    assert names(modes) == ALL_EIGHT
    assert [m.index for m in modes] == list(range(8))
    assert active_profile(modes) == "BOOTUP_DEFAULT"


def test_modes_are_plain_tuples_too():
    modes = parse_power_profile_mode(APU_WITH_HEADER)
    index, name, active = modes[3]
    assert (index, name, active) == (5, "COMPUTE", True)


def test_no_star_means_no_active_profile():
    modes = parse_power_profile_mode(" 0 BOOTUP_DEFAULT \n 5        COMPUTE \n")
    assert active_profile(modes) is None


@pytest.mark.parametrize("text", ["", "\n\n", None])
def test_empty_file_is_an_error(text):
    with pytest.raises(PowerProfileModeError, match="empty"):
        parse_power_profile_mode(text)


@pytest.mark.parametrize("text", [
    "garbage\nmore garbage\n",
    "PROFILE_INDEX(NAME) CLOCK_TYPE(NAME)\n",
    "\x00\x01\x02",
    "                    0(       GFXCLK)       1       0       1\n",
])
def test_garbage_is_an_error_that_quotes_the_file(text):
    with pytest.raises(PowerProfileModeError, match="no line of the form"):
        parse_power_profile_mode(text)


def test_two_stars_are_an_error():
    with pytest.raises(PowerProfileModeError, match="several modes active: BOOTUP_DEFAULT, COMPUTE"):
        parse_power_profile_mode(" 0 BOOTUP_DEFAULT*\n 5        COMPUTE*\n")


def test_repeated_index_is_an_error():
    with pytest.raises(PowerProfileModeError, match="index twice"):
        parse_power_profile_mode(" 0 BOOTUP_DEFAULT*\n 0        COMPUTE \n")


def test_unknown_name_lists_allowed_names_without_custom():
    modes = parse_power_profile_mode(APU_FILE_TEXT)
    with pytest.raises(PowerProfileModeError) as caught:
        profile_index(modes, "POWER_SAVING")
    assert str(caught.value) == (
        "power profile 'POWER_SAVING' is not offered by this card; "
        "allowed: BOOTUP_DEFAULT, 3D_FULL_SCREEN, VIDEO, VR, COMPUTE")


def test_custom_is_listed_but_not_selectable_by_index():
    modes = parse_power_profile_mode(SMU14)
    assert "CUSTOM" not in selectable_profiles(modes)
    with pytest.raises(PowerProfileModeError) as caught:
        profile_index(modes, "custom")
    message = str(caught.value)
    assert "not offered" not in message
    assert "is listed by this card (index 6) but cannot be selected by its index alone" in message
    assert message.endswith("allowed: BOOTUP_DEFAULT, 3D_FULL_SCREEN, POWER_SAVING, VIDEO, VR, COMPUTE, WINDOW_3D")


def smu13_0_7_text(active, with_index=True):
    """smu_v13_0_7_get_power_profile_mode(): 30 spaces, "%d %-14s%s" with "* "/"  " per mode, then "%-30s" rows."""
    head = "".join(("%d %-14s%s" % (i, name, "* " if i == active else "  ")) if with_index else
                   ("%-14s%s" % (name, "* " if i == active else "  ")) for i, name in enumerate(ALL_EIGHT))
    row = "%-30s" % "Gfx_ActiveHystLimit" + "%-16d" % 0 * len(ALL_EIGHT)
    return " " * 30 + head + "\n" + row + "\n"


@pytest.mark.parametrize("active", range(8))
@pytest.mark.parametrize("with_index", [True, False])
def test_navi33_mode_row_marks_any_mode_after_its_padded_name(active, with_index):
    modes = parse_power_profile_mode(smu13_0_7_text(active, with_index))
    assert [(m.index, m.name) for m in modes] == list(enumerate(ALL_EIGHT))
    assert active_profile(modes) == ALL_EIGHT[active]


def test_star_after_padding_on_a_per_line_layout_still_belongs_to_the_name():
    modes = parse_power_profile_mode(" 0 BOOTUP_DEFAULT \n 5        COMPUTE   *\n")
    assert active_profile(modes) == "COMPUTE"
