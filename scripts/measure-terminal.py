#!/usr/bin/env python3
"""Terminal figures (issue 22) against a real node on loopback, with a baseline in the same run.

  .venv/bin/python scripts/measure-terminal.py [--mb 100] [--keys 1000]

- Keystroke echo: a session running `stty raw; cat`; one key at a time over the WebSocket, the
  time until the key comes back (p50/p99).
- Bulk output: a session printing MB megabytes (`head -c | tr`) then END; every byte counted
  through the WebSocket, the node's resident memory sampled while it flows (backpressure keeps
  it bounded), and the same command read straight from a pseudo-terminal by this script (no
  node, no WebSocket) as the baseline.
- A slow client: attached to a session printing without end, it reads nothing for 5 s; the
  node's resident memory before and after says whether output piles up (backpressure: it must
  not), then the client reads again.
ELOHIM names the binary (default .build/release/elohim when present, else the debug one); the
client is websocket-client from the virtualenv (selenium's dependency)."""
import argparse
import json
import os
import pty
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def bulk_command(mb):
    return f"stty raw -echo; sleep 1; head -c {mb * 1_000_000} /dev/zero | tr '\\0' x; printf END"


def baseline(mb):
    """The same output read straight from a pseudo-terminal: what the terminal alone gives."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv("/bin/sh", ["/bin/sh", "-c", bulk_command(mb)])
    count, tail, started = 0, b"", None
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            break
        if not chunk:
            break
        if started is None:
            started = time.perf_counter()
        count += len(chunk)
        tail = (tail + chunk)[-3:]
    seconds = time.perf_counter() - started
    os.waitpid(pid, 0)
    return count, tail, seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--keys", type=int, default=1000)
    args = ap.parse_args()
    release = os.path.join(ROOT, ".build", "release", "elohim")
    elohim = os.environ.get("ELOHIM") or (release if os.path.exists(release) else os.path.join(ROOT, ".build", "debug", "elohim"))
    work = tempfile.mkdtemp(prefix="elohim-terminal-")
    http = free_port()
    node = subprocess.Popen([elohim, "node", "run", "--data-dir", work, "--listen", f"127.0.0.1:{free_port()}",
                             "--http", f"127.0.0.1:{http}", "--no-discovery"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        origin = f"http://127.0.0.1:{http}"
        token_file = os.path.join(work, "api-token")
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(origin + "/health", timeout=1)
                if os.path.exists(token_file):
                    break
            except Exception:
                pass
            time.sleep(0.1)
        token = open(token_file).read().strip()
        headers = {"Authorization": f"Bearer {token}", "Origin": origin, "Content-Type": "application/json"}

        def open_session(command):
            body = json.dumps({"command": command, "cols": 80, "rows": 24}).encode()
            r = urllib.request.urlopen(urllib.request.Request(origin + "/api/v1/terminal/sessions", data=body, headers=headers), timeout=10)
            return json.load(r)["id"]

        def attach(sid):
            return websocket.create_connection(f"ws://127.0.0.1:{http}/api/v1/terminal/sessions/{sid}/attach",
                                               header=[f"Authorization: Bearer {token}"], origin=origin)

        ws = attach(open_session("stty raw; cat"))
        time.sleep(0.3)
        latencies = []
        for i in range(args.keys):
            key = bytes([ord("a") + i % 26])
            started = time.perf_counter()
            ws.send_binary(key)
            while True:
                op, data = ws.recv_data()
                if op == websocket.ABNF.OPCODE_BINARY and key in data:
                    break
            latencies.append(time.perf_counter() - started)
        ws.close()
        latencies.sort()
        p50, p99 = latencies[len(latencies) // 2], latencies[len(latencies) * 99 // 100]

        ws = attach(open_session(bulk_command(args.mb)))
        before = peak = rss_kib(node.pid)
        count, tail, started, sampled = 0, b"", None, 0
        while True:
            op, data = ws.recv_data()
            if op != websocket.ABNF.OPCODE_BINARY:
                break
            if started is None:
                started = time.perf_counter()
            count += len(data)
            tail = (tail + data)[-3:]
            if count - sampled >= 4 << 20:
                sampled = count
                peak = max(peak, rss_kib(node.pid))
        seconds = time.perf_counter() - started
        ws.close()
        expected = args.mb * 1_000_000 + 3

        # The slow client: nothing read for 5 s while the program could print gigabytes.
        ws = attach(open_session("stty raw -echo; sleep 1; cat /dev/zero | tr '\\0' y"))
        ws.recv_data()
        idle_before = rss_kib(node.pid)
        time.sleep(5)
        idle_after = rss_kib(node.pid)
        drained = 0
        while drained < 50 << 20:
            drained += len(ws.recv_data()[1])
        ws.close()

        base_count, base_tail, base_seconds = baseline(args.mb)

        print(f"node: {elohim}")
        print(f"keystroke echo over the WebSocket ({args.keys} keys, loopback): p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms")
        print(f"{args.mb} MB of output through the WebSocket: {seconds:.2f} s, {args.mb / seconds:.1f} MB/s, {count} bytes "
              f"({'every byte' if count == expected and tail == b'END' else 'BYTES LOST'}), node resident memory "
              f"{before // 1024} MiB before, +{(peak - before) / 1024:.1f} MiB at peak")
        print(f"a client that reads nothing for 5 s: node resident memory {idle_before // 1024} MiB before, "
              f"{idle_after // 1024} MiB after (+{(idle_after - idle_before) / 1024:.1f} MiB), then 50 MiB read on")
        print(f"baseline, the same output read straight from a pseudo-terminal: {base_seconds:.2f} s, {args.mb / base_seconds:.1f} MB/s "
              f"({base_count} bytes); the node gives {100 * base_seconds / seconds:.0f}% of it")
        if count != expected or tail != b"END":
            sys.exit(1)
    finally:
        node.terminate()
        node.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
