"""ollama_backend through the simulated service: selection, verification, failures, input.

The simulated ollama, systemctl and journalctl run inside each scratch tree. The module selects the
backend; the test restarts the service with the tree's systemctl (what the role's handler does through
inferops.amd.systemd_service); the module with verify reads the 'inference compute' lines the simulated
server wrote. (test_ollama_backend_matrix.py covers every release x layout x host x backend.)
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
    return run_module("ollama_backend", dict(sysroot=root, backend=backend, **args))


def restart(root, unit="ollama.service"):
    """What the role's handler does: daemon-reload and restart, with the tree's (simulated) systemctl."""
    for args in (["daemon-reload"], ["restart", unit]):
        subprocess.run([os.path.join(root, "usr/bin/systemctl")] + args, check=True, capture_output=True,
                       env=dict(os.environ, INFEROPS_SYSROOT=root))


def verify(root, backend, expect_failure=False, **args):
    args.setdefault("verify_timeout", 20)
    return run_module("ollama_backend", dict(sysroot=root, backend=backend, verify=True, **args),
                      expect_failure=expect_failure)


def select_restart_verify(root, backend, **args):
    """(selection result, verification result): the role's order."""
    selected = switch(root, backend, **args)
    restart(root)
    return selected, verify(root, backend, **args)


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
    result, verified = select_restart_verify(root, "vulkan")
    assert result["changed"] and result["restart_required"]
    assert result["msg"] == "selected vulkan; restart ollama.service to run it"
    assert (result["previous_backend"], result["mechanism"], result["version"]) == ("auto", "environment", "0.15.5")
    assert result["moved"] == []
    assert result["dropin"]["environment"] == {"OLLAMA_VULKAN": "1", "ROCR_VISIBLE_DEVICES": "-1"}
    assert os.path.exists(os.path.join(root, OFFICIAL_HIP)), "the environment switch leaves libraries alone"
    assert result["install"]["kind"] == "official", "read again after the change, found the same way"
    assert verified["verified"] is True and verified["changed"] is False and not verified["restart_required"]
    placement = verified["verification"]["placements"][0]
    assert (placement["pci_id"], placement["library"], placement["type"]) == ("0000:08:00.0", "Vulkan", "discrete")
    assert "vulkan" not in read(root, "etc/systemd/system/ollama.service"), "vendor unit untouched"


def test_second_run_changes_nothing_and_verifies_the_running_server(host):
    root = host("rx9070xt_chipset")
    select_restart_verify(root, "vulkan")
    again = switch(root, "vulkan")
    assert again["changed"] is False and again["restart_required"] is False
    assert again["previous_backend"] == "vulkan" and again["dropin"]["state"] == "unchanged"
    assert again["msg"] == "vulkan is selected already" and again["verified"] is False
    verified = verify(root, "vulkan")
    assert verified["verification"]["libraries"] == ["vulkan"]
    # the API answers where the server said it listens, with the version it logged
    assert verified["verification"]["api_url"] == "http://" + verified["verification"]["address"]
    assert verified["verification"]["api_version"] == verified["verification"]["version"]
    assert verified["msg"] == ("ollama.service runs on vulkan: every device that matters is in its inference "
                               "compute lines")


def test_verify_writes_nothing(host):
    root = host("rx9070xt_chipset")
    select_restart_verify(root, "vulkan")
    before = snapshot(root, volatile=True)
    for check_mode in (False, True):
        result = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", verify=True, verify_timeout=20),
                            check_mode=check_mode)
        assert result["verified"] is True and result["changed"] is False
    assert snapshot(root, volatile=True) == before


def test_strix_halo_on_the_newest_release_keeps_its_igpu_on_vulkan(host):
    root = host("strix_halo_arch_ollama")
    install_layout(root, "arch_split_0_32_15")
    result, verified = select_restart_verify(root, "vulkan")
    assert result["dropin"]["environment"] == {"OLLAMA_IGPU_ENABLE": "1", "OLLAMA_LLM_LIBRARY": "vulkan"}
    placement = verified["verification"]["placements"][0]
    assert (placement["library"], placement["type"], placement["matters"]) == ("Vulkan", "iGPU", True)


def test_mixed_host_judges_the_card_and_says_where_the_igpu_went(host):
    root = host("igpu_dgpu_desktop")
    install_layout(root, "official_0_32_15")
    _result, verified = select_restart_verify(root, "vulkan")
    placements = dict((p["pci_id"], p) for p in verified["verification"]["placements"])
    assert placements["0000:06:00.0"]["library"] == "Vulkan" and placements["0000:06:00.0"]["matters"]
    # 0.30+ drops the 2-CU iGPU from Vulkan by itself; it does not matter, so that is no failure
    assert placements["0000:0e:00.0"]["library"] is None and not placements["0000:0e:00.0"]["matters"]


def test_mixed_host_gets_a_per_device_override_only_for_the_card_the_build_lacks(host):
    root = host("igpu_dgpu_desktop")
    install_layout(root, "arch_flat_0_15_5_no_gfx1201")
    result, verified = select_restart_verify(root, "rocm")
    env = result["dropin"]["environment"]
    # the card is the second KFD GPU node (the iGPU is the first): ROCm device 1
    assert [(d["pci_id"], d["rocm_index"]) for d in result["devices"]] == [("0000:06:00.0", 1), ("0000:0e:00.0", 0)]
    assert env["HSA_OVERRIDE_GFX_VERSION_1"] == "12.0.0" and "HSA_OVERRIDE_GFX_VERSION" not in env
    card = [p for p in verified["verification"]["placements"] if p["pci_id"] == "0000:06:00.0"][0]
    assert (card["library"], card["compute"]) == ("ROCm", "gfx1200")


def test_a_dropped_igpu_fails_quoting_ollama_and_naming_the_variable(host):
    root = host("strix_halo_arch_ollama")
    install_layout(root, "arch_split_0_32_15")
    user_dropin(root, 'Environment="OLLAMA_IGPU_ENABLE=0"')   # sorts after ours, so it wins
    switch(root, "vulkan")
    restart(root)
    failed = verify(root, "vulkan", expect_failure=True)
    assert "dropping integrated GPU; to enable, set OLLAMA_IGPU_ENABLE=1" in failed["msg"]
    assert "(set OLLAMA_IGPU_ENABLE=1)" in failed["msg"]
    assert failed["verification"]["placements"][0]["library"] is None, "the failure still says what the log held"


def test_disabled_vulkan_fails_quoting_ollama_and_naming_the_variable(host):
    root = host("rx9070xt_chipset")
    user_dropin(root, 'Environment="OLLAMA_VULKAN=0"')
    switch(root, "vulkan")
    restart(root)
    failed = verify(root, "vulkan", expect_failure=True)
    assert "experimental Vulkan support disabled.  To enable, set OLLAMA_VULKAN=1" in failed["msg"]
    assert "(set OLLAMA_VULKAN=1)" in failed["msg"]


def test_rocm_on_strix_halo_0_32_needs_no_override(host):
    root = host("strix_halo_arch_ollama")
    install_layout(root, "arch_split_0_32_15")
    result, verified = select_restart_verify(root, "rocm")
    assert not [key for key in result["dropin"]["environment"] if key.startswith("HSA_")]
    assert verified["verification"]["placements"][0]["library"] == "ROCm"


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


def test_rename_is_no_mechanism_any_more(host):
    root = host("rx9070xt_chipset")
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", mechanism="rename"),
                        expect_failure=True)
    assert "mechanism" in failed["msg"] and "auto, environment, files" in failed["msg"]
    assert not os.path.exists(os.path.join(root, DROPIN))


def test_auto_restores_a_library_the_old_module_renamed(host):
    root = host("strix_halo_arch_ollama")
    os.rename(os.path.join(root, ARCH_HIP), os.path.join(root, ARCH_HIP + DISABLED))
    result = switch(root, "auto")
    assert result["moved"] == [{"from": "/usr/lib/ollama/libggml-hip.so" + DISABLED,
                                "to": "/usr/lib/ollama/libggml-hip.so"}]
    assert os.path.exists(os.path.join(root, ARCH_HIP))


def test_cpu_hides_every_gpu(host):
    root = host("strix_halo_arch_ollama")
    result, verified = select_restart_verify(root, "cpu")
    assert result["dropin"]["environment"] == {"GGML_VK_VISIBLE_DEVICES": "-1", "ROCR_VISIBLE_DEVICES": "-1"}
    assert verified["verification"]["libraries"] == ["cpu"]


def test_check_mode_predicts_without_touching(host):
    root = host("rx9070xt_chipset")
    before = snapshot(root)
    result = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", mechanism="files"),
                        check_mode=True, diff=True)
    assert result["changed"] and result["restart_required"]
    assert result["msg"] == "would select vulkan; restart ollama.service to run it"
    assert result["dropin"]["state"] == "written" and result["moved"] == [
        {"from": "/usr/local/lib/ollama/rocm", "to": "/usr/local/lib/ollama.inferops-disabled/rocm"}]
    assert snapshot(root) == before
    dropin_diff, library_diff = result["diff"]
    assert dropin_diff["before"] == "" and 'Environment="OLLAMA_VULKAN=1"' in dropin_diff["after"]
    assert "/usr/local/lib/ollama/rocm\n" in library_diff["before"]
    assert "/usr/local/lib/ollama/rocm -> /usr/local/lib/ollama.inferops-disabled/rocm\n" in library_diff["after"]
    assert tool_calls(root) == [], "selecting, in check mode or not, runs no systemctl"


def test_check_mode_after_the_change_reports_nothing_to_do(host):
    root = host("rx9070xt_chipset")
    switch(root, "vulkan")
    result = run_module("ollama_backend", dict(sysroot=root, backend="vulkan"), check_mode=True)
    assert result["changed"] is False and result["restart_required"] is False


def test_verify_refuses_a_selection_that_does_not_hold_and_writes_nothing(host):
    root = host("rx9070xt_chipset")
    before = snapshot(root)
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", verify=True), expect_failure=True)
    assert failed["msg"] == (
        "the selection of vulkan does not hold: /etc/systemd/system/ollama.service.d/inferops-backend.conf would be "
        "written; the running server cannot run it. Select it (verify=false), restart ollama.service, then verify")
    assert failed["changed"] is False and failed["restart_required"] is False, "verifying changed nothing"
    assert failed["dropin"]["state"] == "written", "what selecting would do"
    assert snapshot(root) == before


def test_verify_in_check_mode_reports_a_selection_that_does_not_hold_without_failing(host):
    """audit.yml runs the role in check mode: the select task changed nothing, so the selection cannot hold yet;
    that is the select task's drift, and the verification says it did not verify."""
    root = host("rx9070xt_chipset")
    before = snapshot(root)
    result = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", verify=True), check_mode=True)
    assert result["verified"] is False and result["changed"] is False
    assert result["msg"] == ("check mode: the selection of vulkan does not hold yet (/etc/systemd/system/ollama.service.d/"
                             "inferops-backend.conf would be written); the running server was not verified")
    assert snapshot(root) == before


def test_verify_in_check_mode_reports_a_stopped_service_without_failing(host):
    root = host("rx9070xt_chipset")
    switch(root, "vulkan")
    result = run_module("ollama_backend", dict(sysroot=root, backend="vulkan", verify=True), check_mode=True)
    assert result["verified"] is False
    assert result["msg"].startswith("check mode: ollama.service is not running")


def test_verify_needs_a_running_service(host):
    root = host("rx9070xt_chipset")
    switch(root, "vulkan")
    failed = verify(root, "vulkan", expect_failure=True)
    assert "ollama.service is not running" in failed["msg"]


def test_verify_on_a_tree_without_systemctl_says_the_server_was_not_verified(host):
    root = host("rx9070xt_chipset")
    switch(root, "vulkan")
    os.unlink(os.path.join(root, "usr/bin/systemctl"))
    result = verify(root, "vulkan")
    assert result["verified"] is False and result["changed"] is False and "verification" not in result
    assert result["msg"] == ("sysroot %s is a tree, and a tree has no running services (it has no systemctl): the "
                             "server was not verified" % root)


def test_verify_on_a_plain_tree_runs_nothing_from_it(host, monkeypatch):
    root = host("rx9070xt_chipset")
    switch(root, "vulkan")
    monkeypatch.delenv("INFEROPS_SIMULATION")
    calls = len(tool_calls(root))
    result = verify(root, "vulkan", version="0.15.5")
    assert result["verified"] is False and "a tree has no running services" in result["msg"]
    assert len(tool_calls(root)) == calls, "no tool of the tree ran"


def test_a_plain_tree_needs_the_version_option(host, monkeypatch):
    root = host("rx9070xt_chipset")
    monkeypatch.delenv("INFEROPS_SIMULATION")
    failed = run_module("ollama_backend", dict(sysroot=root, backend="vulkan"), expect_failure=True)
    assert failed["msg"].startswith("cannot read the Ollama version: not running ")
    assert failed["msg"].endswith("; set the version option")
    assert switch(root, "vulkan", version="0.15.5")["changed"]


def tool_calls(root):
    """The simulated tools' calls, in order ({tool, argv})."""
    path = os.path.join(root, "var/log/inferops-sim/tools.log")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle]


VOLATILE = ("var/log/inferops-sim", "var/lib/inferops-sim", "run")


def snapshot(root, volatile=False):
    """Every entry of the tree with its bytes (or link target), to prove that nothing changed.

    ``volatile``: leave out what the simulated tools write as they run (their logs, the running server's state).
    """
    entries = {}
    for folder, dirs, files in os.walk(root):
        if volatile and any(os.path.relpath(folder, root).startswith(part) for part in VOLATILE):
            continue
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
    assert result["version"] == "0.32.15" and result["dropin"]["environment"] == {"OLLAMA_LLM_LIBRARY": "vulkan"}


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
