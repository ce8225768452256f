"""Under an owner, the user's own value of the same name stays the user's (issue 24).

Before: a hand-set ``pcie_aspm.policy=powersave`` was replaced by the owner's value and recorded
as owned, so releasing the owner deleted the name and the user's value was lost.
"""

import json
import os

from tests.unit.module_runner import run_module

OWNER = "rdna4_aspm"
MINE = "pcie_aspm.policy=performance"
USERS = "pcie_aspm.policy=powersave"


def grub_with_users_value(root):
    path = os.path.join(root, "etc/default/grub")
    with open(path) as handle:
        text = handle.read()
    with open(path, "w") as handle:
        handle.write(text.replace('GRUB_CMDLINE_LINUX_DEFAULT="quiet"', 'GRUB_CMDLINE_LINUX_DEFAULT="quiet %s"' % USERS))


def record(root):
    with open(os.path.join(root, "var/lib/inferops.amd/kernel_cmdline.json")) as handle:
        return json.load(handle)


def run(root, present, check_mode=False):
    return run_module("kernel_cmdline", dict(sysroot=root, present=present, owner=OWNER), check_mode=check_mode)


def test_the_users_value_comes_back_when_the_owner_releases_the_name(scratch_host):
    root = scratch_host("r9700_desktop")
    grub_with_users_value(root)
    taken = run(root, [MINE])
    assert taken["configured"] == ["quiet", MINE]
    assert record(root)["replaced"] == {OWNER: [USERS]}
    assert run(root, [MINE])["changed"] is False

    preview = run(root, [], check_mode=True)
    assert preview["configured"] == ["quiet", USERS] and preview["restored"] == [USERS]
    released = run(root, [])
    assert released["configured"] == ["quiet", USERS]
    assert released["released"] == [MINE] and released["restored"] == [USERS]
    assert "replaced" not in record(root) and record(root)["owners"] == {}
    again = run(root, [])
    assert again["changed"] is False and again["configured"] == ["quiet", USERS]


def test_an_argument_the_owner_added_where_the_user_had_none_still_goes_on_release(scratch_host):
    root = scratch_host("r9700_desktop")
    run(root, [MINE])
    assert "replaced" not in record(root)
    released = run(root, [])
    assert released["configured"] == ["quiet"] and released["restored"] == []
