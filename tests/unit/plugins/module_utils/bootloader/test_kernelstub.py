"""kernelstub's configuration file (module_utils/_kernel_cmdline/bootloaders/kernelstub.py)."""

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.bootloaders.kernelstub import parse_kernelstub_config
from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import CmdlineError


def test_kernelstub_configuration_user_options():
    text = '{"default": {"kernel_options": ["quiet", "splash"]}, "user": {"kernel_options": ["quiet", "loglevel=0"]}}'
    assert parse_kernelstub_config(text) == ["quiet", "loglevel=0"]
    with pytest.raises(CmdlineError, match="no user.kernel_options"):
        parse_kernelstub_config('{"default": {}}')
    with pytest.raises(CmdlineError, match="not a list of strings"):
        parse_kernelstub_config('{"user": {"kernel_options": "quiet"}}')
