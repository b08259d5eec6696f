"""The Python side of scripts/measure-vector-search.sh.

  generate DIR N D NQ SEED KIND
                             writes DIR/base.f32 (N x D) and DIR/queries.f32 (NQ x D): float32 unit
                             vectors, row-major, no header, which the Swift bench reads as they are,
                             so both sides search the very same numbers. KIND "isotropic": Gaussian,
                             normalised — no structure at all, the worst case for any graph index
                             (every point is nearly as far as every other). KIND "latent": W·z + noise
                             with z in 32 dimensions and noise a quarter of the variance, normalised —
                             text embeddings likewise fill a low-dimensional part of their space.
  bench DIR N D NQ HNSW_N M EFC EFS...
                             faiss IndexFlatIP (k=10, one query at a time and all NQ as one batch, at
                             1 and at all threads) and IndexHNSWFlat over the first HNSW_N vectors;
                             prints one JSON object and writes the flat results to DIR/faiss_ids.i64.
"""
import json
import sys
import time

import faiss
import numpy as np


def generate(path, n, d, nq, seed, kind):
    rng = np.random.default_rng(seed)
    latent = 32
    w = rng.standard_normal((latent, d), dtype=np.float32) / np.float32(np.sqrt(latent))

    def draw(rows):
        if kind == "isotropic":
            x = rng.standard_normal((rows, d), dtype=np.float32)
        else:
            x = rng.standard_normal((rows, latent), dtype=np.float32) @ w
            x += np.float32(0.5) * rng.standard_normal((rows, d), dtype=np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    with open(f"{path}/base.f32", "wb") as f:
        for start in range(0, n, 100_000):
            draw(min(100_000, n - start)).tofile(f)
    draw(nq).tofile(f"{path}/queries.f32")


def per_query_ms(index, q, k, **kw):
    times = []
    for i in range(len(q)):
        t = time.perf_counter()
        index.search(q[i:i + 1], k, **kw)
        times.append((time.perf_counter() - t) * 1000)
    return times


def bench(path, n, d, nq, hnsw_n, m, efc, efs):
    k = 10
    x = np.fromfile(f"{path}/base.f32", dtype=np.float32).reshape(n, d)
    q = np.fromfile(f"{path}/queries.f32", dtype=np.float32).reshape(nq, d)
    out = {"threads_max": faiss.omp_get_max_threads(), "version": faiss.__version__}
    flat = faiss.IndexFlatIP(d)
    flat.add(x)
    for threads in sorted({1, out["threads_max"]}):
        faiss.omp_set_num_threads(threads)
        per_query_ms(flat, q[:5], k)  # warm the caches and the thread pool
        times = per_query_ms(flat, q, k)
        t = time.perf_counter()
        _, ids = flat.search(q, k)
        batch = (time.perf_counter() - t) * 1000 / nq
        out[f"flat_single_ms_t{threads}"] = float(np.mean(times))
        out[f"flat_single_p50_t{threads}"] = float(np.percentile(times, 50))
        out[f"flat_batch_ms_t{threads}"] = batch
    faiss.omp_set_num_threads(out["threads_max"])
    ids.astype(np.int64).tofile(f"{path}/faiss_ids.i64")
    del flat

    # The reference HNSW over the first hnsw_n vectors; recall against an exact search of the same ones.
    sub = np.ascontiguousarray(x[:hnsw_n])
    del x
    exact = faiss.IndexFlatIP(d)
    exact.add(sub)
    _, truth = exact.search(q, k)
    hnsw = faiss.IndexHNSWFlat(d, m, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = efc
    # Built and searched on one thread, as HNSWIndex is.
    faiss.omp_set_num_threads(1)
    t = time.perf_counter()
    hnsw.add(sub)
    out["hnsw_build_s"] = time.perf_counter() - t
    rows = []
    for ef in efs:
        params = faiss.SearchParametersHNSW(efSearch=ef)
        times = per_query_ms(hnsw, q, k, params=params)
        _, got = hnsw.search(q, k, params=params)
        recall = np.mean([len(set(got[i]) & set(truth[i])) / k for i in range(nq)])
        rows.append({"ef": ef, "recall": float(recall), "p50": float(np.percentile(times, 50)),
                     "p99": float(np.percentile(times, 99))})
    out["hnsw"] = rows
    print(json.dumps(out))


if __name__ == "__main__":
    cmd, path, *rest = sys.argv[1:]
    if cmd == "generate":
        generate(path, *map(int, rest[:4]), rest[4])
    else:
        n, d, nq, hnsw_n, m, efc, *efs = map(int, rest)
        bench(path, n, d, nq, hnsw_n, m, efc, efs)
