#!/usr/bin/env bash
# Vector search for the assistant's retrieval (issue 20), Swift beside faiss-cpu in the same run on
# the same numbers: exact top-10 over N × 384 float32 unit vectors (ExactVectorIndex against faiss's
# IndexFlatIP, one query at a time and 200 as a batch) and the approximate HNSWIndex against
# IndexHNSWFlat over the first HNSW_N of them (build time, recall@10 against the exact top-10,
# per-query p50/p99, at several ef).
#   bash scripts/measure-vector-search.sh [N] [HNSW_N] [KIND]     (needs `make venv`; defaults
#   1000000 100000 latent; KIND latent|isotropic is described in vector-search-bench/faiss_side.py)
# Memory: about 2 × N × 384 × 4 bytes on each side (3 GB each for a million) and as much on disk in
# a temporary directory; a million with HNSW over 100,000 takes about 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
hnsw_n=${2:-100000}
kind=${3:-latent}
d=384 nq=200 m=16 efc=200 efs="16 32 48 64 96 128 192 256"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Only the index sources and the bench's main, as one optimised program (whole-module, like -c release).
flock /tmp/elohim-swift-build.lock swiftc -O -wmo -I Sources/COpenBLAS -lopenblas \
  Sources/Assistant/Retrieval/{ExactVectorIndex,HNSWIndex,SeededGenerator}.swift \
  scripts/vector-search-bench/main.swift -o "$out/vector-search-bench"
py=scripts/vector-search-bench/faiss_side.py
.venv/bin/python $py generate "$out" "$n" $d $nq 7 "$kind"
faiss_json=$(.venv/bin/python $py bench "$out" "$n" $d $nq "$hnsw_n" $m $efc $efs)
swift_json=$("$out/vector-search-bench" "$out" "$n" $d $nq "$hnsw_n" $m $efc "${efs// /,}")
.venv/bin/python - "$faiss_json" "$swift_json" "$n" "$hnsw_n" "$kind" $m $efc <<'PY'
import json, sys
f, s = json.loads(sys.argv[1]), json.loads(sys.argv[2])
n, hn, kind, m, efc = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]
t = f["threads_max"]
print(f"exact top-10, {n:,} x 384 {kind}, 200 queries (faiss {f['version']})")
print(f"{'ms a query':<38}{'faiss flat':>11}{'Swift':>9}{'ratio':>8}")
rows = [("one at a time, 1 thread, mean", f["flat_single_ms_t1"], s["exact_single_ms"]),
        ("one at a time, 1 thread, p50", f["flat_single_p50_t1"], s["exact_single_p50"]),
        (f"one at a time, faiss {t} threads, mean", f[f"flat_single_ms_t{t}"], s["exact_single_ms"]),
        ("batch of 200, 1 thread", f["flat_batch_ms_t1"], s["exact_batch_ms_t1"]),
        (f"batch of 200, {t} threads", f[f"flat_batch_ms_t{t}"], s[f"exact_batch_ms_t{t}"])]
for name, a, b in rows:
    print(f"{name:<38}{a:>11.2f}{b:>9.2f}{b / a:>7.2f}x")
print(f"same top-10 ids as faiss: {s['exact_agreement_with_faiss']:.4f} (one at a time), "
      f"{s['exact_batch_agreement_with_faiss']:.4f} (batch)")
print(f"inner product of 384 floats: cblas_sdot {s['dot_ns_sdot']:.1f} ns, Swift SIMD8x4 {s['dot_ns_unrolled']:.1f} ns")
print()
print(f"HNSW over the first {hn:,}, M={m}, efConstruction={efc}, 1 thread both; exact over them: {s['exact_subset_single_ms']:.2f} ms a query")
print(f"build: faiss {f['hnsw_build_s']:.1f} s, Swift {s['hnsw_build_s']:.1f} s")
print(f"{'ef':>5}{'faiss recall':>14}{'p50 ms':>8}{'p99 ms':>8}{'Swift recall':>14}{'p50 ms':>8}{'p99 ms':>8}")
for a, b in zip(f["hnsw"], s["hnsw"]):
    print(f"{a['ef']:>5}{a['recall']:>14.3f}{a['p50']:>8.3f}{a['p99']:>8.3f}{b['recall']:>14.3f}{b['p50']:>8.3f}{b['p99']:>8.3f}")
ok = [b for b in s["hnsw"] if b["recall"] >= 0.95]
if ok:
    b = ok[0]
    print(f"smallest ef with Swift recall >= 0.95: {int(b['ef'])} (recall {b['recall']:.3f}, p50 {b['p50']:.3f} ms, p99 {b['p99']:.3f} ms)")
else:
    print("no ef measured reaches recall 0.95 in Swift")
PY
