# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: ollama_release
short_description: Official Linux archive names and ROCm folder of an Ollama release
version_added: "0.2.0"
description:
  - Reads the collection's Ollama release table (module_utils ollama_release_table, sourced from ollama/ollama's
    release workflow).
  - Archives are C(.tgz) up to 0.13.5 and C(.tar.zst) from 0.14.0; ROCm lives in C(lib/ollama/rocm) up to
    0.24 and in C(lib/ollama/rocm_v7_2) from 0.30.
options:
  _input:
    description: Ollama version, C(X.Y.Z).
    type: str
    required: true
author:
  - inferops.amd contributors (@inferops)
"""

EXAMPLES = r"""
- name: Name of the ROCm archive of the pinned release
  ansible.builtin.debug:
    msg: "{{ (ollama_version | inferops.amd.ollama_release).archives.rocm }}"
"""

RETURN = r"""
_value:
  description: C(archives) (C(base), C(rocm) file names), C(extension), C(rocm_folder), C(newest_stable).
  type: dict
"""

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.inferops.amd.plugins.module_utils._ollama.release_table import NEWEST_STABLE, OfficialRelease


def ollama_release(version):
    if not re.match(r"^\d+\.\d+\.\d+$", str(version)):
        raise AnsibleFilterError("'%s' is not an Ollama release version (X.Y.Z)" % version)
    release = OfficialRelease(str(version))
    return {"archives": release.archives(), "extension": release.archive_extension,
            "rocm_folder": release.rocm_folder, "newest_stable": NEWEST_STABLE}


class FilterModule(object):
    def filters(self):
        return {"ollama_release": ollama_release}
