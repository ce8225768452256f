# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Talk to a serving stack's generate endpoint and read its own timings.

Ollama (ollama/ollama api/types.go, ``GenerateRequest``/``GenerateResponse``/``Metrics``):
``POST /api/generate`` with ``"stream": false`` answers one JSON object whose ``eval_count`` /
``eval_duration`` (a Go ``time.Duration``: nanoseconds) give decode speed and
``prompt_eval_count`` / ``prompt_eval_duration`` prompt speed.  The fields are ``omitempty``:
a prompt served from Ollama's cache has no ``prompt_eval_*`` at all.  ``/api/tags`` lists the
models (``name``, ``size`` in bytes).

llama-server (ggml-org/llama.cpp tools/server, ``server_slot_stats::to_json`` in
server-common.cpp): ``POST /completion`` answers with a ``timings`` block: ``prompt_n``,
``prompt_ms``, ``prompt_per_second``, ``predicted_n``, ``predicted_ms``,
``predicted_per_second``.  ``GET /v1/models`` lists the loaded model (``id`` is its alias,
``meta.size`` its size in bytes).

Only the standard library: urllib, json.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket

from ansible.module_utils.urls import open_url

try:  # Python 3
    from urllib.error import HTTPError, URLError
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    HTTPError = URLError = None

APIS = ("ollama", "llama_cpp")
# A fixed prompt, so results of different runs and hosts compare.
DEFAULT_PROMPT = (
    "Explain in plain words how a Linux kernel schedules threads across CPU cores, "
    "what a run queue is, and why a thread may move from one core to another."
)


class BenchmarkError(Exception):
    """A server that cannot be benchmarked; the message says which and why."""


def http_json(url, body=None, timeout=300):
    """GET (no body) or POST JSON; return (status, parsed body or None, raw text)."""
    data = None
    headers = {"Accept": "application/json"}
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    try:
        response = open_url(url, data=data, headers=headers, method="POST" if body is not None else "GET",
                            timeout=timeout)
        status, raw = response.getcode(), response.read()
    except HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (URLError, socket.timeout, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise BenchmarkError("cannot reach %s: %s" % (url, reason))
    text = raw.decode("utf-8", "replace")
    try:
        parsed = json.loads(text) if text.strip() else None
    except ValueError:
        parsed = None
    return status, parsed, text


def error_text(parsed, text):
    """The server's own error message (Ollama: {"error": "..."}; llama-server: {"error": {"message"}})."""
    if isinstance(parsed, dict) and "error" in parsed:
        error = parsed["error"]
        if isinstance(error, dict):
            return error.get("message") or json.dumps(error)
        return str(error)
    return text.strip()[:300]


# -- Ollama ---------------------------------------------------------------------------------
def ollama_request(model, prompt, max_tokens):
    # temperature 0 and a fixed seed: every run generates the same tokens.
    return "/api/generate", {
        "model": model, "prompt": prompt, "stream": False,
        "options": {"num_predict": max_tokens, "temperature": 0, "seed": 42},
    }


def parse_ollama(doc):
    """One run's figures from an Ollama /api/generate answer."""
    if not isinstance(doc, dict) or not doc.get("eval_count") or not doc.get("eval_duration"):
        raise BenchmarkError("Ollama answered without timings (eval_count/eval_duration missing): %s"
                             % json.dumps(doc)[:300])
    run = {
        "decode_tokens": int(doc["eval_count"]),
        "decode_seconds": doc["eval_duration"] / 1e9,
        "prompt_tokens": int(doc.get("prompt_eval_count") or 0),
        "prompt_seconds": (doc.get("prompt_eval_duration") or 0) / 1e9,
    }
    return with_rates(run)


def ollama_model_size(tags, model):
    """Size in bytes of a model in an /api/tags answer (an untagged name means :latest)."""
    wanted = model if ":" in model else model + ":latest"
    for entry in (tags or {}).get("models", []):
        if entry.get("name") in (model, wanted) or entry.get("model") in (model, wanted):
            return entry.get("size")
    return None


# -- llama-server ---------------------------------------------------------------------------
def llama_cpp_request(prompt, max_tokens):
    # cache_prompt false: every run processes the whole prompt, so prompt speed is measured
    # each time; ignore_eos: a run generates exactly max_tokens, whatever the model.
    return "/completion", {
        "prompt": prompt, "n_predict": max_tokens, "stream": False, "cache_prompt": False,
        "ignore_eos": True, "temperature": 0, "seed": 42,
    }


def parse_llama_cpp(doc):
    """One run's figures from a llama-server /completion answer."""
    timings = doc.get("timings") if isinstance(doc, dict) else None
    if not isinstance(timings, dict) or not timings.get("predicted_n") or not timings.get("predicted_ms"):
        raise BenchmarkError("llama-server answered without timings (timings.predicted_n/predicted_ms missing): %s"
                             % json.dumps(doc)[:300])
    run = {
        "decode_tokens": int(timings["predicted_n"]),
        "decode_seconds": timings["predicted_ms"] / 1000.0,
        "prompt_tokens": int(timings.get("prompt_n") or 0),
        "prompt_seconds": (timings.get("prompt_ms") or 0) / 1000.0,
    }
    return with_rates(run)


def llama_cpp_models(doc):
    """[(id, size in bytes)] of an OpenAI-style /v1/models answer."""
    found = []
    for entry in (doc or {}).get("data", []):
        found.append((entry.get("id"), (entry.get("meta") or {}).get("size")))
    return found


def with_rates(run):
    run["decode_tokens_per_second"] = round(run["decode_tokens"] / run["decode_seconds"], 3)
    run["prompt_tokens_per_second"] = (round(run["prompt_tokens"] / run["prompt_seconds"], 3)
                                       if run["prompt_tokens"] and run["prompt_seconds"] > 0 else None)
    return run


# -- one benchmark --------------------------------------------------------------------------
class Server:
    """A serving stack at a base URL: which model it has, and one timed generation."""

    def __init__(self, api, url, timeout=300, fetch=http_json):
        if api not in APIS:
            raise BenchmarkError("api must be one of %s, got '%s'" % (", ".join(APIS), api))
        self.api = api
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.fetch = fetch

    def model_size(self, model):
        """Size of the model in bytes; BenchmarkError when the server does not have it."""
        if self.api == "ollama":
            status, parsed, text = self.fetch(self.url + "/api/tags", timeout=self.timeout)
            if status != 200:
                raise BenchmarkError("%s/api/tags answered %s: %s" % (self.url, status, error_text(parsed, text)))
            size = ollama_model_size(parsed, model)
            if size is None:
                names = [m.get("name") for m in (parsed or {}).get("models", [])]
                raise BenchmarkError("unknown model '%s': Ollama at %s has %s"
                                     % (model, self.url, ", ".join(names) or "no models"))
            return size
        status, parsed, text = self.fetch(self.url + "/v1/models", timeout=self.timeout)
        if status != 200:
            raise BenchmarkError("%s/v1/models answered %s: %s" % (self.url, status, error_text(parsed, text)))
        models = llama_cpp_models(parsed)
        if model:
            for name, size in models:
                if name == model:
                    return size
            raise BenchmarkError("unknown model '%s': llama-server at %s serves %s"
                                 % (model, self.url, ", ".join(str(entry[0]) for entry in models) or "no model"))
        return models[0][1] if models else None

    def generate(self, model, prompt, max_tokens):
        if self.api == "ollama":
            path, body = ollama_request(model, prompt, max_tokens)
        else:
            path, body = llama_cpp_request(prompt, max_tokens)
        status, parsed, text = self.fetch(self.url + path, body=body, timeout=self.timeout)
        if status == 404 and self.api == "ollama":
            raise BenchmarkError("unknown model '%s': %s" % (model, error_text(parsed, text)))
        if status != 200:
            raise BenchmarkError("%s%s answered %s: %s" % (self.url, path, status, error_text(parsed, text)))
        return parse_ollama(parsed) if self.api == "ollama" else parse_llama_cpp(parsed)
