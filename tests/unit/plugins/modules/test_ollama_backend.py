"""ollama_backend through the simulated service: restart, journal, verification, failures, input.

The simulated ollama, systemctl and journalctl run inside each scratch tree;
verification reads the 'inference compute' lines the simulated server wrote.
(test_ollama_backend_matrix.py covers every release x layout x host x backend.)
"""

import json
import os
import subprocess

import pytest

from tests.simulation.ollama_layouts import install_layout
from tests.unit.module_runner import run_module

DROPIN = "etc/systemd/system/ollama.service.d/inferops-backend.conf"
OFFICIAL_HIP = "usr/local/lib/ollama/rocm/libggml-hip.so"
ARCH_HIP = "usr/lib/ollama/libggml-hip.so"
DISABLED = ".inferops-disabled"
USER_DROPIN = "etc/systemd/system/ollama.service.d/zz-user.conf"


@pytest.fixture
def host(scratch_host):
    """Scratch host factory whose simulated ollama.service is stopped afterwards."""
    roots = []

    def make(profile, ollama_version=None):
        root = scratch_host(profile)
        if ollama_version:
            marker = os.path.join(root, ".inferops-simulation.json")
            with open(marker) as handle:
                config = json.load(handle)
            config["ollama"]["version"] = ollama_version
            with open(marker, "w") as handle:
                json.dump(config, handle)
        roots.append(root)
        return root
    yield make
    for root in roots:
        systemctl = os.path.join(root, "usr/bin/systemctl")
        if os.path.exists(systemctl):
            subprocess.run([systemctl, "stop", "ollama.service"], env=dict(os.environ, INFEROPS_SYSROOT=root),
                           check=False)


def switch(root, backend, **args):
    args.setdefault("verify_timeout", 20)
    return run_module("ollama_backend", dict(sysroot=root, backend=backend, **args))


def read(root, path):
    with open(os.path.join(root, path)) as handle:
        return handle.read()


def user_dropin(root, text):
    path = os.path.join(root, USER_DROPIN)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write("[Service]\n" + text + "\n")


def test_official_0_15_5_switches_to_vulkan_through_the_environment(host):
    root = host("rx9070xt_chipset")
    result = switch(root, "vulkan", restart=True, verify=True)
    assert result["changed"] and result["restarted"] and not result["restart_required"]
    assert (result["previous_backend"], result["mechanism"], result["version"]) == ("auto", "environment", "0.15.5")
    assert result["moved"] == []
    assert result["dropin"]["environment"] == {"OLLAMA_VULKAN": "1", "ROCR_VISIBLE_DEVICES": "-1"}
    assert os.path.exists(os.path.join(root, OFFICIAL_HIP)), "the environment switch leaves libraries alone"
    assert result["install"]["kind"] == "official", "read again after the change, found the same way"
    placement = result["verification"]["placements"][0]
    assert (placement["pci_id"], placement["library"], placement["type"]) == ("0000:08:00.0", "Vulkan", "discrete")
    assert "vulkan" not in read(root, "etc/systemd/system/ollama.service"), "vendor unit untouched"


def test_second_run_changes_nothing_and_verifies_the_running_server(host):
    root = host("rx9070xt_chipset")
    switch(root, "vulkan", restart=True)
    again = switch(root, "vulkan", restart=True, verify=True)
    assert again["changed"] is False and again["restarted"] is False
    assert again["previous_backend"] == "vulkan" and again["dropin"]["state"] == "unchanged"
    assert again["verification"]["libraries"] == ["vulkan"]
    # the API answers where the server said it listens, with the version it logged
    assert again["verification"]["api_url"] == "http://" + again["verification"]["address"]
    assert again["verification"]["api_version"] == again["verification"]["version"]


def test_strix_halo_on_the_newest_release_keeps_its_igpu_on_vulkan(host):
    root = host("strix_halo_arch_ollama")
    install_layout(root, "arch_split_0_32_15")
    result = switch(root, "vulkan", restart=True, verify=True)
    assert result["dropin"]["environment"] == {"OLLAMA_IGPU_ENABLE": "1", "ROCR_VISIBLE_DEVICES": "-1"}
    placement = result["verification"]["placements"][0]
    assert (placement["library"], placement["type"], placement["matters"]) == ("Vulkan", "iGPU", True)


def test_mixed_host_judges_the_card_and_says_where_the_igpu_went(host):
    root = host("igpu_dgpu_desktop")
    install_layout(root, "official_0_32_15")
    result = switch(root, "vulkan", restart=True, verify=True)
    placements = dict((p["pci_id"], p) for p in result["verification"]["placements"])
    assert placements["0000:06:00.0"]["library"] == "Vulkan" and placements["0000:06:00.0"]["matters"]
    # 0.30+ drops the 2-CU iGPU from Vulkan by itself; it does not matter, so that is no failure
    assert placements["0000:0e:00.0"]["library"] is None and not placements["0000:0e:00.0"]["matters"]


def test_mixed_host_gets_a_per_device_override_only_for_the_card_the_build_lacks(host):
    root = host("igpu_dgpu_desktop")
    install_layout(root, "arch_flat_0_15_5_no_gfx1201")
    result = switch(root, "rocm", restart=True, verify=True)
    env = result["dropin"]["environment"]
    assert env["HSA_OVERRIDE_GFX_VERSION_1"] == "12.0.0" and "HSA_OVERRIDE_GFX_VERSION" not in env
    card = [p for p in result["verification"]["placements"] if p["pci_id"] == "0000:06:00.0"][0]
    assert (card["library"], card["compute"]) == ("ROCm", "gfx1200")


def test_a_dropped_igpu_fails_quoting_ollama_and_naming_the_variable(host):
    root = host("strix_halo_arch_ollama")
    install_layout(root, "arch_split_0_32_15")
    user_dropin(root, 'Environment="OLLAMA_IGPU_ENABLE=0"')   # sorts after ours, so it wins
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", restart=True, verify=True,
                                               verify_timeout=20), expect_failure=True)
    assert "dropping integrated GPU; to enable, set OLLAMA_IGPU_ENABLE=1" in failed["msg"]
    assert "(set OLLAMA_IGPU_ENABLE=1)" in failed["msg"]
    assert failed["changed"] is True, "the failure still reports what was changed"


def test_disabled_vulkan_fails_quoting_ollama_and_naming_the_variable(host):
    root = host("rx9070xt_chipset")
    user_dropin(root, 'Environment="OLLAMA_VULKAN=0"')
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", restart=True, verify=True,
                                               verify_timeout=20), expect_failure=True)
    assert "experimental Vulkan support disabled.  To enable, set OLLAMA_VULKAN=1" in failed["msg"]
    assert "(set OLLAMA_VULKAN=1)" in failed["msg"]


def test_rocm_on_strix_halo_0_32_needs_no_override(host):
    root = host("strix_halo_arch_ollama")
    install_layout(root, "arch_split_0_32_15")
    result = switch(root, "rocm", restart=True, verify=True)
    assert not [key for key in result["dropin"]["environment"] if key.startswith("HSA_")]
    assert result["verification"]["placements"][0]["library"] == "ROCm"


def test_auto_removes_the_dropin_and_restores_moved_folders(host):
    root = host("rx9070xt_chipset")
    switch(root, "vulkan", mechanism="files")
    assert not os.path.exists(os.path.join(root, OFFICIAL_HIP))
    result = switch(root, "auto")
    assert result["changed"] and result["previous_backend"] == "vulkan"
    assert result["dropin"]["state"] == "removed" and not os.path.exists(os.path.join(root, DROPIN))
    assert result["moved"] == [{"from": "/usr/local/lib/ollama.inferops-disabled/rocm",
                                "to": "/usr/local/lib/ollama/rocm"}]
    assert os.path.exists(os.path.join(root, OFFICIAL_HIP))
    assert not os.path.exists(os.path.join(root, "usr/local/lib/ollama.inferops-disabled"))
    assert switch(root, "auto")["changed"] is False


def test_auto_restores_a_library_the_old_module_renamed(host):
    root = host("strix_halo_arch_ollama")
    os.rename(os.path.join(root, ARCH_HIP), os.path.join(root, ARCH_HIP + DISABLED))
    result = switch(root, "auto")
    assert result["moved"] == [{"from": "/usr/lib/ollama/libggml-hip.so" + DISABLED,
                                "to": "/usr/lib/ollama/libggml-hip.so"}]
    assert os.path.exists(os.path.join(root, ARCH_HIP))


def test_cpu_hides_every_gpu(host):
    root = host("strix_halo_arch_ollama")
    result = switch(root, "cpu", restart=True, verify=True)
    assert result["dropin"]["environment"] == {"GGML_VK_VISIBLE_DEVICES": "-1", "ROCR_VISIBLE_DEVICES": "-1"}
    assert result["verification"]["libraries"] == ["cpu"]


def test_check_mode_predicts_without_touching(host):
    root = host("rx9070xt_chipset")
    result = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", mechanism="files", restart=True),
                        check_mode=True, diff=True)
    assert result["changed"] and result["restart_required"] and not result["restarted"]
    assert not os.path.exists(os.path.join(root, DROPIN))
    assert os.path.exists(os.path.join(root, OFFICIAL_HIP))
    assert not os.path.exists(os.path.join(root, "var/log/inferops-sim/journal/ollama.service.jsonl"))
    dropin_diff, library_diff = result["diff"]
    assert dropin_diff["before"] == "" and 'Environment="OLLAMA_VULKAN=1"' in dropin_diff["after"]
    assert "/usr/local/lib/ollama/rocm\n" in library_diff["before"]
    assert "/usr/local/lib/ollama/rocm -> /usr/local/lib/ollama.inferops-disabled/rocm\n" in library_diff["after"]


def test_check_mode_after_the_change_reports_nothing_to_do(host):
    root = host("rx9070xt_chipset")
    switch(root, "vulkan")
    assert run_module("ollama_backend", dict(sysroot=root, backend="vulkan"), check_mode=True)["changed"] is False


def test_verify_refuses_when_the_change_is_not_live_yet(host):
    root = host("rx9070xt_chipset")
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", verify=True), expect_failure=True)
    assert "was not restarted" in failed["msg"] and failed["restart_required"]


def test_verify_needs_a_running_service(host):
    root = host("rx9070xt_chipset")
    switch(root, "vulkan")
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", verify=True), expect_failure=True)
    assert "ollama.service is not running" in failed["msg"]


def systemctl_calls(root):
    """The verbs and arguments the simulated systemctl was called with, in order."""
    path = os.path.join(root, "var/log/inferops-sim/tools.log")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        calls = [json.loads(line) for line in handle]
    return [call["argv"] for call in calls if call["tool"] == "systemctl"]


def unit_state(root):
    out = subprocess.run([os.path.join(root, "usr/bin/systemctl"), "show", "ollama.service"], check=True,
                         capture_output=True, text=True, env=dict(os.environ, INFEROPS_SYSROOT=root)).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


def test_start_enables_and_starts_a_stopped_service_once_on_the_new_backend(host):
    root = host("rx9070xt_chipset")
    assert unit_state(root)["ActiveState"] == "inactive"
    result = switch(root, "vulkan", start=True, verify=True)
    assert result["changed"] and not result["restarted"] and not result["restart_required"]
    assert result["service"]["before"]["ActiveState"] == "inactive"
    assert "start" in result["service"]["actions"]
    assert result["verification"]["libraries"] == ["vulkan"], "the one start ran the new drop-in"
    verbs = [argv[0] for argv in systemctl_calls(root)]
    assert verbs.count("start") == 1 and "restart" not in verbs
    assert verbs.index("daemon-reload") < verbs.index("start")
    state = unit_state(root)
    assert (state["ActiveState"], state["UnitFileState"]) == ("active", "enabled")


def test_start_on_a_running_enabled_service_changes_nothing(host):
    root = host("rx9070xt_chipset")
    switch(root, "vulkan", start=True)
    calls_before = len(systemctl_calls(root))
    again = switch(root, "vulkan", start=True, verify=True)
    assert again["changed"] is False and again["service"]["actions"] == []
    assert again["verification"]["libraries"] == ["vulkan"]
    new_verbs = [argv[0] for argv in systemctl_calls(root)[calls_before:]]
    assert new_verbs == ["show"], "one read, which also says it runs: %s" % new_verbs


def test_start_with_restart_restarts_a_running_service_once(host):
    root = host("rx9070xt_chipset")
    switch(root, "rocm", start=True)
    calls_before = len(systemctl_calls(root))
    result = switch(root, "vulkan", start=True, restart=True, verify=True)
    assert result["restarted"] and result["service"]["actions"] == []
    new_verbs = [argv[0] for argv in systemctl_calls(root)[calls_before:]]
    assert new_verbs.count("restart") == 1 and "start" not in new_verbs
    assert result["verification"]["libraries"] == ["vulkan"]


def test_start_in_check_mode_predicts_and_runs_only_show(host):
    root = host("rx9070xt_chipset")
    result = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", start=True, verify=True),
                        check_mode=True)
    assert result["changed"] and result["service"]["actions"] == ["enable", "start"]
    assert [argv[0] for argv in systemctl_calls(root)] == ["show"]
    assert unit_state(root)["ActiveState"] == "inactive"


def test_start_of_a_unit_that_is_not_installed_fails_before_anything_is_written(host):
    root = host("rx9070xt_chipset")
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", start=True, unit="other.service"),
                        expect_failure=True)
    assert "unit 'other.service' not found" in failed["msg"]
    assert not os.path.exists(os.path.join(root, "etc/systemd/system/other.service.d"))


def snapshot(root):
    """Every entry of the tree with its bytes (or link target), to prove that nothing changed."""
    entries = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                entries[path] = "-> " + os.readlink(path)
            elif os.path.isfile(path):
                with open(path, "rb") as handle:
                    entries[path] = handle.read()
            else:
                entries[path] = "dir"
    return entries


# The unit is looked for where systemd looks (lookup_paths_init(), src/libsystemd/sd-path/path-lookup.c;
# systemd.unit(5)): a drop-in for a unit that does not exist is read by nothing.
@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize("backend, mechanism", [("vulkan", "auto"), ("vulkan", "files"), ("auto", "auto")])
def test_a_unit_without_a_unit_file_is_refused_before_anything_is_written(host, check_mode, backend, mechanism):
    root = host("rx9070xt_chipset")
    before = snapshot(root)
    failed = run_module("ollama_backend", dict(sysroot=root, backend=backend, mechanism=mechanism,
                                               unit="olama.service"), check_mode=check_mode, expect_failure=True)
    assert failed["msg"].startswith("unit 'olama.service' not found: no unit file olama.service in ")
    for folder in ("/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
                   "/usr/lib/systemd/system", "/lib/systemd/system"):
        assert folder + "," in failed["msg"]
    assert "sysroot %s" % root in failed["msg"] and "nothing was written" in failed["msg"]
    assert snapshot(root) == before


@pytest.mark.parametrize("folder", ["usr/lib/systemd/system", "lib/systemd/system", "usr/local/lib/systemd/system",
                                    "run/systemd/system"])
def test_a_unit_file_anywhere_in_the_search_path_is_found(host, folder):
    root = host("rx9070xt_chipset")
    os.makedirs(os.path.join(root, folder), exist_ok=True)
    os.rename(os.path.join(root, "etc/systemd/system/ollama.service"), os.path.join(root, folder, "ollama.service"))
    result = switch(root, "vulkan")
    assert result["changed"] and os.path.exists(os.path.join(root, DROPIN))


def test_an_instance_is_found_through_its_template(host):
    root = host("rx9070xt_chipset")
    os.rename(os.path.join(root, "etc/systemd/system/ollama.service"),
              os.path.join(root, "etc/systemd/system/ollama@.service"))
    result = switch(root, "vulkan", unit="ollama@gpu0.service")
    assert result["dropin"]["path"] == "/etc/systemd/system/ollama@gpu0.service.d/inferops-backend.conf"
    assert os.path.exists(os.path.join(root, "etc/systemd/system/ollama@gpu0.service.d/inferops-backend.conf"))
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", unit="olama@gpu0.service"),
                        expect_failure=True)
    assert "no unit file olama@gpu0.service or olama@.service in" in failed["msg"]


SETTINGS = "etc/systemd/system/ollama.service.d/inferops-settings.conf"
ROLE_SETTINGS = {"OLLAMA_HOST": "127.0.0.1:11434", "OLLAMA_FLASH_ATTENTION": True, "OLLAMA_KV_CACHE_TYPE": "q8_0",
                 "OLLAMA_KEEP_ALIVE": None}


def test_settings_and_backend_take_one_start_and_the_server_runs_both(host):
    root = host("rx9070xt_chipset")
    result = switch(root, "vulkan", environment=dict(ROLE_SETTINGS, OLLAMA_HOST="127.0.0.1:11500"), start=True,
                    restart=True, verify=True)
    text = read(root, SETTINGS)
    assert 'Environment="OLLAMA_HOST=127.0.0.1:11500"' in text and 'Environment="OLLAMA_FLASH_ATTENTION=1"' in text
    assert "OLLAMA_KEEP_ALIVE" not in text, "a null value is no setting"
    assert result["settings"]["state"] == "written"
    assert result["settings"]["environment"]["OLLAMA_FLASH_ATTENTION"] == "1"
    verbs = [argv[0] for argv in systemctl_calls(root)]
    assert verbs.count("restart") + verbs.count("start") == 1
    with open(os.path.join(root, "var/log/inferops-sim/journal/ollama.service.jsonl")) as handle:
        configs = [line for line in handle if "server config" in line]
    assert len(configs) == 1 and "OLLAMA_HOST:127.0.0.1:11500" in configs[0], "the one start read the settings"
    again = switch(root, "vulkan", environment=dict(ROLE_SETTINGS, OLLAMA_HOST="127.0.0.1:11500"), start=True,
                   restart=True, verify=True)
    assert again["changed"] is False and again["settings"]["state"] == "unchanged"


def test_a_settings_change_alone_restarts_the_service_once(host):
    root = host("rx9070xt_chipset")
    switch(root, "vulkan", environment=ROLE_SETTINGS, start=True, restart=True)
    calls_before = len(systemctl_calls(root))
    result = switch(root, "vulkan", environment=dict(ROLE_SETTINGS, OLLAMA_KV_CACHE_TYPE="q4_0"), start=True,
                    restart=True, verify=True)
    assert result["changed"] and result["restarted"] and result["dropin"]["state"] == "unchanged"
    assert [argv[0] for argv in systemctl_calls(root)[calls_before:]].count("restart") == 1
    assert "OLLAMA_KV_CACHE_TYPE=q4_0" in read(root, SETTINGS)


@pytest.mark.parametrize("name", ["OLLAMA_VULKAN", "ROCR_VISIBLE_DEVICES", "HSA_OVERRIDE_GFX_VERSION_1"])
def test_a_backend_switch_in_the_settings_is_refused_before_anything_is_written(host, name):
    root = host("rx9070xt_chipset")
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", environment={name: "0"}),
                        expect_failure=True)
    assert name in failed["msg"] and "backend 'vulkan'" in failed["msg"]
    assert not os.path.exists(os.path.join(root, "etc/systemd/system/ollama.service.d"))


def test_with_backend_auto_the_settings_may_hold_a_switch(host):
    root = host("rx9070xt_chipset")
    result = switch(root, "auto", environment={"ROCR_VISIBLE_DEVICES": "0"})
    assert 'Environment="ROCR_VISIBLE_DEVICES=0"' in read(root, SETTINGS) and result["changed"]


def test_an_empty_environment_removes_the_settings_and_none_leaves_them(host):
    root = host("rx9070xt_chipset")
    switch(root, "vulkan", environment=ROLE_SETTINGS)
    untouched = switch(root, "vulkan")
    assert "settings" not in untouched and os.path.exists(os.path.join(root, SETTINGS))
    removed = switch(root, "vulkan", environment={})
    assert removed["changed"] and removed["settings"]["state"] == "removed"
    assert not os.path.exists(os.path.join(root, SETTINGS))
    assert os.path.exists(os.path.join(root, DROPIN)), "the backend drop-in and its folder stay"


def test_check_mode_shows_the_settings_diff_and_writes_nothing(host):
    root = host("rx9070xt_chipset")
    result = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", environment=ROLE_SETTINGS),
                        check_mode=True, diff=True)
    settings_diff = result["diff"][2]
    assert settings_diff["before"] == "" and 'Environment="OLLAMA_KV_CACHE_TYPE=q8_0"' in settings_diff["after"]
    assert settings_diff["after_header"] == "/" + SETTINGS
    assert not os.path.exists(os.path.join(root, SETTINGS))


def test_a_failed_backend_write_puts_the_old_settings_back(host):
    root = host("rx9070xt_chipset")
    switch(root, "auto", environment=ROLE_SETTINGS)
    before = read(root, SETTINGS)
    os.makedirs(os.path.join(root, DROPIN))  # the backend drop-in cannot be written over a folder
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan",
                                               environment=dict(ROLE_SETTINGS, OLLAMA_KV_CACHE_TYPE="f16")),
                        expect_failure=True)
    assert "writing /%s failed" % DROPIN in failed["msg"]
    assert read(root, SETTINGS) == before


def test_no_ollama_is_a_clear_failure(host):
    failed = run_module("ollama_backend", dict(sysroot=host("r9700_desktop"), backend="vulkan"), expect_failure=True)
    assert failed["msg"].startswith("Ollama is not installed: no ollama executable at /usr/local/bin/ollama")


def test_unknown_layout_names_the_folder(host):
    root = host("strix_halo_arch_ollama")
    folder = os.path.join(root, "usr/lib/ollama")
    for name in os.listdir(folder):
        os.unlink(os.path.join(folder, name))
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan"), expect_failure=True)
    assert "/usr/lib/ollama" in failed["msg"] and "layout" in failed["msg"]


@pytest.mark.parametrize("unit", ["ollama", "../../etc/passwd", "ollama.service/x", "", ".service",
                                  "ollama.socket"])
def test_a_unit_that_is_no_service_name_fails_before_anything_is_written(host, unit):
    root = host("rx9070xt_chipset")
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", unit=unit), expect_failure=True)
    assert "is not a systemd service name" in failed["msg"] and "NAME.service" in failed["msg"]
    assert not os.path.exists(os.path.join(root, "etc/systemd/system/ollama.service.d"))
    assert not os.path.exists(os.path.join(root, "etc/passwd.d"))


def test_bad_override_fails_before_anything_changes(host):
    root = host("strix_halo_arch_ollama")
    failed = run_module("ollama_backend", dict(sysroot=root, backend="rocm", gfx_version_override="gfx1151"),
                        expect_failure=True)
    assert "'gfx1151' is not a gfx version" in failed["msg"] and "11.5.1" in failed["msg"]
    assert not os.path.exists(os.path.join(root, DROPIN))


def test_bad_version_fails_before_anything_changes(host):
    root = host("rx9070xt_chipset")
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", version="latest"), expect_failure=True)
    assert "'latest' is not an Ollama version" in failed["msg"]
    assert not os.path.exists(os.path.join(root, DROPIN))


def test_missing_vulkan_library_is_refused(host):
    root = host("strix_halo_arch_ollama")
    os.unlink(os.path.join(root, "usr/lib/ollama/libggml-vulkan.so"))
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan"), expect_failure=True)
    assert "no Vulkan backend" in failed["msg"] and "installed GPU backends: rocm" in failed["msg"]
    assert os.path.exists(os.path.join(root, ARCH_HIP))


def test_version_option_skips_asking_the_binary(host):
    root = host("rx9070xt_chipset")
    os.chmod(os.path.join(root, "usr/local/bin/ollama"), 0o644)
    result = switch(root, "vulkan", version="0.32.15")
    assert result["version"] == "0.32.15" and result["dropin"]["environment"] == {"ROCR_VISIBLE_DEVICES": "-1"}


def test_unreadable_version_fails_asking_for_the_option(host):
    root = host("rx9070xt_chipset")
    os.chmod(os.path.join(root, "usr/local/bin/ollama"), 0o644)
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan"), expect_failure=True)
    assert "set the version option" in failed["msg"]
    assert not os.path.exists(os.path.join(root, DROPIN))


def test_stale_pair_of_backend_folders_is_refused_untouched(host):
    root = host("rx9070xt_chipset")
    os.makedirs(os.path.join(root, "usr/local/lib/ollama.inferops-disabled/rocm"))
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", mechanism="files"),
                        expect_failure=True)
    assert "remove the stale one" in failed["msg"] or "side by side" in failed["msg"] or "records" in failed["msg"]
    assert not os.path.exists(os.path.join(root, DROPIN))
