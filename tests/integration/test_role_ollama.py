"""The ollama role against scratch simulated hosts, through ansible-playbook.

Each test copies a recorded host, points the role at it with
``inferops_sysroot`` and runs a real ``ansible-playbook`` with a local
connection.  The simulated systemctl, journalctl and ollama in the tree
stand in for systemd and Ollama; the release archives are built here from
the simulated binary and placeholder libraries, named and laid out like the
official ones, and handed to the role's offline path (``*_archive_src``).
"""

import json
import os
import re
import subprocess
import sys

import pytest

from tests.simulation.ollama_release import build as build_release, sha256 as build_sha256

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = """
- name: Ollama on a simulated host
  hosts: all
  gather_facts: false
  roles:
    - role: ollama
  post_tasks:
    - name: Keep the role's report for the test
      ansible.builtin.copy:
        content: "{{ ollama_report | default({}) | to_json }}"
        dest: "{{ report_path }}"
        mode: "0644"
      changed_when: false  # test scaffolding, not part of what the role changes
"""
# The verify entry point as a user imports it; the report is kept also when the verification fails.
VERIFY_PLAYBOOK = """
- name: Verify Ollama on a simulated host
  hosts: all
  gather_facts: false
  tasks:
    - name: Verify, keeping the report
      block:
        - name: Verify with the ollama role
          ansible.builtin.include_role:
            name: ollama
            tasks_from: verify
      always:
        - name: Keep the role's report for the test
          ansible.builtin.copy:
            content: "{{ ollama_report | default({}) | to_json }}"
            dest: "{{ report_path }}"
            mode: "0644"
          changed_when: false  # test scaffolding
"""


def stop_service(root):
    systemctl = os.path.join(root, "usr/bin/systemctl")
    if os.path.exists(systemctl):
        subprocess.run([systemctl, "stop", "ollama.service"], env=dict(os.environ, INFEROPS_SYSROOT=root),
                       check=False, capture_output=True)


@pytest.fixture
def play(tmp_path):
    """Run the role against one scratch root; returns (returncode, output, recap)."""
    roots = []

    def run(root, check=False, path=None, playbook_text=PLAYBOOK, simulation=True, **variables):
        roots.append(root)
        inventory = tmp_path / "inventory.ini"
        inventory.write_text("sim ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
        playbook = tmp_path / "play.yml"
        playbook.write_text(playbook_text)
        extra = tmp_path / "vars.json"
        extra.write_text(json.dumps(dict(inferops_sysroot=root, report_path=str(tmp_path / "report.json"), **variables)))
        argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
                str(playbook), "-e", "@%s" % extra]
        if check:
            argv.append("--check")
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_FORCE_COLOR="0", INFEROPS_SIMULATION="1")
        if not simulation:  # the tree is plain data: nothing of it may run
            del env["INFEROPS_SIMULATION"]
        if path:
            env["PATH"] = path
        proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
        output = proc.stdout + proc.stderr
        recap = re.search(r"sim\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)
        counts = dict(zip(("ok", "changed", "unreachable", "failed"), map(int, recap.groups()))) if recap else None
        return proc.returncode, output, counts
    yield run
    for root in roots:
        stop_service(root)


def tool_calls(root):
    """The simulated systemctl's calls, in order ({tool, argv})."""
    path = os.path.join(root, "var/log/inferops-sim/tools.log")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [call for call in map(json.loads, handle) if call["tool"] == "systemctl"]


def read(root, path):
    with open(os.path.join(root, path.lstrip("/"))) as handle:
        return handle.read()


def installation(root):
    """{path under /usr/local: file bytes, link target or a folder mark}: the installed Ollama and its neighbours."""
    top = os.path.join(root, "usr/local")
    found = {}
    for folder, subdirs, files in os.walk(top):
        for name in subdirs + files:
            full = os.path.join(folder, name)
            if os.path.islink(full):
                found[os.path.relpath(full, top)] = ("link", os.readlink(full))
            elif os.path.isdir(full):
                found[os.path.relpath(full, top)] = ("dir",)
            else:
                with open(full, "rb") as handle:
                    found[os.path.relpath(full, top)] = ("file", handle.read())
    return found


def path_without(folder, left_out):
    """A PATH with every command of this one but ``left_out`` (links gathered in ``folder``)."""
    os.makedirs(folder)
    for directory in [os.path.dirname(sys.executable)] + os.environ.get("PATH", "").split(os.pathsep):
        for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else ():
            link = os.path.join(folder, name)
            if name != left_out and not os.path.lexists(link):
                os.symlink(os.path.join(directory, name), link)
    return folder


def test_offline_install_vulkan_backend_models_and_idempotence(scratch_host, play, tmp_path):
    root = scratch_host("rx9070xt_chipset")
    variables = dict(build_release(str(tmp_path / "release"), "0.32.15"), ollama_models=["qwen3:8b", "gemma3"])
    assert variables["ollama_archive_src"].endswith("ollama-linux-amd64.tar.zst")
    rc, output, recap = play(root, **variables)
    assert rc == 0, output
    assert recap["failed"] == 0 and recap["changed"] > 0

    # The archive replaced the recorded 0.15.5 install (its cuda_v13 placeholder
    # came from the archive; the recorded hipblaslt did not survive).
    assert not os.path.exists(os.path.join(root, "usr/local/lib/ollama/rocm"))
    assert os.path.exists(os.path.join(root, "usr/local/lib/ollama/rocm_v7_2/libggml-hip.so"))
    # unpacked beside the installed libraries and swapped in: neither folder stays
    assert sorted(os.listdir(os.path.join(root, "usr/local/lib"))) == ["ollama"]
    assert "ollama version is 0.32.15" in subprocess.run(
        [os.path.join(root, "usr/local/bin/ollama"), "--version"], capture_output=True, text=True, check=True).stdout

    settings = read(root, "/etc/systemd/system/ollama.service.d/inferops-settings.conf")
    assert 'Environment="OLLAMA_HOST=127.0.0.1:11434"' in settings
    assert 'Environment="OLLAMA_FLASH_ATTENTION=1"' in settings
    assert 'Environment="OLLAMA_KV_CACHE_TYPE=q8_0"' in settings
    backend = read(root, "/etc/systemd/system/ollama.service.d/inferops-backend.conf")
    assert "# inferops-backend: vulkan" in backend and 'Environment="OLLAMA_LLM_LIBRARY=vulkan"' in backend
    assert "ExecStart=/usr/local/bin/ollama serve" in read(root, "/etc/systemd/system/ollama.service")
    assert os.path.islink(os.path.join(root, "etc/systemd/system/default.target.wants/ollama.service"))

    state = json.loads(read(root, "/run/ollama/inferops-sim-server.json"))
    assert (state["version"], state["library"]) == ("0.32.15", "Vulkan")
    assert json.loads(read(root, "/var/lib/ollama/inferops-sim-models.json")) == ["gemma3:latest", "qwen3:8b"]
    assert "Ollama 0.32.15 at http://127.0.0.1:" in output and "on vulkan" in output
    report = json.loads((tmp_path / "report.json").read_text())
    assert (report["backend_requested"], report["backend_before"], report["backend_after"]) == (
        "vulkan", "auto", "vulkan")
    assert report["verified"] is True and report["devices"] == [
        {"name": "Radeon RX 9070 / 9070 XT / 9070 GRE (Navi 48)", "pci_id": "0000:08:00.0", "library": "Vulkan",
         "compute": "0.0", "type": "discrete", "matters": True}]
    # where the API answered: the address the (simulated) server logged, a free port of its own
    assert report["api_url"] == "http://" + state["address"] and not state["address"].endswith(":11434")
    # one start of the service, for the new release, unit, settings and backend together
    assert [call["argv"][0] for call in tool_calls(root)].count("restart") == 1

    calls = len(tool_calls(root))
    rc, output, recap = play(root, **variables)
    assert rc == 0, output
    assert recap["changed"] == 0, output
    # the re-run verified the running server without restarting (or starting, enabling) it
    assert json.loads((tmp_path / "report.json").read_text())["verified"] is True
    assert [call["argv"][0] for call in tool_calls(root)[calls:]] == ["show", "is-active"]


def test_old_release_installs_from_tgz_archives(scratch_host, play, tmp_path):
    root = scratch_host("rx9070xt_chipset")
    variables = build_release(str(tmp_path / "release"), "0.13.5")
    assert variables["ollama_rocm_archive_src"].endswith("ollama-linux-amd64-rocm.tgz")
    rc, output, recap = play(root, **variables)
    assert rc == 0, output
    assert os.path.exists(os.path.join(root, "usr/local/lib/ollama/rocm/libggml-hip.so"))
    backend = read(root, "/etc/systemd/system/ollama.service.d/inferops-backend.conf")
    assert 'Environment="OLLAMA_VULKAN=1"' in backend and 'Environment="ROCR_VISIBLE_DEVICES=-1"' in backend


def test_distribution_package_on_arch_with_rocm_and_no_override(scratch_host, play):
    root = scratch_host("strix_halo_arch_ollama")
    rc, output, recap = play(root, ollama_install_method="none", ollama_backend="rocm",
                             ollama_environment={"RADV_PERFTEST": "nogttspill"}, ollama_kv_cache_type="q4_0",
                             ollama_vulkan_perfmon=True)
    assert rc == 0, output
    assert "\nAmbientCapabilities=CAP_PERFMON\n" in read(root, "/etc/systemd/system/ollama.service.d/inferops-settings.conf")
    backend = read(root, "/etc/systemd/system/ollama.service.d/inferops-backend.conf")
    assert "HSA_OVERRIDE_GFX_VERSION" not in backend, "gfx1151 is in the build: no override"
    settings = read(root, "/etc/systemd/system/ollama.service.d/inferops-settings.conf")
    assert 'Environment="RADV_PERFTEST=nogttspill"' in settings and "OLLAMA_KV_CACHE_TYPE=q4_0" in settings
    assert not os.path.exists(os.path.join(root, "etc/systemd/system/ollama.service")), "package unit kept"
    assert json.loads(read(root, "/run/ollama/inferops-sim-server.json"))["library"] == "ROCm"

    # Role defaults (archive method, no local archives) on the Arch tree: the
    # package install is kept, and a strix_halo host gets Vulkan through the
    # environment alone (ROCm hidden), the libraries left where the package put them.
    rc, output, recap = play(root)
    assert rc == 0, output
    assert os.path.exists(os.path.join(root, "usr/lib/ollama/libggml-hip.so"))
    assert 'Environment="ROCR_VISIBLE_DEVICES=-1"' in read(
        root, "/etc/systemd/system/ollama.service.d/inferops-backend.conf")
    assert json.loads(read(root, "/run/ollama/inferops-sim-server.json"))["library"] == "Vulkan"
    assert not os.path.exists(os.path.join(root, "etc/systemd/system/ollama.service")), "package unit kept"
    assert "HSA_OVERRIDE_GFX_VERSION" not in read(root, "/etc/systemd/system/ollama.service.d/inferops-backend.conf")
    assert "AmbientCapabilities" not in read(root, "/etc/systemd/system/ollama.service.d/inferops-settings.conf")


def test_the_verify_entry_point_checks_the_root_and_names_what_does_not_hold(scratch_host, play, tmp_path):
    root = scratch_host("strix_halo_arch_ollama")
    rc, output, recap = play(root, ollama_install_method="none")
    assert rc == 0, output

    rc, output, recap = play(root, playbook_text=VERIFY_PLAYBOOK, ollama_install_method="none")
    assert rc == 0 and recap["changed"] == 0, output
    report = json.loads((tmp_path / "report.json").read_text())
    state = json.loads(read(root, "/run/ollama/inferops-sim-server.json"))
    assert (report["verified"], report["verify_failures"]) == (True, [])
    assert report["api_url"] == "http://" + state["address"]
    assert [device["library"] for device in report["devices"]] == ["Vulkan"]

    # someone edits the settings and removes the backend drop-in: verify names both, and changes nothing
    dropins = os.path.join(root, "etc/systemd/system/ollama.service.d")
    with open(os.path.join(dropins, "inferops-settings.conf"), "a") as handle:
        handle.write('Environment="OLLAMA_DEBUG=1"\n')
    os.unlink(os.path.join(dropins, "inferops-backend.conf"))
    rc, output, recap = play(root, playbook_text=VERIFY_PLAYBOOK, ollama_install_method="none")
    assert rc != 0 and recap["failed"] == 1 and recap["changed"] == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["verified"] is False
    assert report["verify_failures"] == [
        "the settings drop-in /etc/systemd/system/ollama.service.d/inferops-settings.conf differs from the role "
        "variables",
        "the selection of vulkan does not hold: /etc/systemd/system/ollama.service.d/inferops-backend.conf would be "
        "written; the running server cannot run it. Select it (verify=false), restart ollama.service, then verify"]
    assert "Ollama verification failed: the settings drop-in" in output
    assert os.listdir(dropins) == ["inferops-settings.conf"] and "OLLAMA_DEBUG" in read(
        root, "/etc/systemd/system/ollama.service.d/inferops-settings.conf")


def test_check_mode_on_a_fresh_scratch_host_changes_nothing(scratch_host, play):
    root = scratch_host("rx9070xt_chipset")
    before = read(root, "/etc/systemd/system/ollama.service")
    rc, output, recap = play(root, check=True, ollama_install_method="none")
    assert rc == 0, output
    assert recap["changed"] > 0
    assert read(root, "/etc/systemd/system/ollama.service") == before
    assert not os.path.exists(os.path.join(root, "etc/systemd/system/ollama.service.d"))
    assert not os.path.exists(os.path.join(root, "var/log/inferops-sim/journal/ollama.service.jsonl"))


def test_local_archive_without_checksum_is_refused(scratch_host, play, tmp_path):
    root = scratch_host("rx9070xt_chipset")
    variables = build_release(str(tmp_path / "release"), "0.32.15")
    variables["ollama_archive_checksum"] = ""
    rc, output, recap = play(root, **variables)
    assert rc != 0 and recap["failed"] == 1
    assert "base archive for Ollama 0.32.15: checksum '' is not 'sha256:<64 hex digits>'" in output
    assert os.path.exists(os.path.join(root, "usr/local/lib/ollama/rocm/libhipblaslt.so.0")), "old install untouched"


def test_local_archive_with_wrong_checksum_is_refused(scratch_host, play, tmp_path):
    root = scratch_host("rx9070xt_chipset")
    variables = build_release(str(tmp_path / "release"), "0.32.15")
    variables["ollama_rocm_archive_checksum"] = "sha256:" + "0" * 64
    rc, output, recap = play(root, **variables)
    assert rc != 0
    assert "ollama-linux-amd64-rocm.tar.zst: sha256 " in output and ", expected sha256:000" in output
    assert os.path.exists(os.path.join(root, "usr/local/lib/ollama/rocm/libhipblaslt.so.0")), "old install untouched"


def test_tree_without_ollama_is_left_alone(scratch_host, play, tmp_path):
    root = scratch_host("r9700_desktop")
    rc, output, recap = play(root, ollama_version="0.32.15")
    assert rc == 0, output
    assert "keeping its Ollama (none)" in output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["warnings"] == ["Ollama is not installed and there is nothing to install it from"]
    assert (report["backend_before"], report["backend_after"], report["verified"]) == (None, None, None)
    assert recap["changed"] == 0
    assert not os.path.exists(os.path.join(root, "etc/systemd/system/ollama.service"))


def test_a_tree_whose_ollama_may_not_run_keeps_it_and_never_runs_it(scratch_host, play, tmp_path):
    # Without INFEROPS_SIMULATION=1 a tree is data: the facts run nothing of it, so the installed Ollama's version
    # is unknown, and the role keeps it (installing on every run would never settle) even with every archive local.
    root = scratch_host("rx9070xt_chipset")
    marker = tmp_path / "ollama-ran"
    binary = os.path.join(root, "usr/local/bin/ollama")
    with open(binary, "w") as handle:
        handle.write("#!/bin/sh\ntouch '%s'\necho 'ollama version is 0.15.5'\n" % marker)
    before = installation(root)
    rc, output, recap = play(root, simulation=False, **build_release(str(tmp_path / "release"), "0.32.15"))
    assert "its version is unknown: keeping it" in " ".join(output.split()), output[:6000]
    assert not marker.exists(), "the tree's ollama ran"
    assert installation(root) == before, "nothing was unpacked or swapped in"


def test_a_failing_unpack_leaves_the_installed_ollama_as_it_was(scratch_host, play, tmp_path):
    # A download cut short: the ROCm archive, unpacked after the base one, is half there.
    root = scratch_host("rx9070xt_chipset")
    variables = build_release(str(tmp_path / "release"), "0.32.15")
    rocm = variables["ollama_rocm_archive_src"]
    with open(rocm, "r+b") as handle:
        handle.truncate(os.path.getsize(rocm) // 2)
    variables["ollama_rocm_archive_checksum"] = build_sha256(rocm)
    before = installation(root)
    rc, output, recap = play(root, **variables)
    assert rc != 0 and recap["failed"] == 1
    flat = " ".join(output.split())
    assert "Ollama 0.32.15 was not installed (Unpack the archives into the staging folder: " in flat
    assert "keeps the Ollama it had" in flat
    assert installation(root) == before, "nothing was unpacked or swapped in"
    assert "0.15.5" in subprocess.run([os.path.join(root, "usr/local/bin/ollama"), "--version"],
                                      capture_output=True, text=True, check=True).stdout


def test_a_missing_zstd_is_named_before_anything_changes(scratch_host, play, tmp_path):
    root = scratch_host("rx9070xt_chipset")
    variables = build_release(str(tmp_path / "release"), "0.32.15")
    before = installation(root)
    rc, output, recap = play(root, path=path_without(str(tmp_path / "bin"), "zstd"), **variables)
    assert rc != 0 and recap["failed"] == 1 and recap["changed"] == 0
    assert ("zstd is not installed on sim, and Ollama 0.32.15 comes as ollama-linux-amd64.tar.zst, "
            "ollama-linux-amd64-rocm.tar.zst (zstd-compressed from 0.14.0): install the zstd package." in
            " ".join(output.split()))
    assert installation(root) == before, "nothing was unpacked or swapped in"


def test_a_release_without_the_expected_layout_is_not_swapped_in(scratch_host, play, tmp_path):
    # An archive that unpacks fine but is no Ollama release: the base archive given for the ROCm one too.
    root = scratch_host("rx9070xt_chipset")
    variables = build_release(str(tmp_path / "release"), "0.32.15")
    variables.update(ollama_rocm_archive_src=variables["ollama_archive_src"],
                     ollama_rocm_archive_checksum=variables["ollama_archive_checksum"])
    before = installation(root)
    rc, output, recap = play(root, **variables)
    assert rc != 0 and recap["failed"] == 1
    assert "the archives of Ollama 0.32.15 unpacked without lib/ollama/rocm_v7_2" in " ".join(output.split())
    assert installation(root) == before, "nothing was unpacked or swapped in"


def test_a_failed_swap_puts_the_installed_libraries_back(scratch_host, play, tmp_path):
    # The last rename cannot happen (a folder holds the executable's place): the libraries, moved first, go back.
    root = scratch_host("rx9070xt_chipset")
    binary = os.path.join(root, "usr/local/bin/ollama")
    os.unlink(binary)
    os.makedirs(os.path.join(binary, "in-the-way"))
    before = installation(root)
    rc, output, recap = play(root, **build_release(str(tmp_path / "release"), "0.32.15"))
    assert rc != 0 and recap["failed"] == 1
    assert "Ollama 0.32.15 was not installed (Move the staged executable into place: " in " ".join(output.split())
    assert installation(root) == before, "nothing was unpacked or swapped in"


def test_check_mode_install_reports_it_and_unpacks_nothing(scratch_host, play, tmp_path):
    root = scratch_host("rx9070xt_chipset")
    before = installation(root)
    rc, output, recap = play(root, check=True, **build_release(str(tmp_path / "release"), "0.32.15"))
    assert rc == 0, output
    assert recap["changed"] > 0
    assert "would unpack base and rocm archive(s)" in " ".join(output.split())
    assert installation(root) == before, "nothing was unpacked or swapped in"


def test_libraries_an_interrupted_install_set_aside_are_put_back(scratch_host, play, tmp_path):
    # A run stopped between setting the installed libraries aside and moving the new ones in; this run's
    # archive is corrupt, so the libraries set aside are all the host has.
    root = scratch_host("rx9070xt_chipset")
    libraries = os.path.join(root, "usr/local/lib/ollama")
    before = installation(root)
    os.rename(libraries, libraries + ".inferops-previous")
    variables = build_release(str(tmp_path / "release"), "0.32.15")
    with open(variables["ollama_archive_src"], "wb") as handle:
        handle.write(b"not an archive\n")
    variables["ollama_archive_checksum"] = build_sha256(variables["ollama_archive_src"])
    rc, output, recap = play(root, **variables)
    assert rc != 0 and "Ollama 0.32.15 was not installed" in " ".join(output.split())
    assert installation(root) == before, "nothing was unpacked or swapped in"
