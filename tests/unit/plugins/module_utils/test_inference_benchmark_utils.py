"""Parsing, statistics, bandwidth ceiling and result record of the inference benchmark."""

import json

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._benchmark import api as benchmark_api
from ansible_collections.inferops.amd.plugins.module_utils._benchmark import record as benchmark_record
from ansible_collections.inferops.amd.plugins.module_utils._benchmark import stats as benchmark_stats
from ansible_collections.inferops.amd.plugins.module_utils._benchmark import gpu_bandwidth
from ansible_collections.inferops.amd.plugins.module_utils._benchmark.api import BenchmarkError, Server

# Shape of an Ollama /api/generate answer with stream=false (ollama/ollama api/types.go
# GenerateResponse + Metrics; durations in nanoseconds).
OLLAMA_ANSWER = {
    "model": "qwen3:8b", "created_at": "2026-03-30T10:00:00Z", "response": "...", "done": True,
    "done_reason": "length", "total_duration": 2_100_000_000, "load_duration": 50_000_000,
    "prompt_eval_count": 40, "prompt_eval_duration": 100_000_000,
    "eval_count": 128, "eval_duration": 1_406_593_406,
}
# Shape of a llama-server /completion answer (tools/server server_slot_stats::to_json).
LLAMA_ANSWER = {
    "content": "...", "stop": True,
    "timings": {"cache_n": 0, "prompt_n": 42, "prompt_ms": 84.0, "prompt_per_token_ms": 2.0,
                "prompt_per_second": 500.0, "predicted_n": 64, "predicted_ms": 1971.6,
                "predicted_per_token_ms": 30.8, "predicted_per_second": 32.46},
}


def test_ollama_rates_come_from_eval_counts_and_nanosecond_durations():
    run = benchmark_api.parse_ollama(OLLAMA_ANSWER)
    assert run["decode_tokens"] == 128
    assert run["decode_tokens_per_second"] == pytest.approx(91.0, abs=0.01)
    assert run["prompt_tokens_per_second"] == pytest.approx(400.0)


def test_ollama_cached_prompt_has_no_prompt_rate():
    answer = dict(OLLAMA_ANSWER)
    del answer["prompt_eval_count"], answer["prompt_eval_duration"]  # omitempty when cached
    assert benchmark_api.parse_ollama(answer)["prompt_tokens_per_second"] is None


@pytest.mark.parametrize("missing", ["eval_count", "eval_duration"])
def test_ollama_answer_without_timings_fails_clearly(missing):
    answer = dict(OLLAMA_ANSWER)
    del answer[missing]
    with pytest.raises(BenchmarkError, match="without timings"):
        benchmark_api.parse_ollama(answer)


def test_llama_cpp_rates_come_from_the_timings_block():
    run = benchmark_api.parse_llama_cpp(LLAMA_ANSWER)
    assert run["decode_tokens"] == 64
    assert run["decode_tokens_per_second"] == pytest.approx(64 / 1.9716, abs=0.001)
    assert run["prompt_tokens_per_second"] == pytest.approx(500.0)


def test_llama_cpp_answer_without_timings_fails_clearly():
    with pytest.raises(BenchmarkError, match="llama-server answered without timings"):
        benchmark_api.parse_llama_cpp({"content": "hi", "stop": True})


def test_requests_ask_for_a_fixed_number_of_tokens_without_streaming():
    path, body = benchmark_api.ollama_request("m", "p", 77)
    assert path == "/api/generate" and body["stream"] is False and body["options"]["num_predict"] == 77
    path, body = benchmark_api.llama_cpp_request("p", 77)
    assert path == "/completion" and body["n_predict"] == 77 and body["ignore_eos"] is True
    assert body["cache_prompt"] is False


def fake_fetch(answers):
    calls = []

    def fetch(url, body=None, timeout=None):
        calls.append((url, body))
        for suffix, answer in answers.items():
            if url.endswith(suffix):
                return answer
        raise AssertionError("unexpected request " + url)
    fetch.calls = calls
    return fetch


def test_unknown_ollama_model_names_the_models_there():
    fetch = fake_fetch({"/api/tags": (200, {"models": [{"name": "qwen3:8b", "size": 5}]}, "")})
    with pytest.raises(BenchmarkError, match=r"unknown model 'gemma3:12b'.*qwen3:8b"):
        Server("ollama", "http://h:1", fetch=fetch).model_size("gemma3:12b")


def test_untagged_ollama_model_means_latest():
    fetch = fake_fetch({"/api/tags": (200, {"models": [{"name": "tiny:latest", "size": 1234}]}, "")})
    assert Server("ollama", "http://h:1/", fetch=fetch).model_size("tiny") == 1234


def test_unknown_llama_cpp_alias_fails_and_known_alias_gives_size():
    doc = {"object": "list", "data": [{"id": "tiny", "meta": {"size": 4096}}]}
    fetch = fake_fetch({"/v1/models": (200, doc, "")})
    server = Server("llama_cpp", "http://h:2", fetch=fetch)
    assert server.model_size("tiny") == 4096
    assert server.model_size("") == 4096
    with pytest.raises(BenchmarkError, match="unknown model 'big'.*serves tiny"):
        server.model_size("big")


def test_ollama_404_on_generate_is_an_unknown_model():
    fetch = fake_fetch({"/api/generate": (404, {"error": "model 'x' not found"}, "")})
    with pytest.raises(BenchmarkError, match="unknown model 'x'"):
        Server("ollama", "http://h:1", fetch=fetch).generate("x", "p", 8)


def test_unreachable_url_is_named():
    # Port 9 on loopback: nothing listens there in a test environment.
    with pytest.raises(BenchmarkError, match=r"cannot reach http://127\.0\.0\.1:9/api/tags"):
        Server("ollama", "http://127.0.0.1:9", timeout=5).model_size("m")


def test_bad_api_is_refused():
    with pytest.raises(BenchmarkError, match="api must be one of ollama, llama_cpp"):
        Server("vllm", "http://h")


def test_summary_is_median_min_max():
    assert benchmark_stats.summarize([3.0, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0}
    assert benchmark_stats.summarize([4.0, 1.0, 2.0, 3.0])["median"] == 2.5
    assert benchmark_stats.summarize([None, None]) is None


def test_delta_and_verdict_follow_the_noise_threshold():
    delta = benchmark_stats.delta_percent(29.30, 32.46)  # seed 000: +10.8%
    assert delta == 10.8
    assert benchmark_stats.verdict(delta, 3.0) == "improved"
    assert benchmark_stats.verdict(-5.0, 3.0) == "regressed"
    assert benchmark_stats.verdict(2.9, 3.0) == "within_noise"
    assert benchmark_stats.verdict(None, 3.0) == "first_run"


def test_report_line_has_the_run_report_form():
    assert benchmark_stats.report_line(29.3, 32.46, 10.8) == "decode 29.3 -> 32.5 tok/s (+10.8%)"
    assert benchmark_stats.report_line(None, 32.46, None) == "decode 32.5 tok/s (no earlier result)"
    assert benchmark_stats.report_line(30.0, 27.0, -10.0).endswith("(-10.0%)")


def test_ceiling_matches_the_seed_arithmetic():
    # Seed 003: qwen3:8b, 4.92 GB, at 82.9 tok/s on a 640 GB/s RX 9070 XT is 407.9 GB/s, 63.7%.
    ceiling = gpu_bandwidth.decode_ceiling("0x7550", 4.92e9, 82.9, vram_bytes=16 << 30)
    assert ceiling["ceiling_tokens_per_second"] == pytest.approx(130.08, abs=0.01)
    assert ceiling["efficiency_percent"] == pytest.approx(63.73, abs=0.01)
    strix = gpu_bandwidth.decode_ceiling("0x1586", 3.5e9, 50.0)
    assert strix["ceiling_tokens_per_second"] == pytest.approx(73.14, abs=0.01)  # seed 004: ~73


def test_no_ceiling_without_a_sourced_figure():
    assert gpu_bandwidth.decode_ceiling("0x744c", 1e9, 10.0) is None  # not in the table
    assert gpu_bandwidth.decode_ceiling(None, 1e9, 10.0) is None
    assert gpu_bandwidth.decode_ceiling("0x7551", None, 10.0) is None
    assert gpu_bandwidth.decode_ceiling("0x7550", 1e9, 10.0, vram_bytes=12 << 30) is None  # RX 9070 GRE


def test_record_round_trip_keeps_other_results():
    data = benchmark_record.load(None)
    key = benchmark_record.record_key("ollama", "qwen3:8b")
    data = benchmark_record.with_result(data, "llama_cpp/x", {"decode_tokens_per_second": {"median": 1}})
    updated = benchmark_record.with_result(data, key, {"decode_tokens_per_second": {"median": 2}})
    loaded = benchmark_record.load(benchmark_record.dump(updated))
    assert benchmark_record.previous(loaded, key)["decode_tokens_per_second"]["median"] == 2
    assert "llama_cpp/x" in loaded["results"]
    assert benchmark_record.previous(data, key) is None  # with_result does not change its input


@pytest.mark.parametrize("text", ["not json", json.dumps([1]), json.dumps({"results": []})])
def test_broken_record_is_refused(text):
    with pytest.raises(benchmark_record.RecordError):
        benchmark_record.load(text)


# -- replies checked whole before a speed is computed (issue 24) ---------------------------------
# Types: ollama/ollama api/types.go Metrics (int, time.Duration) and docs/api.md "All durations are
# returned in nanoseconds" (commit fb30760996871fa9460115c753afd2c60d4ab0f7).
@pytest.mark.parametrize("field, value", [
    ("eval_duration", "1406593406"), ("eval_duration", -1_406_593_406), ("eval_duration", 1.4e9),
    ("eval_count", None), ("prompt_eval_duration", -1), ("total_duration", "2.1s"), ("load_duration", False),
])
def test_ollama_timing_of_the_wrong_type_or_sign_is_named(field, value):
    answer = dict(OLLAMA_ANSWER, **{field: value})
    with pytest.raises(BenchmarkError) as caught:
        benchmark_api.parse_ollama(answer)
    assert "'%s': %s" % (field, json.dumps(value)) in str(caught.value)
    assert "expected a non-negative integer" in str(caught.value)


def test_ollama_answer_that_is_no_object_is_named():
    with pytest.raises(BenchmarkError, match=r'is \[1, 2\]; expected a JSON object'):
        benchmark_api.parse_ollama([1, 2])


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -0.5, "84.0", True])
def test_llama_cpp_time_that_is_no_finite_non_negative_number_is_named(value):
    answer = {"timings": dict(LLAMA_ANSWER["timings"], prompt_ms=value)}
    with pytest.raises(BenchmarkError, match=r"'timings\.prompt_ms'.*expected a non-negative number"):
        benchmark_api.parse_llama_cpp(answer)


@pytest.mark.parametrize("tags", [None, [], {"models": None}, {"models": [["tiny"]]}])
def test_tags_of_another_shape_are_refused_by_shape(tags):
    fetch = fake_fetch({"/api/tags": (200, tags, json.dumps(tags))})
    with pytest.raises(BenchmarkError, match="expected a JSON object whose 'models' is a list of objects"):
        Server("ollama", "http://h:1", fetch=fetch).model_size("tiny")


def test_a_non_json_200_answer_is_named_with_its_text():
    fetch = fake_fetch({"/api/generate": (200, None, "<html>login</html>")})
    with pytest.raises(BenchmarkError, match=r"http://h:1/api/generate answered a body that is not JSON: <html>"):
        Server("ollama", "http://h:1", fetch=fetch).generate("tiny", "p", 8)


@pytest.mark.parametrize("url, address, user, password", [
    ("http://127.0.0.1:11434", "http://127.0.0.1:11434", None, None),
    ("http://bench:pw@127.0.0.1:11434/", "http://127.0.0.1:11434/", "bench", "pw"),
    ("https://bench:p%40ss%3Aword@proxy.example/ollama", "https://proxy.example/ollama", "bench", "p@ss:word"),
    ("http://token@host:8080", "http://host:8080", "token", ""),
    ("http://bench:pw@[::1:11434", "http://[::1:11434", "bench", "pw"),  # urlsplit refuses it; url_problem names it
    ("http://host:8080/a@b", "http://host:8080/a@b", None, None),  # an @ in the path is no userinfo
    ("http://host:8080?to=a@b", "http://host:8080?to=a@b", None, None),
])
def test_credentials_are_split_off_the_address(url, address, user, password):
    assert benchmark_api.split_credentials(url) == (address, user, password)


def test_credentials_go_with_each_request_and_never_into_a_message():
    fetch = fake_fetch({"/api/tags": (500, {"error": "boom"}, "")})
    calls = []

    def recording(url, body=None, timeout=None, **auth):
        calls.append(auth)
        return fetch(url, body=body, timeout=timeout)
    with pytest.raises(BenchmarkError) as caught:
        Server("ollama", "http://bench:pw@h:1", fetch=recording).model_size("tiny")
    assert calls == [{"url_username": "bench", "url_password": "pw"}]
    assert str(caught.value) == "http://h:1/api/tags answered 500: boom"


@pytest.mark.parametrize("url, problem", [
    ("ftp://h", "url must be http:// or https:// followed by a host, got 'ftp://h'"),
    ("http://", "url must be http:// or https:// followed by a host, got 'http://'"),
    ("http://h:port", "url 'http://h:port' is not a valid URL"),
])
def test_url_that_is_no_server_address_is_named(url, problem):
    assert benchmark_api.url_problem(url).startswith(problem)
    assert benchmark_api.url_problem("http://127.0.0.1:11434") is None


@pytest.mark.parametrize("timeout", [0, -1])
def test_server_refuses_a_timeout_that_is_not_positive(timeout):
    with pytest.raises(BenchmarkError, match="timeout must be 1 or more seconds, got %d" % timeout):
        Server("ollama", "http://h:1", timeout=timeout)
