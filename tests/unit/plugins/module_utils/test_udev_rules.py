"""udev rule lines: rendering, parsing, and the managed file on a scratch host."""

import os

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._systemd import udev_rules
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot
from tests.simulation.scratch_host import install_tool


def test_attribute_rule_renders_matches_then_assignments_in_order():
    rule = udev_rules.attribute_rule(
        [("ACTION", "add"), ("KERNELS", "0000:03:00.0")], [("device/a", "manual"), ("device/b", "5")], comment="card")
    assert rule.render() == (
        '# card\n'
        'ACTION=="add", KERNELS=="0000:03:00.0", ATTR{device/a}="manual", ATTR{device/b}="5"\n')


def test_render_rules_puts_header_then_blank_line_per_rule():
    rules = [udev_rules.attribute_rule([("KERNEL", "x")], [("a", "1")]),
             udev_rules.attribute_rule([("KERNEL", "y")], [("b", "0")], comment="second")]
    assert udev_rules.render_rules(["Managed.", "", "Second line."], rules) == (
        '# Managed.\n#\n# Second line.\n'
        '\nKERNEL=="x", ATTR{a}="1"\n'
        '\n# second\nKERNEL=="y", ATTR{b}="0"\n')


def test_parse_round_trips_rendered_rules_with_comments():
    rules = [udev_rules.attribute_rule([("ACTION", "add"), ("SUBSYSTEM", "pci")], [("link/l1_aspm", "0")], "link one"),
             udev_rules.attribute_rule([("KERNELS", "0000:08:00.0")], [("power1_cap", "250000000")], "cap")]
    parsed = udev_rules.parse_rules(udev_rules.render_rules(["header"], rules))
    assert parsed == rules
    assert [rule.comment for rule in parsed] == ["link one", "cap"]


def test_parse_accepts_hand_written_spacing_and_other_operators():
    (rule,) = udev_rules.parse_rules('ACTION=="add",SUBSYSTEM!="usb" , ENV{X}+="y", ATTR{power/control}="auto"\n')
    assert rule.pairs == [("ACTION", "==", "add"), ("SUBSYSTEM", "!=", "usb"), ("ENV{X}", "+=", "y"),
                          ("ATTR{power/control}", "=", "auto")]
    assert rule.match_value("ACTION") == "add"
    assert rule.match_value("SUBSYSTEM") is None
    assert rule.attributes() == [("power/control", "auto")]


def test_empty_and_comment_only_files_hold_no_rule():
    assert udev_rules.parse_rules("") == []
    assert udev_rules.parse_rules(None) == []
    assert udev_rules.parse_rules("# just a comment\n\n") == []


@pytest.mark.parametrize("line", ['ACTION=="add" KERNEL=="x"', "echo hello", 'ACTION=="add", KERNEL=x'])
def test_a_line_that_is_not_a_rule_names_its_line_number(line):
    with pytest.raises(udev_rules.UdevRuleError, match="line 2: not a udev rule"):
        udev_rules.parse_rules("# header\n%s\n" % line)


def test_sync_rules_file_writes_removes_and_leaves_alone(scratch_host):
    root = SysRoot(scratch_host("r9700_desktop"))
    path = udev_rules.rules_path("90-test.rules")
    first = udev_rules.sync_rules_file(root, path, "A\n", check_mode=False)
    assert (first.changed, first.before, first.after) == (True, None, "A\n")
    assert root.read_text(path) == "A\n"
    assert oct(os.stat(root.path(path)).st_mode & 0o777) == "0o644"
    again = udev_rules.sync_rules_file(root, path, "A\n", check_mode=False)
    assert not again.changed
    gone = udev_rules.sync_rules_file(root, path, None, check_mode=False)
    assert gone.changed and not root.exists(path)
    assert gone.diff() == {"before_header": path, "after_header": path + " (absent)", "before": "A\n", "after": ""}


def test_sync_rules_file_in_check_mode_writes_nothing(scratch_host):
    root = SysRoot(scratch_host("r9700_desktop"))
    path = udev_rules.rules_path("90-test.rules")
    change = udev_rules.sync_rules_file(root, path, "A\n", check_mode=True)
    assert change.changed and not root.exists(path)


def test_reload_udev_runs_udevadm_of_the_root(scratch_host):
    host = scratch_host("r9700_desktop")
    os.unlink(os.path.join(host, "usr/bin/udevadm"))  # a tree without udev first
    root = SysRoot(host)
    calls = []

    def run_command(argv, environ_update=None, **kwargs):
        calls.append((argv, environ_update))
        return 0, "", ""

    assert udev_rules.reload_udev(root, run_command) is None
    assert calls == []
    tool = install_tool(host, "udevadm")
    assert udev_rules.reload_udev(root, run_command) == [tool, "control", "--reload"]
    assert calls == [([tool, "control", "--reload"], {"INFEROPS_SYSROOT": host, "LC_ALL": "C", "LANG": "C", "LANGUAGE": "C"})]


def test_reload_udev_failure_is_an_error_with_the_tool_output(scratch_host):
    host = scratch_host("r9700_desktop")
    install_tool(host, "udevadm")
    with pytest.raises(udev_rules.UdevRuleError, match="failed \\(exit 1\\): Failed to send reload request"):
        udev_rules.reload_udev(SysRoot(host), lambda argv, **kwargs: (1, "", "Failed to send reload request\n"))


def test_install_rules_file_reloads_only_after_a_change(scratch_host):
    host = scratch_host("r9700_desktop")
    install_tool(host, "udevadm")
    root = SysRoot(host)
    path = udev_rules.rules_path("90-test.rules")
    calls = []

    def run_command(argv, environ_update=None, **kwargs):
        calls.append(argv)
        return 0, "", ""

    change, reloaded = udev_rules.install_rules_file(root, path, "A\n", False, run_command)
    assert change.changed and reloaded and len(calls) == 1
    change, reloaded = udev_rules.install_rules_file(root, path, "A\n", False, run_command)
    assert not change.changed and not reloaded and len(calls) == 1
    change, reloaded = udev_rules.install_rules_file(root, path, None, True, run_command)
    assert change.changed and not reloaded and len(calls) == 1
    assert os.path.exists(os.path.join(host, path.lstrip("/")))


def test_install_rules_file_names_the_written_file_when_udev_fails(scratch_host):
    host = scratch_host("r9700_desktop")
    install_tool(host, "udevadm")
    path = udev_rules.rules_path("90-test.rules")
    expected = "the rules file was written but udev did not reload: .*udevadm control --reload failed \\(exit 1\\)"
    with pytest.raises(udev_rules.UdevRuleError, match=expected):
        udev_rules.install_rules_file(SysRoot(host), path, "A\n", False,
                                      lambda argv, **kwargs: (1, "", "Failed to send reload request\n"))
    assert os.path.exists(os.path.join(host, path.lstrip("/")))
