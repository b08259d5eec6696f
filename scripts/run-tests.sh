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
swift test --skip-build || status=1
bash scripts/test-simulations.sh || status=1
bash scripts/test-lan.sh || status=1
bash scripts/test-api-fuzz.sh || status=1
bash scripts/test-browser.sh || status=1
# libFuzzer over every decoder, a short run each (make fuzz runs them for as long as asked).
bash scripts/fuzz.sh "${FUZZ_SECONDS_IN_TEST:-15}" || status=1
if [[ $status -ne 0 ]]; then echo "make test: FAILED (see above)"; else echo "make test: all passed"; fi
exit $status
