"""What the Debian unstable host's tests share."""

import os

import pytest

from tests.debian_unstable import host


def require_host():
    """Skip where this machine cannot run the host; fail instead under INFEROPS_REQUIRE_UNSTABLE=1 (`make unstable`)."""
    reason = host.missing()
    if reason:
        message = "the Debian unstable host cannot run here: " + reason
        if os.environ.get("INFEROPS_REQUIRE_UNSTABLE") == "1":
            pytest.fail(message)
        pytest.skip(message)
