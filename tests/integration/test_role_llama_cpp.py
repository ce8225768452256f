"""The llama_cpp role brings up a real llama-server on a scratch host and proves its backend.

The scratch host is a recorded tree (tests/simulation/scratch_host.py) whose simulated systemctl
runs the unit's ExecStart for real: here that is llama.cpp's llama-server built by
`make llama-server` (install method `existing`, linked into the tree), serving the tiny gguf-py
model over real HTTP on 127.0.0.1.  The role's check reads the server's own log lines from the
tree's journal: a GGML_BACKEND_DL build logs the CPU backend library it loaded.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.integration.conftest import run_playbook
from tests.llama.fixtures import built_server, free_port, make_model

PLAYBOOK = """
- name: llama-server on a scratch host, then a benchmark
  hosts: all
  gather_facts: false
  roles:
    - role: llama_cpp
  tasks:
    - name: Report
      ansible.builtin.copy:
        dest: "{{ report_file }}"
        content: "{{ llama_cpp_report | to_json }}"
        mode: "0644"
      delegate_to: localhost
      changed_when: false
    - name: Benchmark the role's server
      inferops.amd.inference_benchmark:
        api: llama_cpp
        url: "{{ llama_cpp_report.url }}"
        model: "{{ llama_cpp_report.model }}"
        max_tokens: 16
        runs: 2
        sysroot: "{{ llama_cpp_sysroot }}"
      register: bench
      changed_when: false
    - name: Show it
      ansible.builtin.debug:
        msg: "benchmark {{ bench.decode_tokens_per_second.median }} tok/s decode"
"""


@pytest.fixture
def llama_host(scratch_host, tmp_path):
    bin_dir, source = built_server()
    root = scratch_host("r9700_desktop")
    os.makedirs(os.path.join(root, "usr/local/bin"), exist_ok=True)
    os.symlink(os.path.join(bin_dir, "llama-server"), os.path.join(root, "usr/local/bin/llama-server"))
    os.makedirs(os.path.join(root, "var/lib/llama"))
    make_model(source, os.path.join(root, "var/lib/llama/tiny.gguf"))
    yield root
    subprocess.run([os.path.join(root, "usr/bin/systemctl"), "stop", "llama-server.service"],
                   env=dict(os.environ, INFEROPS_SYSROOT=root), check=False, capture_output=True)


def play(root, tmp_path, **variables):
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("sim ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps(dict(variables, llama_cpp_sysroot=root, report_file=str(tmp_path / "report.json"))))
    return run_playbook(str(playbook), inventory=str(inventory), extra=["-e", "@%s" % extra])


def test_role_starts_a_real_server_and_proves_its_backend(llama_host, tmp_path):
    port = free_port()
    variables = dict(llama_cpp_install_method="existing", llama_cpp_binary="/usr/local/bin/llama-server",
                     llama_cpp_model_path="/var/lib/llama/tiny.gguf", llama_cpp_port=port, llama_cpp_ctx_size=512,
                     llama_cpp_backend="cpu", llama_cpp_extra_args=["--threads", "2"])
    run = play(llama_host, tmp_path, **variables)
    assert run.returncode == 0, run.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report == {"backend": "cpu", "device": "CPU", "verified": True,
                      "url": "http://127.0.0.1:%d" % port, "model": "tiny"}
    assert "benchmark" in run.flat_output and "tok/s decode" in run.flat_output

    unit = open(os.path.join(llama_host, "etc/systemd/system/llama-server.service")).read()
    for flag in ('"--flash-attn" "on"', '"--cache-type-k" "q4_0"', '"--cache-type-v" "q4_0"', '"--load-mode" "none"',
                 '"--alias" "tiny"', '"--host" "127.0.0.1"'):
        assert flag in unit
    assert "--spec-type" not in unit  # n-gram speculation off by default

    # The server's own log, in the tree's journal: the CPU backend came from its DL library.
    journal = open(os.path.join(llama_host, "var/log/inferops-sim/journal/llama-server.service.jsonl")).read()
    assert "load_backend: loaded CPU backend from" in journal

    again = play(llama_host, tmp_path, **variables)
    assert again.returncode == 0, again.output
    assert again.recap["sim"]["changed"] == 0, again.output


def test_role_fails_when_the_server_is_not_on_the_backend_asked_for(llama_host, tmp_path):
    # The tree is an R9700 host: the default backend is Vulkan, but this build only has the CPU.
    run = play(llama_host, tmp_path, llama_cpp_install_method="existing", llama_cpp_binary="/usr/local/bin/llama-server",
               llama_cpp_model_path="/var/lib/llama/tiny.gguf", llama_cpp_port=free_port(), llama_cpp_ctx_size=512,
               llama_cpp_verify_timeout=60)
    assert run.returncode != 0
    assert "the model runs on cpu (CPU), not on vulkan" in run.flat_output


def test_role_refuses_an_archive_without_checksum(scratch_host, tmp_path):
    root = scratch_host("r9700_desktop")
    run = play(root, tmp_path, llama_cpp_install_method="archive", llama_cpp_archive_url="https://example.invalid/x.tar.gz",
               llama_cpp_model_path="/var/lib/llama/tiny.gguf")
    assert run.returncode != 0
    assert "llama_cpp_archive_checksum 'sha256:<64 hex>'" in run.flat_output
    assert not os.path.exists(os.path.join(root, "etc/systemd/system/llama-server.service"))
