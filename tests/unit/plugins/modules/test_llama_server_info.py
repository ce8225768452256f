"""llama_server_info runs the tree's llama-server (a stand-in that prints real texts) and reads what it offers.

The stand-in prints the recorded --help and --version of release b11434 (tests/fixtures/real_world/llama.cpp)
and a device list as common_print_available_devices formats it.  Like ggml-vulkan's ggml_vk_instance_init it
lists a CPU-type Vulkan device (llvmpipe) only when GGML_VK_VISIBLE_DEVICES names it, so the test also shows
that the module runs the binary with the environment it is given.
"""

import os

import pytest

from tests.unit.module_runner import run_module

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "real_world", "llama.cpp")
BINARY = "/usr/bin/llama-server"

STAND_IN = """#!/bin/sh
case "$1" in
--help) cat '%(fixtures)s/help-b11434.txt' ;;
--version) cat '%(fixtures)s/version-b11434.txt' >&2 ;;
--list-devices)
    echo "load_backend: loaded HIP backend from /usr/lib/x86_64-linux-gnu/ggml/backends0/libggml-hip.so" >&2
    echo "Available devices:"
    echo "  ROCm0: AMD Radeon AI PRO R9700 (32624 MiB, 32400 MiB free)"
    if [ "$GGML_VK_VISIBLE_DEVICES" = "0" ]; then
        echo "  Vulkan0: llvmpipe (LLVM 19.1.7, 256 bits) (64000 MiB, 64000 MiB free)"
    fi
    if [ -n "$MARKER" ]; then touch "$MARKER"; fi
    ;;
*) exit 2 ;;
esac
"""


@pytest.fixture
def tree(scratch_host, tmp_path):
    root = scratch_host("r9700_desktop")
    path = os.path.join(root, BINARY.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(STAND_IN % {"fixtures": os.path.abspath(FIXTURES)})
    os.chmod(path, 0o755)
    return root


def test_devices_options_and_build_of_the_installed_binary(tree):
    result = run_module("llama_server_info", dict(sysroot=tree, binary=BINARY))
    assert result["changed"] is False and result["ran"] is True
    assert (result["version"], result["build"]) == ("0.6.0-dev", 0)
    assert result["devices"] == [{"name": "ROCm0", "backend": "rocm", "description": "AMD Radeon AI PRO R9700",
                                  "total_mib": 32624, "free_mib": 32400}]
    assert "--load-mode" in result["options"] and "-lm" in result["options"]
    assert "--draft-max" not in result["options"], "an option b11434 only keeps to say it was removed"
    assert result["choices"]["--load-mode"] == ["auto", "none", "mmap", "mlock", "mmap+mlock", "dio"]
    assert result["unknown"] == [] and result["bad_choices"] == []


def test_the_environment_decides_which_devices_a_backend_lists(tree):
    result = run_module("llama_server_info", dict(sysroot=tree, binary=BINARY,
                                                  environment={"GGML_VK_VISIBLE_DEVICES": 0}))
    assert [device["name"] for device in result["devices"]] == ["ROCm0", "Vulkan0"]
    assert result["devices"][1]["backend"] == "vulkan"


def test_arguments_the_build_does_not_offer_are_named(tree):
    arguments = ["--model", "/m/x.gguf", "--no-mmap", "--draft-max", "4", "--spec-type", "ngram-mod,draft-telepathy",
                 "--load-mode", "dio"]
    result = run_module("llama_server_info", dict(sysroot=tree, binary=BINARY, arguments=arguments), check_mode=True)
    assert result["unknown"] == ["--no-mmap", "--draft-max"]
    assert [(bad["option"], bad["value"]) for bad in result["bad_choices"]] == [("--spec-type", "draft-telepathy")]


def test_a_missing_binary_fails_with_its_path(tree):
    result = run_module("llama_server_info", dict(sysroot=tree, binary="/opt/llama/llama-server"), expect_failure=True)
    assert result["msg"] == "no llama-server at /opt/llama/llama-server on %s" % tree


def test_a_binary_that_is_not_llama_server_fails(tree):
    with open(os.path.join(tree, "usr/bin/false-server"), "w") as handle:
        handle.write("#!/bin/sh\nexit 0\n")
    os.chmod(os.path.join(tree, "usr/bin/false-server"), 0o755)
    result = run_module("llama_server_info", dict(sysroot=tree, binary="/usr/bin/false-server"), expect_failure=True)
    assert result["msg"] == "/usr/bin/false-server --help lists no options: is it llama.cpp's llama-server?"


def test_a_tree_is_data_without_the_simulation_switch(tree, tmp_path, monkeypatch):
    monkeypatch.delenv("INFEROPS_SIMULATION", raising=False)
    marker = tmp_path / "ran"
    result = run_module("llama_server_info", dict(sysroot=tree, binary=BINARY, environment={"MARKER": str(marker)}))
    assert result["ran"] is False and result["devices"] == [] and result["options"] == []
    assert not marker.exists()
    monkeypatch.setenv("INFEROPS_SIMULATION", "1")
    assert run_module("llama_server_info", dict(sysroot=tree, binary=BINARY, environment={"MARKER": str(marker)}))["ran"]
    assert marker.exists(), "the stand-in runs where the switch is on (the marker proves the test could see it)"
