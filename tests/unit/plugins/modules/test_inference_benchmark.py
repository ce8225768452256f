"""inference_benchmark at its edges: what a server answers is checked whole before anything is recorded.

Every reply comes from a real HTTP server on 127.0.0.1 (a thread of this test): broken HTTP, a
truncated body, JSON of the wrong shape, Ollama timings of the wrong type or sign.  Each must end
in a message naming the value and what was expected, with the facts file untouched.  Field types:
ollama/ollama docs/api.md ("All durations are returned in nanoseconds") and api/types.go
(``Metrics``: ``time.Duration`` and ``int`` fields), commit fb30760996871fa9460115c753afd2c60d4ab0f7.
"""

import base64
import json
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.unit.module_runner import run_module

FACTS = "etc/ansible/facts.d/inferops_benchmark.fact"
TAGS = {"models": [{"name": "tiny:latest", "model": "tiny:latest", "size": 4_000_000_000}]}
GENERATE = {
    "model": "tiny:latest", "response": "...", "done": True, "done_reason": "length",
    "total_duration": 2_100_000_000, "load_duration": 50_000_000,
    "prompt_eval_count": 40, "prompt_eval_duration": 100_000_000,
    "eval_count": 128, "eval_duration": 1_000_000_000,
}


class Replies:
    """What the test server answers: per path, JSON (status, document) or a raw writer; the requests it saw."""

    def __init__(self):
        self.routes = {"/api/tags": (200, TAGS), "/api/generate": (200, GENERATE)}
        self.seen = []


def _handler(replies):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            replies.seen.append((self.command, self.path, dict(self.headers), body))
            route = replies.routes.get(self.path, (404, {"error": "no route"}))
            if callable(route):
                route(self)
                return
            status, document = route
            data = document if isinstance(document, bytes) else json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer
    return Handler


@pytest.fixture
def server():
    """(base URL, Replies) of an HTTP server on 127.0.0.1."""
    replies = Replies()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(replies))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % httpd.server_address[1], replies
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def not_http():
    """Base URL of a listener on 127.0.0.1 that answers every connection with an SSH banner, not HTTP."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, dummy = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % listener.getsockname()[1]
    stop.set()
    listener.close()


def truncated(handler):
    """Headers promise 1000 bytes; 11 come, then the connection closes."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    handler.wfile.write(b'{"models": ')
    handler.close_connection = True


def bench(root, url, expect_failure=False, **args):
    params = dict(api="ollama", url=url, model="tiny", runs=1, warmup=0, sysroot=str(root))
    params.update(args)
    return run_module("inference_benchmark", params, expect_failure=expect_failure)


def facts_path(root):
    return os.path.join(str(root), FACTS)


def test_a_good_reply_is_measured_and_recorded(tmp_path, server):
    url, replies = server
    result = bench(tmp_path, url)
    assert result["decode_tokens_per_second"]["median"] == 128.0
    assert result["prompt_tokens_per_second"]["median"] == 400.0
    with open(facts_path(tmp_path)) as handle:
        assert json.load(handle)["results"]["ollama/tiny"]["decode_tokens_per_second"]["median"] == 128.0


def test_a_reply_that_is_not_http_fails_clearly(tmp_path, not_http):
    failed = bench(tmp_path, not_http, expect_failure=True)
    assert not_http + "/api/tags" in failed["msg"] and "not a valid HTTP reply" in failed["msg"]
    assert not os.path.exists(facts_path(tmp_path))


def test_a_truncated_body_fails_clearly(tmp_path, server):
    url, replies = server
    replies.routes["/api/tags"] = truncated
    failed = bench(tmp_path, url, expect_failure=True)
    assert url + "/api/tags" in failed["msg"] and "truncated" in failed["msg"]
    assert "11 of 1000 bytes" in failed["msg"]
    assert not os.path.exists(facts_path(tmp_path))


@pytest.mark.parametrize("document", [[TAGS["models"]], {"models": {"tiny": 1}}, {"models": ["tiny:latest"]}, "tags"])
def test_tags_of_the_wrong_shape_fail_clearly(tmp_path, server, document):
    url, replies = server
    replies.routes["/api/tags"] = (200, document)
    failed = bench(tmp_path, url, expect_failure=True)
    assert url + "/api/tags" in failed["msg"]
    assert "expected a JSON object whose 'models' is a list of objects" in failed["msg"]
    assert not os.path.exists(facts_path(tmp_path))


def test_a_body_that_is_not_json_fails_clearly(tmp_path, server):
    url, replies = server
    replies.routes["/api/tags"] = (200, b"<html>proxy login</html>")
    failed = bench(tmp_path, url, expect_failure=True)
    assert "is not JSON" in failed["msg"] and "<html>proxy login</html>" in failed["msg"]


@pytest.mark.parametrize("size", ["4 GB", -1, 1.5, True])
def test_a_model_size_that_is_no_byte_count_fails_clearly(tmp_path, server, size):
    url, replies = server
    replies.routes["/api/tags"] = (200, {"models": [{"name": "tiny:latest", "size": size}]})
    failed = bench(tmp_path, url, expect_failure=True)
    assert "size" in failed["msg"] and json.dumps(size) in failed["msg"]
    assert "non-negative integer" in failed["msg"]


@pytest.mark.parametrize("field, value", [
    ("eval_duration", "1000000000"),
    ("eval_duration", -1_000_000_000),
    ("eval_duration", 1.5e9),
    ("eval_count", "128"),
    ("eval_count", -128),
    ("prompt_eval_duration", -100_000_000),
    ("prompt_eval_count", True),
    ("total_duration", "2.1s"),
    ("load_duration", -5),
])
def test_ollama_timings_of_the_wrong_type_or_sign_fail_before_recording(tmp_path, server, field, value):
    url, replies = server
    bench(tmp_path, url, label="before")
    with open(facts_path(tmp_path), "rb") as handle:
        recorded = handle.read()
    # Three runs: the last one is broken, and nothing of the first two may be recorded either.
    answers = [dict(GENERATE), dict(GENERATE), dict(GENERATE, **{field: value})]

    def generate(handler):
        data = json.dumps(answers.pop(0)).encode()
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
    replies.routes["/api/generate"] = generate
    failed = bench(tmp_path, url, runs=3, expect_failure=True)
    assert "'%s'" % field in failed["msg"] and json.dumps(value) in failed["msg"]
    assert "non-negative integer" in failed["msg"]
    assert "tok/s" not in failed["msg"]
    with open(facts_path(tmp_path), "rb") as handle:
        assert handle.read() == recorded


@pytest.mark.parametrize("timeout", [0, -1])
def test_a_timeout_that_is_not_positive_is_refused_before_any_request(tmp_path, server, timeout):
    url, replies = server
    failed = bench(tmp_path, url, timeout=timeout, expect_failure=True)
    assert failed["msg"] == "timeout must be 1 or more seconds, got %d" % timeout
    assert replies.seen == [] and not os.path.exists(facts_path(tmp_path))


def test_credentials_in_the_url_are_used_but_never_stored_or_shown(tmp_path, server):
    url, replies = server
    secret_url = url.replace("http://", "http://bench:s3cr3t-pw@")
    result = bench(tmp_path, secret_url)
    assert replies.seen[0][2].get("Authorization") == "Basic " + base64.b64encode(b"bench:s3cr3t-pw").decode()
    with open(facts_path(tmp_path)) as handle:
        stored = handle.read()
    assert json.loads(stored)["results"]["ollama/tiny"]["url"] == url
    assert "s3cr3t-pw" not in stored and "bench:" not in stored
    assert result["result"]["url"] == url
    assert "s3cr3t-pw" not in json.dumps(result)


def test_credentials_stay_out_of_error_messages(tmp_path, server):
    url, replies = server
    replies.routes["/api/tags"] = (200, [])
    failed = bench(tmp_path, url.replace("http://", "http://bench:s3cr3t-pw@"), expect_failure=True)
    assert url + "/api/tags" in failed["msg"]
    assert "s3cr3t-pw" not in json.dumps(failed)


def llama(root, url, expect_failure=False):
    return run_module("inference_benchmark", dict(api="llama_cpp", url=url, runs=1, warmup=0, sysroot=str(root)),
                      expect_failure=expect_failure)


def test_llama_server_models_of_the_wrong_shape_fail_clearly(tmp_path, server):
    url, replies = server
    replies.routes["/v1/models"] = (200, [{"id": "tiny"}])
    failed = llama(tmp_path, url, expect_failure=True)
    assert url + "/v1/models" in failed["msg"] and "expected a JSON object whose 'data' is a list" in failed["msg"]


@pytest.mark.parametrize("field, value", [("predicted_ms", "1971.6"), ("predicted_ms", -1971.6),
                                          ("predicted_n", 64.5), ("prompt_ms", -1.0)])
def test_llama_server_timings_of_the_wrong_type_or_sign_fail_clearly(tmp_path, server, field, value):
    url, replies = server
    timings = {"prompt_n": 42, "prompt_ms": 84.0, "predicted_n": 64, "predicted_ms": 1971.6}
    timings[field] = value
    replies.routes["/v1/models"] = (200, {"data": [{"id": "tiny", "meta": {"size": 4096}}]})
    replies.routes["/completion"] = (200, {"content": "...", "timings": timings})
    failed = llama(tmp_path, url, expect_failure=True)
    assert "'timings.%s'" % field in failed["msg"] and json.dumps(value) in failed["msg"]
    assert not os.path.exists(facts_path(tmp_path))
