#!/usr/bin/env bash
# Idle cost of a node with three peers (the Transport issue): starts four nodes on loopback, the
# first linked to the other three, lets them settle, then measures the first node over a window:
# CPU % (utime+stime from /proc), resident memory (VmRSS) and bytes per second on the wire
# (the transport's own counters from /diagnostics, both directions).
#   scripts/measure-idle.sh [SECONDS]     (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
WINDOW=${1:-60}
ELOHIM=${ELOHIM:-.build/release/elohim}
[[ -x $ELOHIM ]] || swift build -c release --product elohim --static-swift-stdlib >/dev/null
WORK=$(mktemp -d /tmp/elohim-idle.XXXXXX)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
base=$((20000 + RANDOM % 20000))
for i in 1 2 3; do
  "$ELOHIM" node run --data-dir "$WORK/p$i" --listen 127.0.0.1:$((base + i)) --http 127.0.0.1:$((base + 100 + i)) \
    --peer 127.0.0.1:$base --no-discovery > "$WORK/p$i.log" 2>&1 &
  pids+=($!)
done
"$ELOHIM" node run --data-dir "$WORK/n" --listen 127.0.0.1:$base --http 127.0.0.1:$((base + 100)) --no-discovery \
  --peer 127.0.0.1:$((base + 1)) --peer 127.0.0.1:$((base + 2)) --peer 127.0.0.1:$((base + 3)) > "$WORK/n.log" 2>&1 &
node=$!
pids+=($node)
sleep 10
ticks() { awk '{print $14 + $15}' /proc/$node/stat; }
op() { echo "Authorization: Bearer $(cat "$WORK/n/api-token")"; }
wire() { curl -s -H "$(op)" http://127.0.0.1:$((base + 100))/diagnostics | python3 -c 'import json,sys; t=json.load(sys.stdin)["transport"]; print(t["bytesSent"] + t["bytesReceived"])'; }
links=$(curl -s -H "$(op)" http://127.0.0.1:$((base + 100))/diagnostics | python3 -c 'import json,sys; print(json.load(sys.stdin)["links"])')
t0=$(ticks); w0=$(wire)
sleep "$WINDOW"
t1=$(ticks); w1=$(wire)
hz=$(getconf CLK_TCK)
rss=$(awk '/VmRSS/ {print $2}' /proc/$node/status)
echo "idle node with $links linked peers, measured over $WINDOW s:"
awk -v t=$((t1 - t0)) -v hz="$hz" -v w="$WINDOW" 'BEGIN { printf "  CPU: %.2f%% of one core\n", 100 * t / hz / w }'
echo "  resident memory: $((rss / 1024)) MiB"
awk -v b=$((w1 - w0)) -v w="$WINDOW" 'BEGIN { printf "  wire: %.0f bytes/s (sent + received)\n", b / w }'
