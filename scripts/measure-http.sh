#!/usr/bin/env bash
# HTTP figures (the Services issue): wrk against the node (release build) and against the
# baseline FastAPI + SQLite app (Benchmarks/http), one after the other on this machine, for
#   GET /health  and  GET /api/v1/teams/{team}/items?role=member  with a login token (HS256 JWT).
# Both serve the same number of items. Usage: scripts/measure-http.sh [SECONDS] [ITEMS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-10}
ITEMS=${2:-50}
CONNS=${CONNS:-32}
command -v wrk >/dev/null || { echo "wrk is missing: make deps installs it"; exit 1; }
[[ -x .venv/bin/python ]] || { echo ".venv is missing: run make venv"; exit 1; }
.venv/bin/pip install --quiet -r Benchmarks/http/requirements.txt
swift build -c release --product elohim --static-swift-stdlib >/dev/null
WORK=$(mktemp -d /tmp/elohim-http.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$WORK"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 100); do curl -s "$1" >/dev/null && return 0; sleep 0.2; done; echo "no answer at $1"; exit 1; }

# wrk prints "Requests/sec: N" and, with --latency, the 99% line.
measure() { # name url token
  local out
  out=$(wrk -t2 -c"$CONNS" -d"${SECONDS_EACH}s" --latency ${3:+-H "Authorization: Bearer $3"} "$2")
  local rps p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  printf "| %-44s | %10s | %8s | %s\n" "$1" "$rps" "$p99" "${non2xx:+($non2xx non-2xx!)}"
}

# The node: an account, a team, a workflow and ITEMS items; rate limits off for the load.
mesh=$(free_port); http=$(free_port)
.build/release/elohim node run --data-dir "$WORK/node" --listen "127.0.0.1:$mesh" --http "127.0.0.1:$http" \
  --no-discovery --rate-limit 0 --log-level warning > "$WORK/node.log" 2>&1 &
pids+=($!)
base="http://127.0.0.1:$http"
wait_up "$base/health"
op=$(cat "$WORK/node/api-token")
j() { curl -s -H 'content-type: application/json' "$@"; }
j -H "Authorization: Bearer $op" -X POST -d '{"username": "bench", "password": "a long passphrase"}' "$base/api/v1/auth/register" >/dev/null
token=$(j -X POST -d '{"username": "bench", "password": "a long passphrase"}' "$base/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
team=$(j -H "Authorization: Bearer $op" -X POST -d '{"name": "bench"}' "$base/api/v1/teams" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
wf=$(j -H "Authorization: Bearer $op" -X POST -d '{"name": "w", "stages": [{"name": "s", "roles": ["member"]}]}' \
  "$base/api/v1/teams/$team/workflows" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for k in $(seq "$ITEMS"); do
  j -H "Authorization: Bearer $op" -X POST -d "{\"workflow\": \"$wf\", \"title\": \"item $k\", \"priority\": $((k % 10))}" \
    "$base/api/v1/teams/$team/items" >/dev/null
done

# The baseline.
bport=$(free_port)
BASELINE_DB="$WORK/baseline.sqlite" .venv/bin/python Benchmarks/http/baseline_app.py setup "$ITEMS"
btoken=$(.venv/bin/python Benchmarks/http/baseline_app.py token)
(cd Benchmarks/http && BASELINE_DB="$WORK/baseline.sqlite" ../../.venv/bin/python -m uvicorn baseline_app:app \
  --host 127.0.0.1 --port "$bport" --log-level warning) &
pids+=($!)
wait_up "http://127.0.0.1:$bport/health"

echo "wrk -t2 -c$CONNS -d${SECONDS_EACH}s, $ITEMS items, $(nproc) cores"
printf "| %-44s | %10s | %8s |\n" "call" "req/s" "p99"
measure "node: GET /health" "$base/health"
measure "baseline (FastAPI+SQLite): GET /health" "http://127.0.0.1:$bport/health"
measure "node: GET items (JWT)" "$base/api/v1/teams/$team/items?role=member" "$token"
measure "baseline: GET items (JWT)" "http://127.0.0.1:$bport/api/v1/teams/$(printf 't%.0s' $(seq 64))/items?role=member" "$btoken"
