"""The record of arguments the collection put on the command line (module_utils/_kernel_cmdline/owners.py)."""

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import CmdlineError
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.owners import (
    pending,
    read_owners,
    read_state,
    released,
    updated_owners,
    updated_released,
    write_owners,
    write_state,
)
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot

ASPM = "pcie_aspm.policy=performance"


def test_released_are_the_recorded_arguments_no_longer_asked_for():
    owners = {"rdna4_aspm": [ASPM], "strix": ["iommu=pt"]}
    assert released(owners, "rdna4_aspm", []) == [ASPM]
    assert released(owners, "rdna4_aspm", ["pcie_aspm.policy=powersave"]) == []  # replaced, not released
    assert released(owners, "rdna4_aspm", [ASPM]) == []
    assert released(owners, "nobody", []) == []


def test_an_argument_another_owner_records_is_not_released():
    owners = {"a": ["iommu=pt"], "b": ["iommu=pt"]}
    assert released(owners, "a", []) == []


def test_only_what_this_run_added_is_recorded_never_what_was_there_before():
    assert updated_owners({}, "rdna4_aspm", [ASPM], [ASPM], before=["quiet"]) == {"rdna4_aspm": [ASPM]}
    assert updated_owners({}, "rdna4_aspm", [ASPM], [], before=["quiet", ASPM]) == {}
    assert updated_owners({"rdna4_aspm": [ASPM]}, "rdna4_aspm", [], [], before=[ASPM]) == {}


def test_a_new_value_replaces_the_recorded_one():
    owners = {"rdna4_aspm": [ASPM]}
    after = updated_owners(owners, "rdna4_aspm", ["pcie_aspm.policy=powersave"], ["pcie_aspm.policy=powersave"],
                           before=[ASPM])
    assert after == {"rdna4_aspm": ["pcie_aspm.policy=powersave"]}
    assert owners == {"rdna4_aspm": [ASPM]}  # not modified in place


def test_the_record_round_trips_and_a_foreign_file_is_refused(tmp_path):
    root = SysRoot(str(tmp_path))
    assert read_owners(root) == {}
    write_owners(root, {"rdna4_aspm": [ASPM]})
    assert read_owners(root) == {"rdna4_aspm": [ASPM]}
    (tmp_path / "var/lib/inferops.amd/kernel_cmdline.json").write_text('{"owners": {"x": "iommu=pt"}}')
    with pytest.raises(CmdlineError, match="owners must map names to lists"):
        read_owners(root)


def test_released_arguments_stay_pending_until_asked_for_again():
    after = updated_released({}, "rdna4_aspm", [], [ASPM])
    assert after == {"rdna4_aspm": [ASPM]}
    assert pending(after, "rdna4_aspm", []) == [ASPM]
    assert pending(after, "rdna4_aspm", ["pcie_aspm.policy=powersave"]) == []  # asked for (another value)
    assert updated_released(after, "rdna4_aspm", [ASPM], []) == {}
    assert updated_released(after, "rdna4_aspm", [], [ASPM]) == after  # no duplicate
    assert pending(after, "other", []) == []


def test_the_released_lists_round_trip_and_must_be_lists(tmp_path):
    root = SysRoot(str(tmp_path))
    write_state(root, {}, {"rdna4_aspm": [ASPM]})
    assert read_state(root) == ({}, {"rdna4_aspm": [ASPM]}, {})
    (tmp_path / "var/lib/inferops.amd/kernel_cmdline.json").write_text('{"owners": {}, "released": []}')
    with pytest.raises(CmdlineError, match="released must map names to lists"):
        read_state(root)
