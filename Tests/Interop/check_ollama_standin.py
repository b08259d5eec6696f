#!/usr/bin/env python3
"""Proves the stand-in model server (ollama_standin.py) speaks Ollama's API: the OFFICIAL `ollama`
Python client (PyPI, pinned in requirements.txt) drives it through every call the assistant uses.

If the official client accepts the stand-in's answers (shapes, status codes, NDJSON in chunked
encoding, error lines in a stream), then the Swift client tested against the stand-in is tested
against what Ollama sends. Starts the stand-in on a free port, runs the checks, stops it.
Exits 1 with the failed check's message; prints a short summary otherwise.
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
checks = []


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def step(name):
    def wrap(fn):
        checks.append((name, fn))
        return fn
    return wrap


try:
    import ollama
except ImportError:
    sys.exit("check_ollama_standin: the `ollama` package is missing; run `make venv` "
             "(Tests/Interop/requirements.txt pins ollama==0.6.3)")


QUESTION = "Where is the spare impeller for the diesel pump kept?"
SYSTEM = ("Answer from the sources below and cite them by number.\n"
          "[1] pump-manual.md: The spare impeller is kept in bin C-14.\n"
          "[2] stores.txt: Bins C-10 to C-20 are in the blue container.\n"
          "[7] unrelated.md: Radio checks happen at 08:00.")
MESSAGES = [
    {"role": "system", "content": SYSTEM},
    {"role": "user", "content": "Hello"},
    {"role": "assistant", "content": "Hello. Ask me about the manuals."},
    {"role": "user", "content": QUESTION},
]


def names(client):
    return {m.model for m in client.list().models}


@step("list")
def _(client, log):
    found = names(client)
    check({"standin-chat:latest", "standin-embed:latest"} <= found, f"tags lists {sorted(found)}")
    for m in client.list().models:
        check(m.digest and m.size and m.details and m.details.family and m.modified_at,
              f"tags entry incomplete: {m}")


@step("show")
def _(client, log):
    shown = client.show("standin-chat")
    check(shown.modelinfo.get("standin.context_length") == 3000,
          f"show model_info: {shown.modelinfo}")
    check(shown.modelinfo.get("general.architecture") == "standin", "general.architecture")
    check(shown.details.family == "standin", f"show details: {shown.details}")
    try:
        client.show("no-such-model")
        check(False, "show of an unknown model did not raise")
    except ollama.ResponseError as e:
        check(e.status_code == 404 and "not found" in e.error, f"show unknown: {e}")


@step("chat, streamed")
def _(client, log):
    pieces, last = [], None
    for part in client.chat(model="standin-chat", messages=MESSAGES, stream=True):
        if not part.done:
            pieces.append(part.message.content)
        last = part
    text = "".join(pieces)
    check(5 <= len(pieces) <= 10, f"{len(pieces)} pieces streamed, expected 5-10")
    check(last is not None and last.done and last.done_reason == "stop", f"final line: {last}")
    check(last.prompt_eval_count == (sum(len(m["content"]) for m in MESSAGES) + 3) // 4,
          f"prompt_eval_count {last.prompt_eval_count}")
    check(last.eval_count and last.total_duration and last.eval_duration, "final line timings")
    expected = ('Stand-in answer (not a language model). Messages: 4 (system 1, user 2, '
                f'assistant 1). Last question: "{QUESTION}". Sources seen: [1], [2], [7].')
    check(text == expected, f"streamed answer:\n  {text!r}\nexpected\n  {expected!r}")
    sent = [e for e in log() if e["path"] == "/api/chat"][-1]["body"]
    check(sent["messages"] == MESSAGES and sent["stream"] is True, f"logged request: {sent}")


@step("chat, not streamed")
def _(client, log):
    reply = client.chat(model="standin-chat", messages=MESSAGES[-1:], stream=False,
                        options={"temperature": 0, "num_ctx": 2048})
    check(reply.done and reply.message.role == "assistant", f"reply: {reply}")
    check(f'Last question: "{QUESTION}"' in reply.message.content and
          "Sources seen: none." in reply.message.content, f"reply text: {reply.message.content!r}")
    sent = [e for e in log() if e["path"] == "/api/chat"][-1]["body"]
    check(sent["options"] == {"temperature": 0, "num_ctx": 2048}, f"options sent: {sent}")


@step("pull")
def _(client, log):
    statuses, completed = [], []
    for p in client.pull("tinymodel:1b", stream=True):
        statuses.append(p.status)
        if p.completed is not None:
            check(p.total and p.completed <= p.total and p.digest.startswith("sha256:"),
                  f"progress line: {p}")
            completed.append((p.digest, p.completed))
    check(statuses[0] == "pulling manifest" and statuses[-1] == "success", f"statuses: {statuses}")
    first_layer = [c for d, c in completed if d == completed[0][0]]
    check(len(first_layer) > 1 and first_layer == sorted(first_layer) and
          first_layer[0] < first_layer[-1], f"completed did not rise: {completed}")
    check("tinymodel:1b" in names(client), "pulled model is not listed")
    check(client.pull("other", stream=False).status == "success", "unstreamed pull")
    check("other:latest" in names(client), "a name without a tag gets :latest")
    try:
        client.pull("bad name")
        check(False, "pull of an invalid name did not raise")
    except ollama.ResponseError as e:
        check(e.status_code == 400 and e.error == "invalid model name", f"invalid pull: {e}")
    try:
        list(client.pull("standin-missing", stream=True))
        check(False, "pull of a missing model did not raise")
    except ollama.ResponseError as e:
        check("file does not exist" in e.error, f"missing pull: {e}")


@step("delete")
def _(client, log):
    check(client.delete("tinymodel:1b").status == "success", "delete")
    check("tinymodel:1b" not in names(client), "deleted model still listed")
    try:
        client.delete("tinymodel:1b")
        check(False, "second delete did not raise")
    except ollama.ResponseError as e:
        check(e.status_code == 404, f"second delete: {e}")


@step("embed")
def _(client, log):
    one = client.embed(model="standin-embed", input="The spare impeller is in bin C-14.")
    check(len(one.embeddings) == 1 and len(one.embeddings[0]) == 384, "one input, 384 numbers")
    check(abs(math.sqrt(sum(v * v for v in one.embeddings[0])) - 1) < 1e-9, "unit length")
    two = client.embed(model="standin-embed",
                       input=["The spare impeller is in bin C-14.", "Radio checks at 08:00."])
    check(len(two.embeddings) == 2, "two inputs, two vectors")
    check(list(two.embeddings[0]) == list(one.embeddings[0]), "same text, same vector")
    cosine = sum(a * b for a, b in zip(*two.embeddings))
    check(abs(cosine) < 0.5, f"different texts, cosine {cosine}")


@step("errors")
def _(client, log):
    try:
        client.chat(model="no-such-model", messages=MESSAGES, stream=True).__next__()
        check(False, "chat with an unknown model did not raise")
    except ollama.ResponseError as e:
        check(e.status_code == 404 and
              e.error == 'model "no-such-model" not found, try pulling it first', f"unknown: {e}")
    pieces = []
    try:
        for part in client.chat(model="standin-fail", messages=MESSAGES, stream=True):
            pieces.append(part.message.content)
        check(False, "the broken stream did not raise")
    except ollama.ResponseError as e:
        # The error arrives as a line after HTTP 200: the client raises with no status code.
        check(len(pieces) == 2 and "simulated failure" in e.error, f"broken stream: {e} {pieces}")
    try:
        client.chat(model="standin-fail", messages=MESSAGES, stream=False)
        check(False, "the failing model did not raise unstreamed")
    except ollama.ResponseError as e:
        check(e.status_code == 500, f"unstreamed failure: {e}")
    try:
        client.chat(model="standin-embed", messages=MESSAGES)
        check(False, "chat with an embedding model did not raise")
    except ollama.ResponseError as e:
        check(e.status_code == 400 and "does not support chat" in e.error, f"embed chat: {e}")


def main():
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "requests.jsonl")
        server = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "ollama_standin.py"), "--port", "0",
             "--log", log_path, "--chunk-delay-ms", "5", "--context-length", "3000",
             "--exit-with-stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            line = server.stdout.readline()
            try:
                port = json.loads(line)["port"]
            except (ValueError, KeyError, TypeError):
                sys.exit(f"check_ollama_standin: FAILED: the stand-in printed {line!r}, not its port")
            client = ollama.Client(host=f"http://127.0.0.1:{port}", timeout=10)

            def log():
                with open(log_path, encoding="utf-8") as f:
                    return [json.loads(x) for x in f]

            for name, fn in checks:
                try:
                    fn(client, log)
                except AssertionError as e:
                    sys.exit(f"check_ollama_standin: FAILED at {name}: {e}")
                except Exception as e:  # an unexpected exception is a failure too, with its type
                    sys.exit(f"check_ollama_standin: FAILED at {name}: {type(e).__name__}: {e}")
            requests = len(log())
        finally:
            server.stdin.close()
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print(f"check_ollama_standin: the official ollama client {ollama_version()} accepts the "
          f"stand-in: {len(checks)} groups passed ({'; '.join(n for n, _ in checks)}), "
          f"{requests} requests, {time.monotonic() - started:.1f} s")


def ollama_version():
    try:
        from importlib.metadata import version
        return version("ollama")
    except Exception:
        return "?"


if __name__ == "__main__":
    main()
