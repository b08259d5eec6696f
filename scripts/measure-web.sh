#!/usr/bin/env bash
# Figures of the web page (issue 16), outside `make test`: first-load bytes (compressed, first
# screen and all screens), time to interactive, and the queue with QUEUE_ITEMS (10,000) items:
# fetch-and-draw time and frame times while scrolling; the data screen's grid with DATA_ROWS
# (100,000) rows in one page, the same. Prints JSON (and writes FIGURES_OUT).
#   scripts/measure-web.sh            # against .build/debug/elohim
#   ELOHIM=.build/release/elohim scripts/measure-web.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/web-libs.sh
export BROWSER_ARTIFACTS=${BROWSER_ARTIFACTS:-$PWD/.build/browser-artifacts}
mkdir -p "$BROWSER_ARTIFACTS"
export FIGURES_OUT=${FIGURES_OUT:-$BROWSER_ARTIFACTS/figures.json}
cd Tests/Browser
../../.venv/bin/python -m unittest figures
