#!/usr/bin/env bash
# What `make test` runs once the packages are in place: the unit, property and process tests
# (`swift test`), the simulation suite, the LAN test in network namespaces, the API fuzz test
# (schemathesis against Protocol/openapi.yaml), the web page's browser tests (headless Chromium)
# and a short libFuzzer run of every decoder. D-Bus and
# avahi-daemon are started for the run where missing, and stopped again afterwards.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/local-avahi.sh start
trap 'bash scripts/local-avahi.sh stop' EXIT

status=0
timings=()
# Runs one stage, remembering how long it took, so the summary shows where the time goes.
stage() {
  local name=$1 start=$SECONDS
  shift
  "$@" || { status=1; name="$name (FAILED)"; }
  timings+=("$(printf '%5d s  %s' $((SECONDS - start)) "$name")")
}
stage "swift test" swift test --skip-build
stage "simulations" bash scripts/test-simulations.sh
stage "LAN" bash scripts/test-lan.sh
stage "API fuzz" bash scripts/test-api-fuzz.sh
stage "assistant interop" .venv/bin/python Tests/Interop/check_ollama_standin.py
stage "browser" bash scripts/test-browser.sh
# libFuzzer over every decoder, a short run each (make fuzz runs them for as long as asked).
stage "libFuzzer" bash scripts/fuzz.sh "${FUZZ_SECONDS_IN_TEST:-15}"
echo "make test: time per stage"
printf '  %s\n' "${timings[@]}"
if [[ $status -ne 0 ]]; then echo "make test: FAILED (see above)"; else echo "make test: all passed"; fi
exit $status
