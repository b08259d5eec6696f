#!/usr/bin/env bash
# The simulation suite: every scenario in Simulations/ over its seeds
# (363 in all, Simulations/README.md). Runs the release build: the 1,000-node scenario is ten times
# slower in a debug build. Fails when any seed fails; each failure prints its replay command.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build -c release --product elohim
elohim=.build/release/elohim

declare -A seeds=(
  [line-3]=1..100
  [random-50-loss]=1..40
  [partition-heal]=1..40
  [crash-churn]=1..40
  [dead-detection-loss]=1..20
  [random-1000]=1..3
  [team-partition]=1..30
  [team-claims]=1..30
  [team-crash]=1..30
  [team-pairing]=1..30
)

failed=0
for scenario in line-3 random-50-loss partition-heal crash-churn dead-detection-loss random-1000 \
                team-partition team-claims team-crash team-pairing; do
  echo "== $scenario (seeds ${seeds[$scenario]})"
  if ! "$elohim" sim run "Simulations/$scenario.json" --seeds "${seeds[$scenario]}"; then
    failed=1
  fi
done

# Every scenario file must be in the list above.
for file in Simulations/*.json; do
  name=$(basename "$file" .json)
  if [[ -z "${seeds[$name]:-}" ]]; then
    echo "error: $file is not run by scripts/test-simulations.sh; add it with its seeds" >&2
    failed=1
  fi
done
exit $failed
