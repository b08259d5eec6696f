#!/usr/bin/env bash
# The web page's browser tests (issue 16, and the screens later issues add: the data engine's of
# issue 19): headless Chromium from Debian, driven by Selenium from the virtualenv, against real
# `elohim` nodes on loopback that the tests start (their data engine runs .venv's DuckDB).
# Screenshots of every screen go to .build/browser-artifacts. Fails (does not skip) when Chromium
# is missing: `make test` installs it.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[[ -x $PY ]] || { echo "browser tests FAILED: $PY is missing (make venv makes it)"; exit 1; }
$PY -c 'import selenium' 2>/dev/null || { echo "browser tests FAILED: selenium is not in .venv (make venv installs it)"; exit 1; }
$PY -c 'import openpyxl' 2>/dev/null && compgen -G ".venv/lib/python3*/site-packages/duckdb_cli/duckdb" >/dev/null ||
  { echo "browser tests FAILED: DuckDB's program or openpyxl is not in .venv (make venv installs scripts/requirements-data.txt)"; exit 1; }
for tool in chromium chromedriver; do
  command -v $tool >/dev/null || { echo "browser tests FAILED: $tool is missing (make deps installs Debian's chromium and chromium-driver)"; exit 1; }
done
[[ -x ${ELOHIM:-.build/debug/elohim} ]] || { echo "browser tests FAILED: ${ELOHIM:-.build/debug/elohim} is missing (swift build first)"; exit 1; }
bash scripts/web-libs.sh || exit 1
if grep -rlE 'https?://' Web/vendor --include='*.js'; then
  echo "browser tests FAILED: the files above name an outside address (DESIGN.md section 8); scripts/web-libs.sh strips them"; exit 1
fi
export BROWSER_ARTIFACTS=${BROWSER_ARTIFACTS:-$PWD/.build/browser-artifacts}
rm -rf "$BROWSER_ARTIFACTS"; mkdir -p "$BROWSER_ARTIFACTS"
start=$(date +%s)
cd Tests/Browser
"../../$PY" -m unittest -v ${BROWSER_TESTS:-test_newcomer test_vault test_screens test_data test_account test_people test_messages test_notifications test_terminal test_assistant} 2>&1 | tee "$BROWSER_ARTIFACTS/run.log"
status=${PIPESTATUS[0]}
cd ../..
echo "browser tests: $(( $(date +%s) - start )) s; screenshots in $BROWSER_ARTIFACTS"
if [[ $status -ne 0 ]]; then echo "browser tests FAILED"; exit 1; fi
echo "browser tests passed"
