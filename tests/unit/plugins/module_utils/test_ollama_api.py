"""Where a client on the server's machine reaches Ollama's API, and waiting for it to answer."""

import time

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._ollama.api import ApiNotAnswering, client_url, wait_for_version


@pytest.mark.parametrize("address, url", [
    ("127.0.0.1:11434", "http://127.0.0.1:11434"),
    ("0.0.0.0:11434", "http://127.0.0.1:11434"),
    ("[::]:11434", "http://127.0.0.1:11434"),
    ("[::1]:8080", "http://[::1]:8080"),
    ("10.0.0.5:11434", "http://10.0.0.5:11434"),
])
def test_client_url_reaches_wildcard_listeners_on_loopback(address, url):
    assert client_url(address) == url


def test_wait_for_version_asks_again_until_the_server_serves():
    answers = [OSError("connection refused"), b"not json", b'{"version": "0.15.5"}']
    asked = []

    def fetch(url):
        asked.append(url)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer
    assert wait_for_version(fetch, "http://127.0.0.1:11434", time.time() + 10, pause=0) == "0.15.5"
    assert asked == ["http://127.0.0.1:11434/api/version"] * 3


def test_wait_for_version_names_the_url_and_the_last_error_at_the_deadline():
    def refuse(url):
        raise OSError("connection refused")
    with pytest.raises(ApiNotAnswering) as failure:
        wait_for_version(refuse, "http://127.0.0.1:1", time.time() - 1, pause=0)
    assert str(failure.value) == "http://127.0.0.1:1/api/version did not answer with a version: connection refused"
