# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ollama's HTTP API as a client on the server's own machine reaches it.

The server logs where it listens (``Listening on 127.0.0.1:11434 (version 0.12.11)``, routes.go, after
``net.Listen`` and before ``Serve``), so the address comes from the log; a wildcard address (OLLAMA_HOST
0.0.0.0 or [::]) is reached on loopback.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

WILDCARD_HOSTS = ("0.0.0.0", "[::]", "")


def client_url(address):
    """``http://HOST:PORT`` for the logged listen ``address`` (``HOST:PORT``, IPv6 hosts in brackets)."""
    host, port = address.rsplit(":", 1)
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"
    return "http://%s:%s" % (host, port)


class ApiNotAnswering(Exception):
    """The API gave no version before the deadline."""


def wait_for_version(fetch, url, deadline, pause=0.5):
    """The ``version`` of ``GET url/api/version``, asked until ``deadline`` (a time.time() value).

    ``fetch(url)`` returns the response body (bytes or text) or raises; its last error is in the exception.
    """
    while True:
        try:
            return json.loads(fetch(url + "/api/version"))["version"]
        except Exception as exc:  # any failure to connect, read or parse: the server is not serving yet
            if time.time() >= deadline:
                raise ApiNotAnswering("%s/api/version did not answer with a version: %s" % (url, exc))
        time.sleep(pause)
