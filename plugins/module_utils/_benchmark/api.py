# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Talk to a serving stack's generate endpoint and read its own timings.

Ollama (ollama/ollama api/types.go, ``GenerateRequest``/``GenerateResponse``/``Metrics``):
``POST /api/generate`` with ``"stream": false`` answers one JSON object whose ``eval_count`` /
``eval_duration`` (a Go ``time.Duration``: nanoseconds) give decode speed and
``prompt_eval_count`` / ``prompt_eval_duration`` prompt speed.  The fields are ``omitempty``:
a prompt served from Ollama's cache has no ``prompt_eval_*`` at all.  ``/api/tags`` lists the
models (``name``, ``size`` in bytes).  Every count and duration is a JSON integer: ``Metrics``
declares them ``int`` and ``time.Duration`` (an int64), ``ListModelResponse.Size`` is ``int64``,
and docs/api.md says "All durations are returned in nanoseconds" (ollama/ollama commit
fb30760996871fa9460115c753afd2c60d4ab0f7).  A reply is checked whole, field by field, before a
speed is computed from it, so a proxy's HTML page, a truncated body, a string or a negative
duration ends in a message naming the field and its value, never in a negative speed.

llama-server (ggml-org/llama.cpp tools/server, ``server_slot_stats::to_json`` in
server-common.cpp): ``POST /completion`` answers with a ``timings`` block: ``prompt_n``,
``prompt_ms``, ``prompt_per_second``, ``predicted_n``, ``predicted_ms``,
``predicted_per_second`` (token counts are integers, times are milliseconds as doubles).
``GET /v1/models`` lists the loaded model (``id`` is its alias, ``meta.size`` its size in bytes).

Only the standard library: urllib, json.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import socket

from ansible.module_utils.urls import open_url

try:  # Python 3
    from http.client import HTTPException, IncompleteRead
    from urllib.error import HTTPError, URLError
    from urllib.parse import unquote, urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    HTTPException = IncompleteRead = HTTPError = URLError = None
    unquote = urlsplit = None

APIS = ("ollama", "llama_cpp")
# A fixed prompt, so results of different runs and hosts compare.
DEFAULT_PROMPT = (
    "Explain in plain words how a Linux kernel schedules threads across CPU cores, "
    "what a run queue is, and why a thread may move from one core to another."
)


class BenchmarkError(Exception):
    """A server that cannot be benchmarked; the message says which and why."""


def split_credentials(url):
    """(url without its ``user:password@``, user or None, password or None).

    The URL is recorded in a world-readable facts file and shown in messages, so only the
    address is kept there; the credentials go with the requests alone.
    """
    scheme, sep, rest = url.partition("://")
    # The authority ends at the first / ? or # (RFC 3986 section 3.2). Split by hand, not with urlsplit:
    # an address it refuses (a broken IPv6 literal) must lose its credentials too before a message names it.
    end = min([index for index in (rest.find(c) for c in "/?#") if index >= 0] or [len(rest)])
    userinfo, at, hostport = rest[:end].rpartition("@")
    if not (sep and at):
        return url, None, None
    user, colon, password = userinfo.partition(":")
    return scheme + sep + hostport + rest[end:], unquote(user), unquote(password) if colon else ""


def url_problem(url):
    """None, or why ``url`` is no base URL of an HTTP server (credentials already removed)."""
    try:
        parts = urlsplit(url)
        parts.port  # raises ValueError for a port that is no number in 0-65535
    except ValueError as exc:
        return "url '%s' is not a valid URL: %s" % (url, exc)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "url must be http:// or https:// followed by a host, got '%s'" % url
    return None


def _read_reply(url, data, headers, timeout, auth):
    try:
        response = open_url(url, data=data, headers=headers, method="POST" if data is not None else "GET",
                            timeout=timeout, **auth)
        return response.getcode(), response.read()
    except HTTPError as exc:
        return exc.code, exc.read()


def http_json(url, body=None, timeout=300, url_username=None, url_password=None):
    """GET (no body) or POST JSON; return (status, parsed body or None, raw text).

    With ``url_username`` the credentials are sent with the first request (basic auth, as curl
    does for ``user:password@`` in a URL).
    """
    data = None
    headers = {"Accept": "application/json"}
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    auth = {}
    if url_username is not None:
        auth = dict(url_username=url_username, url_password=url_password, force_basic_auth=True)
    try:
        status, raw = _read_reply(url, data, headers, timeout, auth)
    except IncompleteRead as exc:
        came = len(exc.partial or b"")
        if exc.expected is None:
            raise BenchmarkError("the reply from %s was truncated: the connection closed after %d bytes of the body"
                                 % (url, came))
        raise BenchmarkError("the reply from %s was truncated: %d of %d bytes of the body came before the "
                             "connection closed" % (url, came, came + exc.expected))
    except HTTPException as exc:
        raise BenchmarkError("%s answered with something that is not a valid HTTP reply (%s: %s); is that the "
                             "server's address?" % (url, type(exc).__name__, str(exc).strip()[:200]))
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


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_amount(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _show(value, limit=100):
    return json.dumps(value)[:limit]


def checked_fields(where, doc, fields, prefix=""):
    """Raise BenchmarkError naming the first field of ``doc`` whose value is not what ``fields`` expects.

    ``fields`` maps a name to (test, expectation); absent fields are fine (Ollama's are omitempty).
    """
    for name, (test, expected) in fields.items():
        if name in doc and not test(doc[name]):
            raise BenchmarkError("%s has '%s%s': %s; expected %s" % (where, prefix, name, _show(doc[name]), expected))


# ollama/ollama api/types.go Metrics: int and time.Duration (int64 nanoseconds) fields.
_NANOSECONDS = (_is_count, "a non-negative integer (nanoseconds, ollama docs/api.md)")
_TOKENS = (_is_count, "a non-negative integer (tokens)")
OLLAMA_METRICS = {
    "total_duration": _NANOSECONDS, "load_duration": _NANOSECONDS,
    "prompt_eval_count": _TOKENS, "prompt_eval_duration": _NANOSECONDS,
    "eval_count": _TOKENS, "eval_duration": _NANOSECONDS,
}
# llama.cpp tools/server server_slot_stats::to_json: token counts are ints, times doubles in milliseconds.
_MILLISECONDS = (_is_amount, "a non-negative number (milliseconds)")
LLAMA_CPP_TIMINGS = {"prompt_n": _TOKENS, "prompt_ms": _MILLISECONDS,
                     "predicted_n": _TOKENS, "predicted_ms": _MILLISECONDS}


def parse_ollama(doc, where="Ollama's /api/generate answer"):
    """One run's figures from an Ollama /api/generate answer, every timing checked first."""
    if not isinstance(doc, dict):
        raise BenchmarkError("%s is %s; expected a JSON object with its timings" % (where, _show(doc)))
    checked_fields(where, doc, OLLAMA_METRICS)
    if not doc.get("eval_count") or not doc.get("eval_duration"):
        raise BenchmarkError("Ollama answered without timings (eval_count/eval_duration missing): %s"
                             % json.dumps(doc)[:300])
    run = {
        "decode_tokens": doc["eval_count"],
        "decode_seconds": doc["eval_duration"] / 1e9,
        "prompt_tokens": doc.get("prompt_eval_count") or 0,
        "prompt_seconds": (doc.get("prompt_eval_duration") or 0) / 1e9,
    }
    return with_rates(run)


def _listed(where, doc, key):
    """The list of objects under ``doc[key]``; BenchmarkError when the answer has another shape."""
    entries = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise BenchmarkError("%s answered %s; expected a JSON object whose '%s' is a list of objects"
                             % (where, _show(doc, 300), key))
    return entries


def _checked_size(where, name, size):
    if size is not None and not _is_count(size):
        raise BenchmarkError("%s gives model '%s' the size %s; expected a non-negative integer (bytes)"
                             % (where, name, _show(size)))
    return size


def ollama_model_size(tags, model, where="/api/tags"):
    """Size in bytes of a model in an /api/tags answer (an untagged name means :latest)."""
    wanted = model if ":" in model else model + ":latest"
    for entry in _listed(where, tags, "models"):
        if entry.get("name") in (model, wanted) or entry.get("model") in (model, wanted):
            return _checked_size(where, entry.get("name") or entry.get("model"), entry.get("size"))
    return None


# -- llama-server ---------------------------------------------------------------------------
def llama_cpp_request(prompt, max_tokens):
    # cache_prompt false: every run processes the whole prompt, so prompt speed is measured
    # each time; ignore_eos: a run generates exactly max_tokens, whatever the model.
    return "/completion", {
        "prompt": prompt, "n_predict": max_tokens, "stream": False, "cache_prompt": False,
        "ignore_eos": True, "temperature": 0, "seed": 42,
    }


def parse_llama_cpp(doc, where="llama-server's /completion answer"):
    """One run's figures from a llama-server /completion answer, every timing checked first."""
    timings = doc.get("timings") if isinstance(doc, dict) else None
    if isinstance(timings, dict):
        checked_fields(where, timings, LLAMA_CPP_TIMINGS, prefix="timings.")
    if not isinstance(timings, dict) or not timings.get("predicted_n") or not timings.get("predicted_ms"):
        raise BenchmarkError("llama-server answered without timings (timings.predicted_n/predicted_ms missing): %s"
                             % json.dumps(doc)[:300])
    run = {
        "decode_tokens": timings["predicted_n"],
        "decode_seconds": timings["predicted_ms"] / 1000.0,
        "prompt_tokens": timings.get("prompt_n") or 0,
        "prompt_seconds": (timings.get("prompt_ms") or 0) / 1000.0,
    }
    return with_rates(run)


def llama_cpp_models(doc, where="/v1/models"):
    """[(id, size in bytes)] of an OpenAI-style /v1/models answer."""
    found = []
    for entry in _listed(where, doc, "data"):
        meta = entry.get("meta")
        if meta is not None and not isinstance(meta, dict):
            raise BenchmarkError("%s gives model '%s' the meta %s; expected a JSON object"
                                 % (where, entry.get("id"), _show(meta)))
        found.append((entry.get("id"), _checked_size(where, entry.get("id"), (meta or {}).get("size"))))
    return found


def with_rates(run):
    run["decode_tokens_per_second"] = round(run["decode_tokens"] / run["decode_seconds"], 3)
    run["prompt_tokens_per_second"] = (round(run["prompt_tokens"] / run["prompt_seconds"], 3)
                                       if run["prompt_tokens"] and run["prompt_seconds"] > 0 else None)
    return run


# -- one benchmark --------------------------------------------------------------------------
class Server:
    """A serving stack at a base URL: which model it has, and one timed generation.

    ``url`` may carry ``user:password@``: the credentials go with each request, and
    :attr:`url` (used in every message) is the address without them.
    """

    def __init__(self, api, url, timeout=300, fetch=http_json):
        if api not in APIS:
            raise BenchmarkError("api must be one of %s, got '%s'" % (", ".join(APIS), api))
        if timeout is None or math.isnan(timeout) or timeout <= 0:
            raise BenchmarkError("timeout must be 1 or more seconds, got %s" % timeout)
        self.api = api
        address, user, password = split_credentials(url)
        self.url = address.rstrip("/")
        self.auth = {} if user is None else {"url_username": user, "url_password": password}
        self.timeout = timeout
        self.fetch = fetch

    def _get(self, path, body=None):
        """(status, parsed JSON or None, text) of one request; a 200 answer must be JSON."""
        if body is None:
            status, parsed, text = self.fetch(self.url + path, timeout=self.timeout, **self.auth)
        else:
            status, parsed, text = self.fetch(self.url + path, body=body, timeout=self.timeout, **self.auth)
        if status == 200 and parsed is None and text.strip() != "null":
            raise BenchmarkError("%s%s answered a body that is not JSON: %s"
                                 % (self.url, path, text.strip()[:300] or "(empty)"))
        return status, parsed, text

    def model_size(self, model):
        """Size of the model in bytes; BenchmarkError when the server does not have it."""
        if self.api == "ollama":
            where = self.url + "/api/tags"
            status, parsed, text = self._get("/api/tags")
            if status != 200:
                raise BenchmarkError("%s answered %s: %s" % (where, status, error_text(parsed, text)))
            size = ollama_model_size(parsed, model, where)
            if size is None:
                names = [str(m.get("name")) for m in parsed["models"]]
                raise BenchmarkError("unknown model '%s': Ollama at %s has %s"
                                     % (model, self.url, ", ".join(names) or "no models"))
            return size
        where = self.url + "/v1/models"
        status, parsed, text = self._get("/v1/models")
        if status != 200:
            raise BenchmarkError("%s answered %s: %s" % (where, status, error_text(parsed, text)))
        models = llama_cpp_models(parsed, where)
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
        status, parsed, text = self._get(path, body)
        if status == 404 and self.api == "ollama":
            raise BenchmarkError("unknown model '%s': %s" % (model, error_text(parsed, text)))
        if status != 200:
            raise BenchmarkError("%s%s answered %s: %s" % (self.url, path, status, error_text(parsed, text)))
        where = "the answer of %s%s" % (self.url, path)
        return parse_ollama(parsed, where) if self.api == "ollama" else parse_llama_cpp(parsed, where)
