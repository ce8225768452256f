#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: inference_benchmark
short_description: Measure decode and prompt tokens per second of Ollama or llama-server, and compare with the last result
version_added: 0.2.0
description:
  - Sends the same prompt O(runs) times (after O(warmup) unmeasured runs) to a serving stack and reads the speeds from the
    server's own timings, not from a stopwatch around the request.
  - Ollama C(POST /api/generate) with C(stream=false) (C(eval_count)/C(eval_duration) for decode,
    C(prompt_eval_count)/C(prompt_eval_duration) for the prompt; ollama/ollama C(api/types.go)).
  - llama.cpp's C(llama-server) C(POST /completion) (its C(timings) block, C(predicted_per_second), C(prompt_per_second)).
  - Where the GPU and the model size are known, reports the memory-bandwidth ceiling of dense decode
    (bandwidth / bytes per token) and the share of it reached (the RX 9070 XT Ollama article, the Strix Halo inference survey).
  - Keeps the result as a local fact in O(facts_file) on the host and compares it with the result recorded there before
    for the same O(api) and O(model), giving the change in percent and a verdict against O(noise_threshold).
  - Check mode measures (the server is only read) and reports the comparison, but writes no record.
author:
  - inferops.amd contributors (@inferops)
extends_documentation_fragment:
  - inferops.amd.sysroot
options:
  api:
    description: Which serving stack answers at O(url).
    type: str
    choices: [ollama, llama_cpp]
    required: true
  url:
    description:
      - Base URL of the server, for example V(http://127.0.0.1:11434) (Ollama) or V(http://127.0.0.1:8080) (llama-server).
      - "Credentials in it (V(http://user:password@host:11434), for a server behind a proxy with basic authentication)
        are sent with every request and never stored: O(facts_file) (readable by every user), the result and every
        message keep the URL without C(user:password@), and the password is masked in the module's output."
    type: str
    required: true
  model:
    description:
      - Ollama's model name (V(qwen3:8b)); a name without a tag means V(:latest).
      - For llama-server, the loaded model's alias (C(--alias)) as C(/v1/models) lists it; empty benchmarks whatever is loaded.
    type: str
    default: ""
  prompt:
    description: The prompt. The fixed default keeps results of different runs and hosts comparable.
    type: str
  max_tokens:
    description: Tokens to generate per run (Ollama C(num_predict), llama-server C(n_predict) with C(ignore_eos)).
    type: int
    default: 128
  runs:
    description: Measured runs; the result is their median, minimum and maximum.
    type: int
    default: 3
  warmup:
    description: Unmeasured runs first (model load, caches).
    type: int
    default: 1
  timeout:
    description: Seconds to wait for one answer; 1 or more.
    type: int
    default: 300
  noise_threshold:
    description: Change in percent of median decode speed below which the verdict is C(within_noise).
    type: float
    default: 3.0
  device_id:
    description:
      - PCI device id of the GPU that serves (V(0x7551) R9700, V(0x7550) RX 9070 / 9070 XT, V(0x1586) Strix Halo), for the
        bandwidth ceiling. Empty takes the first AMD GPU found under O(sysroot).
    type: str
    default: ""
  bytes_per_token:
    description:
      - Bytes of weights read per generated token, for the bandwidth ceiling. 0 uses the model's size as the server reports
        it (right for a dense model; for a MoE model give the size of the active parameters).
    type: int
    default: 0
  record:
    description: Keep the result in O(facts_file) (not in check mode).
    type: bool
    default: true
  facts_file:
    description: Local facts file (machine path under O(sysroot)) that keeps the latest result per api and model.
    type: path
    default: /etc/ansible/facts.d/inferops_benchmark.fact
  label:
    description: Free text stored with the result, for example V(before) or V(after).
    type: str
    default: ""
attributes:
  check_mode:
    description: Measures in check mode too (the requests change nothing on the host) but writes no record.
    support: full
  diff_mode:
    description: Shows the facts file before and after the new record.
    support: full
notes:
  - The speed is the server's own figure for the run; the request's round trip does not count.
  - Every answer is checked whole before a speed is computed from it (Ollama's counts and durations are non-negative
    integers, durations in nanoseconds, ollama/ollama docs/api.md; llama-server's token counts are non-negative integers
    and its times non-negative milliseconds). A reply that is not HTTP, a truncated body, JSON of another shape or a
    timing of the wrong type or sign fails the task with the field and its value, and nothing is recorded.
  - C(changed) is true when a result was recorded.
"""

EXAMPLES = r"""
- name: Measure Ollama's decode speed
  inferops.amd.inference_benchmark:
    api: ollama
    url: http://127.0.0.1:11434
    model: qwen3:8b
  register: bench

- name: Show it
  ansible.builtin.debug:
    msg: "{{ bench.decode_tokens_per_second.median }} tok/s ({{ bench.verdict }}, {{ bench.decode_delta_percent }}%)"

- name: Measure llama-server, MoE model with 3 GB of active weights
  inferops.amd.inference_benchmark:
    api: llama_cpp
    url: http://127.0.0.1:8080
    model: qwen3.5-35b-a3b
    bytes_per_token: 3000000000
    runs: 5
"""

RETURN = r"""
decode_tokens_per_second:
  description: Decode (generation) speed over the measured runs.
  returned: success
  type: dict
  sample: {median: 32.46, min: 32.1, max: 32.6}
prompt_tokens_per_second:
  description: Prompt processing speed over the measured runs; null when the server reported no prompt work.
  returned: success
  type: dict
  sample: {median: 410.2, min: 398.0, max: 415.9}
runs:
  description: Each measured run (tokens, seconds, tokens per second for decode and prompt).
  returned: success
  type: list
  elements: dict
model_size_bytes:
  description: Model size the server reported (Ollama C(/api/tags), llama-server C(/v1/models) C(meta.size)).
  returned: success
  type: int
bandwidth:
  description: Device, its bandwidth and source, the dense-decode ceiling and the efficiency in percent; null when unknown.
  returned: success
  type: dict
  sample: {device_id: "0x7551", bandwidth_gb_per_s: 640.0, bytes_per_token: 16800000000, ceiling_tokens_per_second: 38.1, efficiency_percent: 85.2}
previous:
  description: The result recorded before for the same api and model, or null.
  returned: success
  type: dict
decode_delta_percent:
  description: Change of median decode speed against RV(previous), in percent; null without one.
  returned: success
  type: float
  sample: 10.8
verdict:
  description: C(improved), C(regressed), C(within_noise) (change within O(noise_threshold)) or C(first_run).
  returned: success
  type: str
report:
  description: One line for a run report, C(decode 29.3 -> 32.5 tok/s (+10.8%)).
  returned: success
  type: str
result:
  description: The result as recorded (api, url without credentials, model, label, time, speeds, bandwidth).
  returned: success
  type: dict
facts_file:
  description: Machine path of the local facts file.
  returned: success
  type: str
"""

import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.inferops.amd.plugins.module_utils._amdgpu import cards as amd_gpu
from ansible_collections.inferops.amd.plugins.module_utils._benchmark import record as benchmark_record
from ansible_collections.inferops.amd.plugins.module_utils._benchmark import stats as benchmark_stats
from ansible_collections.inferops.amd.plugins.module_utils._benchmark import gpu_bandwidth
from ansible_collections.inferops.amd.plugins.module_utils._benchmark.api import (
    APIS,
    DEFAULT_PROMPT,
    BenchmarkError,
    Server,
    split_credentials,
    url_problem,
)
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import module_sysroot, with_sysroot_option


def serving_gpu(root, device_id):
    """(device id, VRAM bytes) of the GPU to rate against: the one asked for, else the first AMD GPU."""
    gpus = amd_gpu.gather_gpus(root)
    for gpu in gpus:
        if not device_id or gpu["device_id"] == device_id.lower():
            return gpu["device_id"], gpu["vram_bytes"]
    return (device_id.lower() if device_id else None), None


def shown_url(module):
    """``url`` without ``user:password@``: the only form that is recorded, returned or put in a message.

    The password is also added to the values AnsibleModule masks in its output (the invocation's arguments).
    """
    address, dummy, password = split_credentials(module.params["url"])
    if password:
        module.no_log_values.add(password)
    return address


def validate_options(module, address):
    """Fail, naming the value, before any request is sent or anything is recorded."""
    params = module.params
    for name, unit in (("max_tokens", ""), ("runs", ""), ("timeout", " seconds")):
        if params[name] < 1:
            module.fail_json(msg="%s must be 1 or more%s, got %d" % (name, unit, params[name]))
    if params["warmup"] < 0 or params["noise_threshold"] < 0:
        module.fail_json(msg="warmup and noise_threshold must not be negative")
    if params["api"] == "ollama" and not params["model"]:
        module.fail_json(msg="model is required for api=ollama (an Ollama model name such as qwen3:8b)")
    problem = url_problem(address)
    if problem:
        module.fail_json(msg=problem)


def measure(server, params):
    prompt = params["prompt"] or DEFAULT_PROMPT
    for dummy in range(params["warmup"]):
        server.generate(params["model"], prompt, params["max_tokens"])
    return [server.generate(params["model"], prompt, params["max_tokens"]) for dummy in range(params["runs"])]


def main():
    module = AnsibleModule(
        argument_spec=with_sysroot_option(dict(
            api=dict(type="str", required=True, choices=list(APIS)),
            url=dict(type="str", required=True),
            model=dict(type="str", default=""),
            prompt=dict(type="str"),
            max_tokens=dict(type="int", default=128, no_log=False),
            runs=dict(type="int", default=3),
            warmup=dict(type="int", default=1),
            timeout=dict(type="int", default=300),
            noise_threshold=dict(type="float", default=3.0),
            device_id=dict(type="str", default=""),
            bytes_per_token=dict(type="int", default=0, no_log=False),
            record=dict(type="bool", default=True),
            facts_file=dict(type="path", default=benchmark_record.DEFAULT_FACTS_FILE),
            label=dict(type="str", default=""),
        )),
        supports_check_mode=True,
    )
    params = module.params
    address = shown_url(module)
    validate_options(module, address)
    root = module_sysroot(module)

    try:
        facts = benchmark_record.load(root.read_text(params["facts_file"]))
    except benchmark_record.RecordError as exc:
        module.fail_json(msg="%s: %s" % (params["facts_file"], exc))
    key = benchmark_record.record_key(params["api"], params["model"])
    earlier = benchmark_record.previous(facts, key)

    server = Server(params["api"], params["url"], timeout=params["timeout"])
    try:
        size = server.model_size(params["model"])
        runs = measure(server, params)
    except BenchmarkError as exc:
        module.fail_json(msg=str(exc))

    decode = benchmark_stats.summarize(r["decode_tokens_per_second"] for r in runs)
    prompt = benchmark_stats.summarize(r["prompt_tokens_per_second"] for r in runs)
    device_id, vram = serving_gpu(root, params["device_id"])
    bandwidth = gpu_bandwidth.decode_ceiling(device_id, params["bytes_per_token"] or size, decode["median"], vram)
    before = earlier["decode_tokens_per_second"]["median"] if earlier else None
    delta = benchmark_stats.delta_percent(before, decode["median"])
    result = {
        "api": params["api"], "url": address, "model": params["model"], "label": params["label"],
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "max_tokens": params["max_tokens"], "runs": params["runs"],
        "decode_tokens_per_second": decode, "prompt_tokens_per_second": prompt,
        "model_size_bytes": size, "bandwidth": bandwidth,
    }
    changed = False
    if params["record"]:
        updated = benchmark_record.with_result(facts, key, result)
        changed = True
        if not module.check_mode:
            root.write_config(params["facts_file"], benchmark_record.dump(updated), mode=0o644)
    output = dict(
        changed=changed,
        decode_tokens_per_second=decode,
        prompt_tokens_per_second=prompt,
        runs=runs,
        model_size_bytes=size,
        bandwidth=bandwidth,
        previous=earlier,
        decode_delta_percent=delta,
        verdict=benchmark_stats.verdict(delta, params["noise_threshold"]),
        report=benchmark_stats.report_line(before, decode["median"], delta),
        result=result,
        facts_file=params["facts_file"],
    )
    if module._diff and params["record"]:
        output["diff"] = {
            "before": benchmark_record.dump(facts), "after": benchmark_record.dump(updated),
            "before_header": params["facts_file"], "after_header": params["facts_file"],
        }
    module.exit_json(**output)


if __name__ == "__main__":
    main()
