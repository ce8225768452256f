"""Editing arguments spread over lines in place (module_utils/_kernel_cmdline/bootloaders/argument_lines.py)."""

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.argument_lines import edit_argument_lines


def test_new_arguments_go_to_the_end_of_the_last_line():
    assert edit_argument_lines([["root=UUID=1", "rw"], ["quiet"]], ["iommu=pt"], []) == \
        [["root=UUID=1", "rw"], ["quiet", "iommu=pt"]]


def test_a_value_is_replaced_on_its_own_line_and_duplicates_elsewhere_dropped():
    lines = [["ttm.pages_limit=1", "rw"], ["quiet", "ttm.pages_limit=2"]]
    assert edit_argument_lines(lines, ["ttm.pages_limit=3"], []) == [["ttm.pages_limit=3", "rw"], ["quiet"]]


def test_absent_removes_from_any_line_and_leaves_an_empty_line_empty():
    assert edit_argument_lines([["splash"], ["quiet", "splash=1"]], [], ["splash"]) == [[], ["quiet"]]


def test_dash_and_underscore_names_meet():
    assert edit_argument_lines([["nvme_core.default_ps_max_latency_us=0"]],
                               ["nvme-core.default-ps-max-latency-us=0"], []) == \
        [["nvme_core.default_ps_max_latency_us=0"]]


def test_comment_words_are_left_where_they_are():
    assert edit_argument_lines([["ro"], ["#", "tuned"], ["quiet"]], ["iommu=pt"], ["quiet"]) == \
        [["ro"], ["#", "tuned"], ["iommu=pt"]]


def test_nothing_at_all_becomes_one_line():
    assert edit_argument_lines([], ["iommu=pt"], []) == [["iommu=pt"]]
