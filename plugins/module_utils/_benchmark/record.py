# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The benchmark result kept on the host, as an Ansible local fact.

One JSON file in /etc/ansible/facts.d (``ansible_local.inferops_benchmark`` once facts are
gathered) holds the latest result per serving stack and model, keyed ``<api>/<model>``, so the
next run compares with it.  Written atomically through SysRoot.write_config.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

DEFAULT_FACTS_FILE = "/etc/ansible/facts.d/inferops_benchmark.fact"
FORMAT_VERSION = 1


class RecordError(Exception):
    pass


def record_key(api, model):
    return "%s/%s" % (api, model or "(loaded model)")


def load(text):
    """The facts file's content as a dict; an absent file is an empty one."""
    if text is None or not text.strip():
        return {"format": FORMAT_VERSION, "results": {}}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise RecordError("not JSON: %s" % exc)
    if not isinstance(data, dict) or not isinstance(data.get("results", {}), dict):
        raise RecordError("expected an object with a 'results' object")
    data.setdefault("results", {})
    data.setdefault("format", FORMAT_VERSION)
    return data


def previous(data, key):
    return data["results"].get(key)


def with_result(data, key, result):
    """A copy of the file's data with ``result`` as the latest for ``key``."""
    updated = {"format": data.get("format", FORMAT_VERSION), "results": dict(data["results"])}
    updated["results"][key] = result
    return updated


def dump(data):
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
