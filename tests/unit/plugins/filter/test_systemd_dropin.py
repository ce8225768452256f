"""systemd_environment_dropin filter: role variables -> drop-in text."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.inferops.amd.plugins.filter.systemd_dropin import FilterModule
from ansible_collections.inferops.amd.plugins.module_utils.systemd_dropin import parse_environment

dropin = FilterModule().filters()["systemd_environment_dropin"]


def test_null_and_empty_values_are_left_out_and_booleans_become_digits():
    text = dropin({"OLLAMA_HOST": "127.0.0.1:11434", "OLLAMA_KEEP_ALIVE": None, "OLLAMA_KV_CACHE_TYPE": "",
                   "OLLAMA_FLASH_ATTENTION": True, "OLLAMA_NUM_PARALLEL": 2}, comment="managed")
    assert text.startswith("# managed\n[Service]\n")
    assert parse_environment(text) == {"OLLAMA_HOST": "127.0.0.1:11434", "OLLAMA_FLASH_ATTENTION": "1",
                                       "OLLAMA_NUM_PARALLEL": "2"}


def test_bad_input_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="expects a dict"):
        dropin(["OLLAMA_HOST"])
    with pytest.raises(AnsibleFilterError, match="not a valid environment variable name"):
        dropin({"BAD NAME": "x"})
