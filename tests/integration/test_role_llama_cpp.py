"""The llama_cpp role brings up a real llama-server on a scratch host, proves its backend and verifies it.

The scratch host is a recorded tree (tests/simulation/scratch_host.py) whose simulated systemctl
runs the unit's ExecStart for real: here that is llama.cpp's llama-server built by
`make llama-server` (install method `existing`, linked into the tree), serving the tiny gguf-py
model over real HTTP on 127.0.0.1.  The role's check reads the server's own log lines from the
tree's journal: a GGML_BACKEND_DL build logs the CPU backend library it loaded.

The role acts on `inferops_sysroot`; the same tasks run on a real host, where the service module
runs the host's systemctl.  Without INFEROPS_SIMULATION=1 the tree is a plain tree: the role
writes the unit into it and runs nothing.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.integration.conftest import run_playbook
from tests.llama.fixtures import built_server, free_port, make_model

MODEL = "/var/lib/llama/tiny.gguf"
BINARY = "/usr/local/bin/llama-server"
UNIT = "etc/systemd/system/llama-server.service"
DROPIN = "etc/systemd/system/llama-server.service.d/inferops-amd.conf"
REAL_WORLD = os.path.join(os.path.dirname(__file__), "..", "fixtures", "real_world")


def report_task(report_file):
    return {"name": "Keep the report", "ansible.builtin.copy": {
        "dest": report_file, "content": "{{ llama_cpp_report | to_json }}", "mode": "0644"},
        "delegate_to": "localhost", "changed_when": False}


def play(root, tmp_path, tasks_from="main", form="extra_vars", env=None, benchmark=False, **variables):
    """Run the role's entry point on the scratch host ``root`` with ``variables`` given in ``form``:
    inventory (host vars), play_vars, role_vars (the role's parameters) or extra_vars (-e)."""
    variables = dict(variables, inferops_sysroot=root)
    report_file = str(tmp_path / "report.json")
    if os.path.exists(report_file):
        os.unlink(report_file)
    tasks = [report_task(report_file)]
    if form != "role_vars":
        # the report is kept also when the entry point fails (verify publishes it, then fails)
        tasks = [{"name": "The role's entry point, and its report", "block": [
            {"name": "Run the role's entry point",
             "ansible.builtin.include_role": {"name": "llama_cpp", "tasks_from": tasks_from}}],
            "always": [dict(report_task(report_file), when="llama_cpp_report is defined")]}]
    if benchmark:
        tasks.append({"name": "Benchmark the role's server", "inferops.amd.inference_benchmark": {
            "api": "llama_cpp", "url": "{{ llama_cpp_report.url }}", "model": "{{ llama_cpp_report.model }}",
            "max_tokens": 16, "runs": 2}, "register": "bench", "changed_when": False})
        tasks.append({"name": "Show it", "ansible.builtin.debug": {
            "msg": "benchmark {{ bench.decode_tokens_per_second.median }} tok/s decode"}})
    playbook = {"name": "llama_cpp on a scratch host", "hosts": "all", "gather_facts": False, "tasks": tasks}
    if form == "play_vars":
        playbook["vars"] = variables
    if form == "role_vars":
        assert tasks_from == "main", "a role's parameters are given in roles:, which runs main"
        playbook["roles"] = [dict(variables, role="llama_cpp")]
    (tmp_path / "play.yml").write_text(json.dumps([playbook], indent=1))
    inventory = {"all": {"hosts": {"sim": {"ansible_connection": "local",
                                           "ansible_python_interpreter": sys.executable}}}}
    if form == "inventory":
        inventory["all"]["hosts"]["sim"].update(variables)
    (tmp_path / "inventory.yml").write_text(json.dumps(inventory))
    extra = []
    if form == "extra_vars":
        (tmp_path / "vars.json").write_text(json.dumps(variables))
        extra = ["-e", "@%s" % (tmp_path / "vars.json")]
    run = run_playbook(str(tmp_path / "play.yml"), inventory=str(tmp_path / "inventory.yml"), extra=extra, env=env)
    run.report = json.loads(open(report_file).read()) if os.path.exists(report_file) else None
    return run


def systemctl(root, *args):
    return subprocess.run([os.path.join(root, "usr/bin/systemctl")] + list(args), env=dict(os.environ, INFEROPS_SYSROOT=root),
                          check=False, capture_output=True, text=True)


def systemctl_calls(root):
    path = os.path.join(root, "var/log/inferops-sim/tools.log")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line)["argv"] for line in handle if json.loads(line)["tool"] == "systemctl"]


def read(root, path):
    with open(os.path.join(root, path)) as handle:
        return handle.read()


def link_or_copy(source, target):
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@pytest.fixture
def llama_host(scratch_host):
    bin_dir, source = built_server()
    root = scratch_host("r9700_desktop")
    # The build itself inside the tree (hard links where the file system allows): a link out of the tree would
    # lead nowhere for the modules, which resolve a tree's links as a chroot does. GGML_BACKEND_DL loads
    # libggml-cpu.so from the executable's own folder.
    shutil.copytree(bin_dir, os.path.join(root, "usr/local/bin"), symlinks=True, dirs_exist_ok=True,
                    copy_function=link_or_copy)
    os.makedirs(os.path.join(root, "var/lib/llama"))
    make_model(source, os.path.join(root, MODEL.lstrip("/")))
    yield root
    systemctl(root, "stop", "llama-server.service")


@pytest.fixture
def stub_host(scratch_host):
    """A scratch host with a llama-server that is only a file, and a model that is only a name: enough for
    what the role writes and checks before anything runs."""
    root = scratch_host("r9700_desktop")
    for path, mode in ((BINARY, 0o755), (MODEL, 0o644)):
        target = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as handle:
            handle.write("#!/bin/sh\nexit 1\n")
        os.chmod(target, mode)
    return root


def cpu_server(port):
    return dict(llama_cpp_install_method="existing", llama_cpp_binary=BINARY, llama_cpp_model_path=MODEL,
                llama_cpp_port=port, llama_cpp_ctx_size=512, llama_cpp_backend="cpu",
                llama_cpp_extra_args=["--threads", "2"])


def test_role_starts_a_real_server_proves_its_backend_and_verifies_it(llama_host, tmp_path):
    port = free_port()
    variables = cpu_server(port)
    run = play(llama_host, tmp_path, benchmark=True, **variables)
    assert run.returncode == 0, run.output
    assert run.report == {"backend": "cpu", "device": "CPU", "verified": True, "verify_failures": [],
                          "url": "http://127.0.0.1:%d" % port, "model": "tiny"}
    assert "benchmark" in run.flat_output and "tok/s decode" in run.flat_output

    # One quoting (systemd_unit's): words without specials stay bare, the model path is the machine's path.
    unit = read(llama_host, UNIT)
    exec_start = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    assert exec_start == ["ExecStart=%s --log-verbosity 4 --model %s --alias tiny --host 127.0.0.1 --port %d --ctx-size 512 "
                          "--n-gpu-layers 0 --flash-attn on --cache-type-k q4_0 --cache-type-v q4_0 --load-mode auto "
                          "--device none --threads 2" % (BINARY, MODEL, port)]
    assert "User=llama-server\nGroup=llama-server\n" in unit, "the unit is the same on a tree as on a host"

    # The server's own log, in the tree's journal: the CPU backend came from its DL library.
    journal = read(llama_host, "var/log/inferops-sim/journal/llama-server.service.jsonl")
    assert "load_backend: loaded CPU backend from" in journal
    assert systemctl(llama_host, "is-enabled", "llama-server.service").stdout.strip() == "enabled"

    again = play(llama_host, tmp_path, **variables)
    assert again.returncode == 0, again.output
    assert again.recap["sim"]["changed"] == 0, again.output

    verified = play(llama_host, tmp_path, tasks_from="verify", **variables)
    assert verified.returncode == 0, verified.output
    assert verified.recap["sim"]["changed"] == 0, verified.output
    assert verified.report["verified"] is True and verified.report["verify_failures"] == []
    assert verified.report["device"] == "CPU"


def test_verify_names_each_setting_that_does_not_hold(llama_host, tmp_path):
    variables = cpu_server(free_port())
    assert play(llama_host, tmp_path, **variables).returncode == 0
    systemctl(llama_host, "stop", "llama-server.service")
    systemctl(llama_host, "disable", "llama-server.service")
    with open(os.path.join(llama_host, UNIT), "a") as handle:
        handle.write("# edited by hand\n")

    run = play(llama_host, tmp_path, tasks_from="verify", **variables)
    assert run.returncode != 0
    assert run.report["verified"] is False
    assert run.report["verify_failures"] == [
        "/etc/systemd/system/llama-server.service is missing or does not hold the role's settings",
        "llama-server.service does not run or does not start at boot (systemctl would run: enable llama-server.service, "
        "start llama-server.service)"]
    assert "llama_cpp verification failed" in run.flat_output
    assert "# edited by hand" in read(llama_host, UNIT), "verify changes nothing"
    assert systemctl(llama_host, "is-active", "llama-server.service").stdout.strip() == "inactive"


def test_role_fails_before_writing_when_the_backend_lists_no_device(llama_host, tmp_path):
    # The tree is an R9700 host: the default backend is Vulkan, but this build only has the CPU, and its
    # --list-devices says so; the role stops before the unit, naming what the binary lists.
    variables = cpu_server(free_port())
    del variables["llama_cpp_backend"]
    run = play(llama_host, tmp_path, **variables)
    assert run.returncode != 0
    assert ("llama_cpp: llama-server at /usr/local/bin/llama-server lists no vulkan device (--list-devices lists: "
            "none; with llama_cpp_environment {}). Vulkan needs ggml's Vulkan backend") in run.flat_output
    assert not os.path.exists(os.path.join(llama_host, UNIT))


def test_options_and_values_the_installed_build_lacks_are_refused_before_the_unit(llama_host, tmp_path):
    # b11434 removed --no-mmap (now --load-mode none) and keeps --draft-max only to say it was removed
    variables = cpu_server(free_port())
    variables["llama_cpp_extra_args"] = ["--no-mmap", "--draft-max", "4"]
    run = play(llama_host, tmp_path, **variables)
    assert run.returncode != 0
    assert ("llama_cpp: llama-server 0.6.0-dev (build 0) at /usr/local/bin/llama-server does not offer --no-mmap, "
            "--draft-max (from the role's settings or llama_cpp_extra_args)") in run.flat_output
    assert not os.path.exists(os.path.join(llama_host, UNIT))

    variables = cpu_server(free_port())
    variables.update(llama_cpp_speculation=["ngram-mod"], llama_cpp_extra_args=["--spec-type", "ngram-mod,draft-telepathy"])
    run = play(llama_host, tmp_path, **variables)
    assert run.returncode != 0
    assert "does not offer --spec-type draft-telepathy (it offers none, draft-simple," in run.flat_output


def test_speculation_and_load_mode_reach_the_server(llama_host, tmp_path):
    variables = dict(cpu_server(free_port()), llama_cpp_speculation=["ngram-mod"], llama_cpp_speculation_draft_max=8,
                     llama_cpp_load_mode="mmap")
    run = play(llama_host, tmp_path, **variables)
    assert run.returncode == 0, run.output
    exec_start = [line for line in read(llama_host, UNIT).splitlines() if line.startswith("ExecStart=")][0]
    assert " --spec-type ngram-mod --spec-draft-n-max 8 --load-mode mmap --device none --threads 2" in exec_start
    journal = read(llama_host, "var/log/inferops-sim/journal/llama-server.service.jsonl")
    assert "load_mode = mmap" in journal, "the server logs the load mode it used (load_tensors)"


def test_a_packaged_unit_gets_a_drop_in_and_keeps_its_account(llama_host, tmp_path):
    # Debian's llama.cpp-services as the package ships it (tests/fixtures/real_world/debian/SOURCES.md)
    packaged = os.path.join(REAL_WORLD, "debian", "llama.cpp-services")
    for path in ("usr/lib/systemd/system/llama-server.service", "etc/default/llama-server"):
        os.makedirs(os.path.dirname(os.path.join(llama_host, path)), exist_ok=True)
        shutil.copyfile(os.path.join(packaged, path), os.path.join(llama_host, path))
    os.symlink("../local/bin/llama-server", os.path.join(llama_host, "usr/bin/llama-server"))
    variables = cpu_server(free_port())
    variables["llama_cpp_install_method"] = "package"
    del variables["llama_cpp_binary"]
    run = play(llama_host, tmp_path, **variables)
    assert run.returncode == 0, run.output
    assert run.report["verified"] is True and run.report["device"] == "CPU"
    assert not os.path.exists(os.path.join(llama_host, UNIT)), "no second unit beside the packaged one"
    dropin = read(llama_host, DROPIN)
    assert "SupplementaryGroups=render video\n" in dropin and "User=" not in dropin
    assert "\nExecStart=\nExecStart=/usr/bin/llama-server --log-verbosity 4 --model %s " % MODEL in dropin
    for path in ("usr/lib/systemd/system/llama-server.service", "etc/default/llama-server"):
        assert read(llama_host, path) == open(os.path.join(packaged, path)).read(), "the package's files stay as shipped"

    again = play(llama_host, tmp_path, **variables)
    assert again.returncode == 0 and again.recap["sim"]["changed"] == 0, again.output
    verified = play(llama_host, tmp_path, tasks_from="verify", **variables)
    assert verified.returncode == 0, verified.output
    assert verified.report["verified"] is True


def test_role_refuses_an_archive_without_checksum(stub_host, tmp_path):
    run = play(stub_host, tmp_path, llama_cpp_install_method="archive", llama_cpp_archive_url="https://example.invalid/x.tar.gz",
               llama_cpp_model_path=MODEL)
    assert run.returncode != 0
    assert ("llama_cpp_install_method archive needs llama_cpp_archive_url and llama_cpp_archive_checksum 'sha256:<64 hex>' "
            "(got URL 'https://example.invalid/x.tar.gz', checksum") in run.flat_output
    assert not os.path.exists(os.path.join(stub_host, UNIT))


# A bad value in each of the four forms: tests/integration/test_role_values.py (every role).
@pytest.mark.parametrize("form", ["inventory", "play_vars", "role_vars", "extra_vars"])
def test_the_model_path_is_required_in_every_form(stub_host, tmp_path, form):
    run = play(stub_host, tmp_path, form=form, llama_cpp_install_method="existing", llama_cpp_binary=BINARY)
    assert run.returncode != 0
    assert "missing required arguments: llama_cpp_model_path" in run.flat_output


def test_a_plain_tree_gets_the_unit_and_no_running_service(stub_host, tmp_path):
    plain = {"INFEROPS_SIMULATION": "0"}
    variables = dict(llama_cpp_install_method="existing", llama_cpp_binary=BINARY, llama_cpp_model_path=MODEL)
    run = play(stub_host, tmp_path, env=plain, **variables)
    assert run.returncode == 0, run.output
    assert "ExecStart=%s " % BINARY in read(stub_host, UNIT)
    assert systemctl_calls(stub_host) == [], "nothing of the tree ran"
    assert run.report["verified"] is None

    verified = play(stub_host, tmp_path, tasks_from="verify", env=plain, **variables)
    assert verified.returncode == 0, verified.output
    assert verified.report["verified"] is True and systemctl_calls(stub_host) == []
