#!/usr/bin/env bash
# The panic wipe's figure (issue 18): a node holding ~1 GB of vault files (real data through the
# API: sealed chunks in elohim.sqlite, as a field device would hold them), then
# `elohim panic --yes`, which prints the time to "keys gone" and to "all gone" measured from the
# command's start (the node's own time to keys gone in brackets). Not part of `make test`.
#
#   scripts/bench-panic.sh                 # 1024 MiB with .build/debug/elohim
#   SIZE_MB=256 ELOHIM=.build/release/elohim scripts/bench-panic.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ELOHIM=${ELOHIM:-.build/debug/elohim}
SIZE_MB=${SIZE_MB:-1024}
[[ -x $ELOHIM ]] || { echo "no $ELOHIM: build it first (swift build --product elohim)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/elohim-bench-panic.XXXXXX")
DATA=$WORK/node
node_pid=""
cleanup() { [[ -n $node_pid ]] && kill "$node_pid" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# --rate-limit 0: the file goes in as ~2,000 chunk uploads, far past the default writes a minute.
"$ELOHIM" node run --data-dir "$DATA" --http 127.0.0.1:0 --listen 127.0.0.1:0 --no-discovery --terminals off --rate-limit 0 \
  >"$WORK/node.out" 2>"$WORK/node.err" &
node_pid=$!
for _ in $(seq 100); do [[ -s $DATA/node.json ]] && break; sleep 0.1; done
[[ -s $DATA/node.json ]] || { echo "the node did not start:" >&2; cat "$WORK/node.err" >&2; exit 1; }

echo "a bench passphrase" >"$WORK/pass"
# A founder, so the wipe has sealed person keys to zero as well as key files.
"$ELOHIM" account create ada --founder --data-dir "$DATA" --password-file "$WORK/pass" >/dev/null
"$ELOHIM" team create bench --data-dir "$DATA" >/dev/null
# Random bytes: compression cannot shrink them, so the folder holds what was put.
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom >"$WORK/big.bin"
fill_start=$(date +%s)
"$ELOHIM" vault put "$WORK/big.bin" --data-dir "$DATA" --team bench --passphrase-file "$WORK/pass" >/dev/null
rm -f "$WORK/big.bin"
echo "filled in $(( $(date +%s) - fill_start )) s: $(du -sh "$DATA" | cut -f1) in the data folder ($(du -sh "$DATA/elohim.sqlite" | cut -f1) in elohim.sqlite)"

"$ELOHIM" panic --yes --data-dir "$DATA"
status=0
wait "$node_pid" || status=$?
node_pid=""
echo "node exit status: $status; data folder $([[ -e $DATA ]] && echo "still there" || echo "gone")"
