#!/usr/bin/env python3
"""Message figures (issue 18): two real nodes on loopback, B a member of A's team by code.

- latency: a message posted through A's API until B's event stream (/api/v1/events) shows the
  op applied; one message at a time, COUNT of them; p50, p99, max.
- throughput: BURST messages posted to A as fast as one client can, until B's event stream has
  shown them all; messages per second end to end (and A's acceptance rate alone).

Usage: scripts/measure-messages.py [COUNT] [BURST]   (ELOHIM=path to the binary; release by default)
"""
import json, os, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.request

import websocket  # websocket-client, installed with selenium in .venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ELOHIM = os.environ.get("ELOHIM", os.path.join(ROOT, ".build/release/elohim"))
COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 200
BURST = int(sys.argv[2]) if len(sys.argv) > 2 else 1000


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Node:
    def __init__(self, work, name):
        self.data = os.path.join(work, name)
        self.mesh, self.http = free_port(), free_port()
        self.log = open(os.path.join(work, name + ".log"), "w")
        self.proc = subprocess.Popen([ELOHIM, "node", "run", "--data-dir", self.data, "--listen", f"127.0.0.1:{self.mesh}",
                                      "--http", f"127.0.0.1:{self.http}", "--no-discovery", "--rate-limit", "0",
                                      "--log-level", "warning"], stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.http}/health", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        self.token = open(os.path.join(self.data, "api-token")).read().strip()

    def call(self, method, path, body=None):
        request = urllib.request.Request(f"http://127.0.0.1:{self.http}{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def cli(self, *words):
        return subprocess.run([ELOHIM, *words, "--api", f"http://127.0.0.1:{self.http}", "--data-dir", self.data],
                              capture_output=True, text=True, check=True).stdout


class Arrivals:
    """B's event stream: the moment each post-message op was applied there."""
    def __init__(self, node, team):
        self.seen, self.lock, self.cond = {}, threading.Lock(), threading.Condition(threading.Lock())
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{node.http}/api/v1/events",
                                              header=[f"Authorization: Bearer {node.token}"])
        self.team = team
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        while True:
            try:
                event = json.loads(self.ws.recv())
            except Exception:
                return
            now = time.perf_counter()
            if event.get("type") != "replica" or event.get("team") != self.team:
                continue
            with self.cond:
                for op in event.get("ops", []):
                    if op["action"] == "post-message" and op["outcome"] == "applied":
                        self.seen.setdefault(op["id"], now)
                self.cond.notify_all()

    def wait(self, ids, seconds=60):
        deadline = time.perf_counter() + seconds
        with self.cond:
            while not all(i in self.seen for i in ids):
                left = deadline - time.perf_counter()
                if left <= 0:
                    missing = sum(i not in self.seen for i in ids)
                    raise SystemExit(f"{missing} of {len(ids)} messages never reached B within {seconds} s")
                self.cond.wait(left)
            return [self.seen[i] for i in ids]


def main():
    if not os.access(ELOHIM, os.X_OK):
        raise SystemExit(f"{ELOHIM} is missing: swift build -c release --product elohim (or ELOHIM=.build/debug/elohim)")
    work = tempfile.mkdtemp(prefix="elohim-msgs-")
    nodes = []
    try:
        a = Node(work, "a"); nodes.append(a)
        b = Node(work, "b"); nodes.append(b)
        team = a.call("POST", "/api/v1/teams", {"name": "crew"})["id"]
        code = a.cli("invite", "--no-wait", "--team", team, "--role", "member").split("\n")[0]
        b.cli("join", code, "--via", f"127.0.0.1:{a.mesh}")
        for _ in range(100):
            try:
                b.call("GET", f"/api/v1/teams/{team}")
                break
            except Exception:
                time.sleep(0.2)
        arrivals = Arrivals(b, team)
        time.sleep(0.5)

        latencies = []
        for k in range(COUNT):
            start = time.perf_counter()
            message = a.call("POST", f"/api/v1/teams/{team}/messages", {"text": f"latency {k}"})
            latencies.append(arrivals.wait([message["id"]])[0] - start)
        latencies.sort()
        ms = [x * 1000 for x in latencies]
        print(f"latency A→B over {COUNT} messages, one at a time: p50 {statistics.median(ms):.1f} ms, "
              f"p99 {ms[int(len(ms) * 0.99) - 1]:.1f} ms, max {ms[-1]:.1f} ms")

        start = time.perf_counter()
        ids = [a.call("POST", f"/api/v1/teams/{team}/messages", {"channel": "burst", "text": f"burst {k}"})["id"] for k in range(BURST)]
        posted = time.perf_counter()
        last = max(arrivals.wait(ids, seconds=300))
        print(f"burst of {BURST}: A accepted {BURST / (posted - start):.0f} messages/s; all at B after {last - start:.2f} s: "
              f"{BURST / (last - start):.0f} messages/s end to end")
        held = b.call("GET", f"/api/v1/teams/{team}/channels")["channels"]
        counts = {c["name"]: c["count"] for c in held}
        assert counts.get("burst") == BURST and counts.get("general") == COUNT, counts
        print(f"B holds {counts['general']} + {counts['burst']} messages, each once")
    finally:
        for n in nodes:
            n.proc.terminate()
        for n in nodes:
            n.proc.wait(30)
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
