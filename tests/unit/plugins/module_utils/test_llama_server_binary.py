"""What an installed llama-server offers, read from the texts llama.cpp's common/arg.cpp prints.

The --help, --version and --list-devices texts are real: release b11434 as tests/llama builds it
(tests/fixtures/real_world/SOURCES.md).
"""

import os

from ansible_collections.inferops.amd.plugins.module_utils._llama_server import binary

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "real_world", "llama.cpp")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


HELP = binary.parse_help(fixture("help-b11434.txt"))


def test_every_option_line_of_help_is_read_with_all_its_names():
    lines = fixture("help-b11434.txt").splitlines()
    option_lines = [line for line in lines if line.startswith("-") and not line.startswith("-----")]
    assert "----- common params -----" in lines and "-----" not in HELP
    assert len({id(entry) for entry in HELP.values()}) == len(option_lines)
    assert HELP["--device"]["names"] == ["-dev", "--device"] and HELP["-dev"] is HELP["--device"]
    assert HELP["-h"]["names"] == ["-h", "--help", "--usage"]
    # a names column wider than the description's column: the description starts on the next line
    assert HELP["--spec-draft-device"]["names"] == ["--spec-draft-device", "-devd", "--device-draft"]


def test_choices_come_from_the_placeholder_list_or_the_description_items():
    assert HELP["--load-mode"]["choices"] == ["auto", "none", "mmap", "mlock", "mmap+mlock", "dio"]
    assert HELP["--load-mode"]["list"] is False
    assert HELP["--spec-type"]["list"] is True
    assert {"none", "ngram-simple", "ngram-mod", "draft-mtp"} <= set(HELP["--spec-type"]["choices"])
    # a placeholder that is a pattern, not words, gives no choices
    assert HELP["--device"]["choices"] == [] and HELP["--cpu-strict"]["choices"] == []


def test_an_option_kept_only_to_say_it_was_removed_is_not_offered():
    assert HELP["--draft-max"]["removed"] is True and HELP["--spec-draft-n-max"]["removed"] is False
    assert binary.unknown_arguments(HELP, ["--draft-max", "3", "--spec-draft-n-max", "3"]) == ["--draft-max"]


def test_unknown_arguments_names_only_option_words():
    argv = ["--log-verbosity", "4", "--model", "/m/x.gguf", "--threads", "-1", "-t", "2", "--no-such-option",
            "--flash-attn=on", "-zz"]
    assert binary.unknown_arguments(HELP, argv) == ["--no-such-option", "-zz"]


def test_bad_choices_checks_each_word_of_a_list_and_the_whole_value_otherwise():
    argv = ["--spec-type", "ngram-mod,draft-mtp,draft-imaginary", "--load-mode", "dio", "--load-mode", "auto,dio"]
    assert binary.bad_choices(HELP, argv) == [
        ("--spec-type", "draft-imaginary", HELP["--spec-type"]["choices"]),
        ("--load-mode", "auto,dio", HELP["--load-mode"]["choices"])]
    assert binary.bad_choices(HELP, ["--spec-type", "ngram-simple", "--load-mode", "none"]) == []


def test_a_build_without_an_option_reports_it():
    old_help = "\n".join(line for line in fixture("help-b11434.txt").splitlines()
                         if "--load-mode" not in line and "--spec-type" not in line)
    options = binary.parse_help(old_help)
    assert binary.unknown_arguments(options, ["--load-mode", "none", "--spec-type", "ngram-mod"]) == [
        "--load-mode", "--spec-type"]


def test_version_of_a_build_outside_git():
    assert binary.parse_version(fixture("version-b11434.txt")) == {"version": "0.6.0-dev", "build": 0, "commit": "unknown"}
    assert binary.parse_version("") == {"version": None, "build": None, "commit": None}


def test_a_build_without_gpu_backends_lists_no_device():
    assert fixture("list-devices-cpu-b11434.txt") == "Available devices:\n  (none)\n"
    assert binary.parse_devices(fixture("list-devices-cpu-b11434.txt")) == []


def test_version_of_an_older_build():
    assert binary.parse_version(fixture("version-issue9716.txt")) == {"version": None, "build": 3865, "commit": "00b7317e"}


def test_device_lines_among_what_the_backends_print():
    # as posted: stderr (ggml_vulkan's own lines) and stdout together
    assert binary.parse_devices(fixture("list-devices-issue16659.txt")) == [
        {"name": "Vulkan0", "backend": "vulkan", "description": "NVIDIA GeForce RTX 2060", "total_mib": 6144, "free_mib": 5136}]
    assert [(device["name"], device["backend"], device["total_mib"])
            for device in binary.parse_devices(fixture("list-devices-ollama-issue16508.txt"))] == [
        ("CUDA0", "cuda", 11909), ("CUDA1", "cuda", 24026)]


def test_a_description_with_parentheses_keeps_them():
    # common_print_available_devices: printf("  %s: %s (%zu MiB, %zu MiB free)\n", name, description, ...);
    # RADV names its devices "AMD Radeon ... (RADV GFX1201)", ggml-hip "ROCm0".
    text = ("Available devices:\n  ROCm0: AMD Radeon AI PRO R9700 (32624 MiB, 32400 MiB free)\n"
            "  Vulkan0: AMD Radeon AI PRO R9700 (RADV GFX1201) (32624 MiB, 31000 MiB free)\n")
    assert [(device["name"], device["backend"], device["description"]) for device in binary.parse_devices(text)] == [
        ("ROCm0", "rocm", "AMD Radeon AI PRO R9700"), ("Vulkan0", "vulkan", "AMD Radeon AI PRO R9700 (RADV GFX1201)")]


def test_debian_b11669_reads_the_same_way():
    assert binary.parse_version(fixture("version-b11669-debian.txt")) == {"version": "0.7.0", "build": 11669, "commit": "Debian"}
    debian = binary.parse_help(fixture("help-b11669-debian.txt"))
    assert debian["--load-mode"]["choices"] == HELP["--load-mode"]["choices"]
    assert debian["--spec-type"]["choices"] == HELP["--spec-type"]["choices"]
    # options b11669 has and b11434 had not: an older build refuses them
    assert binary.unknown_arguments(HELP, ["--moe-cache-mib", "64"]) == ["--moe-cache-mib"]
    assert binary.unknown_arguments(debian, ["--moe-cache-mib", "64"]) == []
    # lavapipe, a CPU-type Vulkan device, listed because GGML_VK_VISIBLE_DEVICES=0 names it
    assert binary.parse_devices(fixture("list-devices-lavapipe-b11669-debian.txt")) == [
        {"name": "Vulkan0", "backend": "vulkan", "description": "llvmpipe (LLVM 22.1.8, 256 bits)", "total_mib": 24105,
         "free_mib": 23219}]
