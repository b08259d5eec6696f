#!/usr/bin/env bash
# The simulation suite: every scenario in Simulations/ over its fixed seeds
# (Simulations/README.md), then fresh seeds from a random start for a set time. Runs the release
# build: the 1,000-node scenario is ten times slower in a debug build. Fails when any seed fails; each failure prints its replay command.
set -euo pipefail
cd "$(dirname "$0")/.."

# The Swift runtime and Foundation linked in (--static-swift-stdlib): every elohim command starts
# ~6 ms sooner without the dynamic loader resolving them (README, "Data engine").
swift build -c release --product elohim --static-swift-stdlib
elohim=.build/release/elohim

# Every scenario, in the order run; the fresh seeds below run the same list.
scenarios=(line-3 random-50-loss partition-heal crash-churn dead-detection-loss dead-detection-fast random-1000 random-1000-source
           team-partition team-claims team-crash team-pairing long-partition long-partition-crash
           adversary-extreme adversary-junk adversary-replay adversary-backdater)

declare -A seeds=(
  [line-3]=1..100
  [random-50-loss]=1..40
  [partition-heal]=1..40
  [crash-churn]=1..40
  [dead-detection-loss]=1..20
  [dead-detection-fast]=1..300
  [random-1000]=1..3
  [random-1000-source]=1..2
  [team-partition]=1..30
  [team-claims]=1..30
  [team-crash]=1..30
  [team-pairing]=1..30
  [long-partition]=1..20
  [long-partition-crash]=1..10
  # Adversaries (Simulations/README.md, "Adversaries"): about 25 s of the release build on 2 cores.
  [adversary-extreme]=1..6
  [adversary-junk]=1..4
  [adversary-replay]=1..20
  [adversary-backdater]=1..20
)

failed=0
for scenario in "${scenarios[@]}"; do
  echo "== $scenario (seeds ${seeds[$scenario]})"
  if ! "$elohim" sim run "Simulations/$scenario.json" --seeds "${seeds[$scenario]}"; then
    failed=1
  fi
done

# Seeds fresh exploration found failing, kept once fixed. 729499419: a copy that reached a node
# with no TTL left was all its leaf neighbour could get, after the better copy was lost (fixed by
# pulling the better copy a digest shows, GossipRouter.pullsBetterCopy).
echo "== found seeds"
if ! "$elohim" sim run Simulations/random-50-loss.json --seed 729499419; then failed=1; fi
# A member whose only neighbour is a relay never pulled from it (Replication.timer).
if ! "$elohim" sim run Simulations/team-pairing.json --seed 1015758980; then failed=1; fi

# Fresh seeds: the fixed ranges above re-check what passed before; every run also explores seeds
# no run has tried, for SIM_EXPLORE (default 4m; 0 skips it) shared among the scenarios by the
# wall time each has used (`elohim sim explore --help`), from a random first seed it prints
# (SIM_EXPLORE_START=N runs the same seeds again). `make soak DURATION=8h` is the same for longer.
explore=${SIM_EXPLORE:-4m}
if [[ $explore != 0 ]]; then
  echo "== fresh seeds for $explore"
  files=()
  for scenario in "${scenarios[@]}"; do files+=("Simulations/$scenario.json"); done
  if ! "$elohim" sim explore "${files[@]}" --for "$explore" ${SIM_EXPLORE_START:+--start "$SIM_EXPLORE_START"}; then
    failed=1
  fi
fi

# Every scenario file must be in the list above, with its seeds.
for file in Simulations/*.json; do
  name=$(basename "$file" .json)
  if [[ -z "${seeds[$name]:-}" || " ${scenarios[*]} " != *" $name "* ]]; then
    echo "error: $file is not run by scripts/test-simulations.sh; add it to scenarios with its seeds" >&2
    failed=1
  fi
done
exit $failed
