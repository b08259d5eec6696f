#!/usr/bin/env bash
# The simulation suite: every scenario in Simulations/ over its seeds (see Simulations/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "simulation suite: not yet defined"
