#!/usr/bin/env bash
# libFuzzer over every decoder a peer or a client can feed (Fuzz/, the edges issue).
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]     (make fuzz FUZZ_SECONDS=600)
# Builds Fuzz/ with --sanitize=fuzzer into .build-fuzz, then runs each target for SECONDS
# (default 60) from its seed corpus (Fuzz/Corpus/TARGET) plus what earlier runs found
# (.build-fuzz/corpus/TARGET). A crash or a 5xx leaves its input in .build-fuzz/findings/ and
# fails the run, printing the command that replays it. Prints executions per target.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(frames ops fold noise pairing scenario requests)

echo "fuzz: building Fuzz/ with libFuzzer (into .build-fuzz)"
if ! swift build --package-path Fuzz --scratch-path .build-fuzz --sanitize=fuzzer --product ElohimFuzz 2>&1 | tail -3; then
  echo "fuzz: FAILED to build"; exit 1
fi
bin=.build-fuzz/debug/ElohimFuzz
[[ -x $bin ]] || { echo "fuzz: FAILED: $bin was not built"; exit 1; }
mkdir -p .build-fuzz/findings
status=0
for t in "${targets[@]}"; do
  mkdir -p ".build-fuzz/corpus/$t"
  log=".build-fuzz/$t.log"
  SWIFT_BACKTRACE=enable=no FUZZ_TARGET=$t "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=3072 -print_final_stats=1 \
    -artifact_prefix=".build-fuzz/findings/$t-" ".build-fuzz/corpus/$t" "Fuzz/Corpus/$t" > "$log" 2>&1
  rc=$?
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  if [[ $rc -ne 0 ]]; then
    status=1
    finding=$(ls -t .build-fuzz/findings/$t-* 2>/dev/null | head -1)
    echo "fuzz $t: FOUND a problem after $runs executions"
    grep -E "Fatal error|SUMMARY|ERROR:|answered" "$log" | head -5
    echo "  replay: FUZZ_TARGET=$t $bin $finding"
  else
    echo "fuzz $t: $runs executions in ${seconds} s, no crash"
  fi
done
[[ $status -eq 0 ]] && echo "fuzz: passed" || echo "fuzz: FAILED"
exit $status
