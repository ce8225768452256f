"""gfx_version filter: gfx target -> HSA_OVERRIDE_GFX_VERSION."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.inferops.amd.plugins.filter.gfx_version import FilterModule

gfx_version = FilterModule().filters()["gfx_version"]


@pytest.mark.parametrize("target, value", [("gfx1201", "12.0.1"), ("gfx1151", "11.5.1"), ("gfx1100", "11.0.0")])
def test_targets(target, value):
    assert gfx_version(target) == value


def test_bad_target_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="'RX 9070' is not a gfx target"):
        gfx_version("RX 9070")
