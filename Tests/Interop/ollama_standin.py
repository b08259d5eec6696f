#!/usr/bin/env python3
"""A STAND-IN for an Ollama server, for tests. It is not a language model.

No chat model weights exist on the machines the tests run on, so the assistant's Ollama client
(issue 20) is tested against this server instead. It speaks Ollama's HTTP API (docs/api.md in
ollama/ollama: /api/version, /api/tags, /api/show, /api/chat, /api/pull, /api/delete, /api/embed)
with the same shapes, status codes, error wording and streaming (NDJSON in chunked transfer
encoding), and `check_ollama_standin.py` proves that with the official `ollama` Python client.

What it checks: clients (requests, error handling, models listed, pulled, deleted), streaming
(pieces arrive one by one, `--chunk-delay-ms` apart, and a stream can break mid-way) and prompt
assembly (the answer reports what the model was sent). What it does NOT check: answer quality.
Its answers and embeddings are deterministic functions of the input, nothing more.

    ollama_standin.py [--port N] [--log PATH] [--chunk-delay-ms N] [--context-length N]
                      [--exit-with-stdin] [--exit-with-parent]

On start it prints exactly one line, {"port": N}, to stdout (flushed), so a harness started with
--port 0 learns the port. It listens on 127.0.0.1 only. --log appends one JSON line per request
({"method", "path", "body"}; body is the parsed JSON, null when empty, the raw text when it is not
JSON). --exit-with-stdin makes it exit when its stdin closes, so a test process that dies takes
the server with it; --exit-with-parent does the same by watching its parent's pid (checked every
0.5 s), in a session of its own, so nothing else the test process does can stop it mid-test.

The chat answer, one line, split into 5 to 10 streamed pieces:

    Stand-in answer (not a language model). Messages: 3 (system 1, user 2, assistant 0).
    Last question: "<last user message, first 200 characters>". Sources seen: [1], [2].

"Messages" counts every message sent, then by role (system, user, assistant; "tool" messages
only in the total). "Sources seen" lists every distinct [n] marker in the system and user
messages, in numeric order, or "none." when there is none. prompt_eval_count is the characters of
all messages / 4 (rounded up), a token estimate; eval_count is the same for the answer.

Models installed at start: standin-chat:latest (chat), standin-embed:latest (embeddings only;
chat with it is a 400 "does not support chat", as Ollama says for embedding models) and
standin-fail:latest (installed without a pull; its streamed chat sends two pieces and then an
{"error": ...} line; the HTTP status is already 200 by then, as with Ollama, so the
error is a line in the stream; unstreamed, it is a 500). Any valid name can be pulled (the pull
makes it up); a name whose model part starts with "standin-missing" fails the pull the way Ollama
does for a name the registry lacks (an error line after "pulling manifest"). Names without a tag
get ":latest", as in Ollama.

Embeddings (/api/embed) are 384 floats of unit length, seeded by SHA-256 of the text: the same
text always gives the same vector, different texts almost orthogonal ones. They carry no meaning.
"""
import argparse
import hashlib
import json
import math
import os
import random
import re
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EMBEDDING_DIMENSIONS = 384
ANSWER_QUESTION_CHARS = 200
SOURCE_MARKER = re.compile(r"\[(\d+)\]")
# Ollama's model-name rule, simplified: [namespace/]name[:tag], no spaces or odd characters.
VALID_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*(:[A-Za-z0-9][A-Za-z0-9._-]{0,127})?$")
FAIL_MODEL = "standin-fail:latest"


def now_rfc3339():
    """Ollama's timestamps: RFC 3339 with fractional seconds (Go's time.Time in JSON)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def normalise(name):
    """"x" and "x:latest" are one model in Ollama."""
    if not isinstance(name, str):
        return ""
    name = name.strip()
    if name and ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    return name


def model_entry(name, kind):
    digest = hashlib.sha256(name.encode()).hexdigest()
    family = {"embed": "bert"}.get(kind, "standin")
    return {
        "name": name,
        "model": name,
        "modified_at": now_rfc3339(),
        "size": 1_000_000 + int(digest[:6], 16),
        "digest": digest,
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family],
            "parameter_size": "22.7M" if kind == "embed" else "1.0B",
            "quantization_level": "F16" if kind == "embed" else "Q4_0",
        },
        "kind": kind,  # stripped before it is sent
    }


def estimate_tokens(text):
    return (len(text) + 3) // 4


def embedding(text):
    """A deterministic unit vector: Gaussian numbers seeded by SHA-256 of the text, normalised."""
    rng = random.Random(hashlib.sha256(text.encode("utf-8")).digest())
    values = [rng.gauss(0.0, 1.0) for _ in range(EMBEDDING_DIMENSIONS)]
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values]


def answer_for(messages):
    counts = {"system": 0, "user": 0, "assistant": 0}
    last_question = ""
    sources = set()
    for message in messages:
        role = message.get("role") if isinstance(message, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        content = content if isinstance(content, str) else ""
        if role in counts:
            counts[role] += 1
        if role == "user":
            last_question = content
        if role in ("system", "user"):
            sources.update(int(n) for n in SOURCE_MARKER.findall(content))
    seen = ", ".join(f"[{n}]" for n in sorted(sources)) + "." if sources else "none."
    return (
        f"Stand-in answer (not a language model). Messages: {len(messages)} "
        f"(system {counts['system']}, user {counts['user']}, assistant {counts['assistant']}). "
        f"Last question: \"{last_question[:ANSWER_QUESTION_CHARS]}\". Sources seen: {seen}"
    )


def split_pieces(text, low=5, high=10):
    """Splits at word boundaries into 5 to 10 pieces that join back to exactly the text."""
    words = re.findall(r"\S+\s*", text)
    count = max(low, min(high, len(words) // 4))
    count = min(count, len(words)) or 1
    pieces = []
    for i in range(count):
        start, end = len(words) * i // count, len(words) * (i + 1) // count
        pieces.append("".join(words[start:end]))
    return pieces


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.log_lock = threading.Lock()
        self.models = {}
        for name, kind in (("standin-chat:latest", "chat"), ("standin-embed:latest", "embed"),
                           (FAIL_MODEL, "fail")):
            self.models[name] = model_entry(name, kind)

    def find(self, name):
        with self.lock:
            return self.models.get(normalise(name))

    def listing(self):
        with self.lock:
            return [{k: v for k, v in m.items() if k != "kind"} for m in self.models.values()]

    def log(self, method, path, body):
        if not self.args.log:
            return
        line = json.dumps({"method": method, "path": path, "body": body}, ensure_ascii=False)
        with self.log_lock, open(self.args.log, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked encoding, as Go's net/http serves
    server_version = "ollama-standin"

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):  # quiet: the --log file is the record
        pass

    @property
    def state(self):
        return self.server.state

    # ----- plumbing

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_bytes(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, obj):
        self.send_bytes(status, json.dumps(obj).encode(), "application/json; charset=utf-8")

    def send_error_json(self, status, message):
        self.send_json(status, {"error": message})

    def not_found(self):
        # Ollama's router (gin) answers unknown paths and methods with this plain text.
        self.send_bytes(404, b"404 page not found", "text/plain")

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def stream_line(self, obj):
        data = (json.dumps(obj) + "\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_stream(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def pause(self):
        if self.state.args.chunk_delay_ms > 0:
            time.sleep(self.state.args.chunk_delay_ms / 1000)

    def handle_one(self, method):
        raw = self.read_body() if method in ("POST", "DELETE", "PUT") else b""
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                body = raw.decode("utf-8", "replace")
        self.state.log(method, self.path, body)
        route = {
            ("GET", "/"): self.root, ("HEAD", "/"): self.root,
            ("GET", "/api/version"): self.version,
            ("GET", "/api/tags"): self.tags,
            ("POST", "/api/show"): self.show,
            ("POST", "/api/chat"): self.chat,
            ("POST", "/api/pull"): self.pull,
            ("DELETE", "/api/delete"): self.delete,
            ("POST", "/api/embed"): self.embed,
        }.get((method, self.path.split("?", 1)[0]))
        if route is None:
            return self.not_found()
        if route in (self.show, self.chat, self.pull, self.delete, self.embed):
            if not raw:
                return self.send_error_json(400, "missing request body")
            if not isinstance(body, dict):
                return self.send_error_json(400, "invalid request body: not a JSON object")
            try:
                return route(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
                return
        return route()

    def do_GET(self):
        self.handle_one("GET")

    def do_HEAD(self):
        self.handle_one("HEAD")

    def do_POST(self):
        self.handle_one("POST")

    def do_DELETE(self):
        self.handle_one("DELETE")

    def do_PUT(self):
        self.handle_one("PUT")

    # ----- endpoints

    def root(self):
        self.send_bytes(200, b"Ollama is running", "text/plain; charset=utf-8")

    def version(self):
        self.send_json(200, {"version": "0.0.0-standin"})

    def tags(self):
        self.send_json(200, {"models": self.state.listing()})

    def show(self, body):
        name = body.get("model") or body.get("name")
        model = self.state.find(name)
        if model is None:
            return self.send_error_json(404, f"model '{name}' not found")
        context = self.state.args.context_length
        caps = ["embedding"] if model["kind"] == "embed" else ["completion"]
        self.send_json(200, {
            "license": "Stand-in for tests; no weights.",
            "modelfile": f"# Stand-in model, no weights\nFROM {model['name']}\n",
            "parameters": f"num_ctx                        {context}",
            "template": "{{ .Prompt }}",
            "details": model["details"],
            "model_info": {
                "general.architecture": "standin",
                "general.parameter_count": 0,
                "standin.context_length": context,
                "standin.embedding_length": EMBEDDING_DIMENSIONS,
            },
            "capabilities": caps,
            "modified_at": model["modified_at"],
        })

    def chat(self, body):
        started = time.monotonic_ns()
        name = body.get("model")
        if not name:
            return self.send_error_json(400, "model is required")
        model = self.state.find(name)
        if model is None:
            return self.send_error_json(404, f"model \"{name}\" not found, try pulling it first")
        if model["kind"] == "embed":
            return self.send_error_json(400, f"\"{model['name']}\" does not support chat")
        messages = body.get("messages") or []
        if not isinstance(messages, list):
            return self.send_error_json(400, "invalid request body: messages is not a list")
        stream = body.get("stream", True) is not False
        base = {"model": body.get("model")}
        if not messages:
            # Ollama loads the model and answers at once with done_reason "load".
            final = dict(base, created_at=now_rfc3339(),
                         message={"role": "assistant", "content": ""}, done=True, done_reason="load")
            if stream:
                self.start_stream()
                self.stream_line(final)
                return self.end_stream()
            return self.send_json(200, final)

        text = answer_for(messages)
        pieces = split_pieces(text)
        prompt_chars = sum(len(m.get("content") or "") for m in messages if isinstance(m, dict))

        def final_line():
            total = time.monotonic_ns() - started
            return dict(base, created_at=now_rfc3339(),
                        message={"role": "assistant", "content": ""}, done=True, done_reason="stop",
                        total_duration=total, load_duration=total // 10,
                        prompt_eval_count=(prompt_chars + 3) // 4, prompt_eval_duration=total // 5,
                        eval_count=estimate_tokens(text), eval_duration=total // 2)

        if model["kind"] == "fail":
            error = "standin-fail: the model stopped mid-answer (simulated failure)"
            if not stream:
                return self.send_error_json(500, error)
            self.start_stream()
            for piece in pieces[:2]:
                self.stream_line(dict(base, created_at=now_rfc3339(),
                                      message={"role": "assistant", "content": piece}, done=False))
                self.pause()
            self.stream_line({"error": error})
            return self.end_stream()

        if not stream:
            for _ in pieces:  # as long as the streamed answer takes
                self.pause()
            final = final_line()
            final["message"]["content"] = text
            return self.send_json(200, final)
        self.start_stream()
        for piece in pieces:
            self.stream_line(dict(base, created_at=now_rfc3339(),
                                  message={"role": "assistant", "content": piece}, done=False))
            self.pause()
        self.stream_line(final_line())
        self.end_stream()

    def pull(self, body):
        raw_name = body.get("model") or body.get("name") or ""
        if not isinstance(raw_name, str) or not VALID_NAME.match(raw_name.strip() or " "):
            return self.send_error_json(400, "invalid model name")
        name = normalise(raw_name)
        stream = body.get("stream", True) is not False
        missing = name.rsplit("/", 1)[-1].startswith("standin-missing")
        error = "pull model manifest: file does not exist"
        if not stream:
            for _ in range(3):
                self.pause()
            if missing:
                return self.send_error_json(500, error)
            self.install(name)
            return self.send_json(200, {"status": "success"})
        self.start_stream()
        self.stream_line({"status": "pulling manifest"})
        self.pause()
        if missing:
            self.stream_line({"error": error})
            return self.end_stream()
        for layer, total in ((f"{name}/weights", 4_000_000), (f"{name}/params", 2_000)):
            digest = hashlib.sha256(layer.encode()).hexdigest()
            status = f"pulling {digest[:12]}"
            steps = 4 if total > 10_000 else 1
            for step in range(0, steps + 1):
                line = {"status": status, "digest": f"sha256:{digest}", "total": total}
                if step:  # Ollama leaves "completed" out until some bytes arrived
                    line["completed"] = total * step // steps
                self.stream_line(line)
                self.pause()
        for status in ("verifying sha256 digest", "writing manifest"):
            self.stream_line({"status": status})
            self.pause()
        self.install(name)
        self.stream_line({"status": "success"})
        self.end_stream()

    def install(self, name):
        with self.state.lock:
            if name not in self.state.models:
                kind = "embed" if "embed" in name.rsplit("/", 1)[-1] else "chat"
                self.state.models[name] = model_entry(name, kind)

    def delete(self, body):
        raw_name = body.get("model") or body.get("name")
        name = normalise(raw_name)
        with self.state.lock:
            found = name in self.state.models
            if found:
                del self.state.models[name]
        if not found:
            return self.send_error_json(404, f"model '{raw_name}' not found")
        self.send_bytes(200, b"", "text/plain")

    def embed(self, body):
        started = time.monotonic_ns()
        name = body.get("model")
        if not name:
            return self.send_error_json(400, "model is required")
        model = self.state.find(name)
        if model is None:
            return self.send_error_json(404, f"model \"{name}\" not found, try pulling it first")
        inputs = body.get("input", [])
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not all(isinstance(t, str) for t in inputs):
            return self.send_error_json(400, "invalid input type")
        vectors = [embedding(t) for t in inputs]
        total = time.monotonic_ns() - started
        self.send_json(200, {
            "model": name,
            "embeddings": vectors,
            "total_duration": total,
            "load_duration": total // 10,
            "prompt_eval_count": sum(estimate_tokens(t) for t in inputs),
        })


def main():
    parser = argparse.ArgumentParser(description="A stand-in Ollama server for tests (not a model).")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--log", help="append one JSON line per request here")
    parser.add_argument("--chunk-delay-ms", type=int, default=20,
                        help="pause between streamed lines (default 20)")
    parser.add_argument("--context-length", type=int, default=2048,
                        help="what /api/show reports as the context length (default 2048)")
    parser.add_argument("--exit-with-stdin", action="store_true",
                        help="exit when stdin closes (the parent test process died)")
    parser.add_argument("--exit-with-parent", action="store_true",
                        help="exit when the parent process dies, in a session of its own (for test "
                             "processes that run many children: a stray close or a signal to their "
                             "group must not stop the server mid-test)")
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    if args.exit_with_parent:
        try:
            os.setsid()
        except OSError:
            pass  # already leads its own process group (Foundation's Process puts children in one)
        parent = os.getppid()

        def watch_parent():
            while os.getppid() == parent:
                time.sleep(0.5)
            server.shutdown()
        threading.Thread(target=watch_parent, daemon=True).start()
    if args.exit_with_stdin:
        def watch():
            while sys.stdin.buffer.read(4096):
                pass
            server.shutdown()
        threading.Thread(target=watch, daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
