# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What an installed llama-server offers, read from its own output.

llama.cpp's common/arg.cpp writes all three texts (the forms below are those of releases
b11434, the one the tests build, and b11669, Debian's llama.cpp 1:0.7.0):

* ``--help`` (stdout, exit 0): ``common_params_print_usage``; each option starts a line at column 0
  with its names, comma-separated, and the value placeholder of the last one
  (``-lm,   --load-mode MODE``), then its description, indented, on that line after two or more
  spaces or on the next ones.  A placeholder that is a comma-separated list of words is the option's
  choices (``--spec-type none,draft-simple,...``); an option whose description lists
  ``- word: ...`` items has those words as its choices (``--load-mode``).  An option kept only to say
  that it went away says "the argument has been removed".
* ``--list-devices`` (stdout, exit 0): ``Available devices:`` and a line per device the loaded backends
  offer, ``  <name>: <description> (<total> MiB, <free> MiB free)``, from ``ggml_backend_dev_name``
  (``Vulkan0``, ``ROCm0``, ``CUDA0``), ``ggml_backend_dev_description`` and
  ``ggml_backend_dev_memory``; ``  (none)`` when there is none.
* ``--version`` (stderr, exit 0): ``version: <version> (build <n>, commit <hash>)``; older builds
  print ``version: <build> (<hash>)``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.inferops.amd.plugins.module_utils._llama_server.log import BACKEND_OF_DEVICE

OPTION_LINE = re.compile(r"^--?[A-Za-z0-9]")  # not the "----- common params -----" headings
NAMES_SEPARATOR = re.compile(r",\s+(?=-)")
CHOICE_ITEM = re.compile(r"^\s+- ([A-Za-z0-9_+.-]+): ")
CHOICE_LIST = re.compile(r"^[a-z0-9_+.-]+(?:,[a-z0-9_+.-]+)+$")
REMOVED = "the argument has been removed"
DEVICE_LINE = re.compile(r"^\s+(\S+): (.*) \((\d+) MiB, (\d+) MiB free\)\s*$")
VERSION_LINE = re.compile(r"version: (\S+) \(build (\d+), commit (\S+)\)")
# Before about August 2026 (b10xxx) the line was ``version: <build> (<commit>)``.
OLD_VERSION_LINE = re.compile(r"version: (\d+) \((\S+)\)")

# ggml_backend_dev_name's prefix -> the collection's backend word: the log's table, and the RPC devices
# --list-devices also lists (the log judges only the GPU a model runs on).
DEVICE_BACKENDS = BACKEND_OF_DEVICE + (("RPC", "rpc"),)


def _option_blocks(text):
    """``[(names column, [description lines])]`` for each option of ``--help``."""
    blocks = []
    for line in text.splitlines():
        if OPTION_LINE.match(line):
            match = re.match(r"^(\S.*?)(?:\s{2,}(.*))?$", NAMES_SEPARATOR.sub(", ", line.rstrip()))
            blocks.append((match.group(1), [match.group(2)] if match.group(2) else []))
        elif blocks and line.startswith(" "):
            blocks[-1][1].append(line)
    return blocks


def parse_help(text):
    """``{name: {"names", "choices", "list", "removed"}}`` for every option name ``--help`` shows.

    ``list``: the choices are the placeholder's comma-separated words, and so is the value
    (``--spec-type ngram-mod,draft-mtp``); otherwise a value is one of them.
    """
    options = {}
    for names_column, description in _option_blocks(text):
        parts = [part.strip() for part in names_column.split(", ")]
        names = [part.split()[0] for part in parts if part.startswith("-")]
        last = parts[-1].split(None, 1)
        placeholder = last[1] if len(last) == 2 else ""
        is_list = bool(CHOICE_LIST.match(placeholder))
        choices = placeholder.split(",") if is_list else [
            match.group(1) for match in (CHOICE_ITEM.match(line) for line in description) if match]
        entry = {"names": names, "choices": choices, "list": is_list,
                 "removed": any(REMOVED in line for line in description)}
        for name in names:
            options.setdefault(name, entry)
    return options


def backend_of_device(name):
    for prefix, backend in DEVICE_BACKENDS:
        if name.startswith(prefix):
            return backend
    return name.rstrip("0123456789").lower()


def parse_devices(text):
    """``[{name, backend, description, total_mib, free_mib}]`` from ``--list-devices``, in its order."""
    devices = []
    for line in text.splitlines():
        match = DEVICE_LINE.match(line)
        if match:
            devices.append({"name": match.group(1), "backend": backend_of_device(match.group(1)),
                            "description": match.group(2), "total_mib": int(match.group(3)),
                            "free_mib": int(match.group(4))})
    return devices


def parse_version(text):
    """``{version, build, commit}`` from ``--version`` (nulls where it says nothing we can read)."""
    match = VERSION_LINE.search(text or "")
    if match:
        return {"version": match.group(1), "build": int(match.group(2)), "commit": match.group(3)}
    match = OLD_VERSION_LINE.search(text or "")
    if match:
        return {"version": None, "build": int(match.group(1)), "commit": match.group(2)}
    return {"version": None, "build": None, "commit": None}


def unknown_arguments(options, argv):
    """The words of ``argv`` that name an option (``-x``, ``--xy``) this llama-server does not offer, or has removed."""
    unknown = []
    for word in argv:
        if not word.startswith("-") or re.match(r"^-\d", word):
            continue
        name = word.split("=", 1)[0]
        if name.startswith("--"):
            name = name.replace("_", "-")  # as common_params_parse_ex reads a long option
        entry = options.get(name)
        if entry is None or entry["removed"]:
            unknown.append(name)
    return unknown


def bad_choices(options, argv):
    """``[(option, value, choices)]`` for each value in ``argv`` outside the choices its option lists."""
    bad = []
    for index, word in enumerate(argv[:-1]):
        entry = options.get(word)
        if not entry or not entry["choices"]:
            continue
        values = argv[index + 1].split(",") if entry["list"] else [argv[index + 1]]
        bad += [(word, value, entry["choices"]) for value in values if value not in entry["choices"]]
    return bad
