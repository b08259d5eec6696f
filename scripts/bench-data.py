#!/usr/bin/env python3
"""Figures for the data engine (issue 19), each a ratio against a baseline measured in the same run.

1. SQL: an aggregate over a 1,000,000-row CSV through `elohim data query` against the DuckDB
   program called directly on the same file (goal: at most 1.2x).
2. One DuckDB process per query against one long-lived process per session (what the engine
   pays for its isolation), over the same CSV.
3. JSON to XLSX: 100,000 nested records through `elohim data json2xlsx` against the original
   product's way, pandas.json_normalize + DataFrame.to_excel with openpyxl (goal: at least 5x
   faster), and the peak memory (RSS) of both as the records grow.

Not part of `make test`. Run:  python3 scripts/bench-data.py   (ELOHIM=path/to/elohim to choose
the binary; a release build is what the README's figures use: swift build -c release --product elohim --static-swift-stdlib).
It installs pandas into .venv from Benchmarks/data/requirements.txt when missing.
"""
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_PY = os.path.join(ROOT, ".venv", "bin", "python")
ELOHIM = os.environ.get("ELOHIM") or next(
    (p for p in (os.path.join(ROOT, ".build", "release", "elohim"), os.path.join(ROOT, ".build", "debug", "elohim")) if os.path.exists(p)), None)
RUNS = int(os.environ.get("RUNS", "5"))


def duckdb_binary():
    lib = os.path.join(ROOT, ".venv", "lib")
    for d in sorted(os.listdir(lib)):
        p = os.path.join(lib, d, "site-packages", "duckdb_cli", "duckdb")
        if os.path.exists(p):
            return p
    sys.exit("duckdb is not in .venv: run `make venv`")


def run(argv, stdin=None, env=None):
    """Runs argv to completion; (seconds, peak RSS in MiB, stdout). Fails loudly on a non-zero exit."""
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if stdin is not None:
        p.stdin.write(stdin.encode())
        p.stdin.close()
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    seconds = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"{argv[0]} failed ({p.returncode}): {err.decode()[:2000]}")
    return seconds, usage.ru_maxrss / 1024, out.decode()


def median_of(fn, runs=RUNS):
    results = [fn() for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results), results[0][2]


def sql_figures(work):
    duck = duckdb_binary()
    csv = os.path.join(work, "big.csv")
    rng = random.Random(1)
    with open(csv, "w") as f:
        f.write("id,grp,amount,note\n")
        for i in range(1_000_000):
            f.write(f"{i},g{i % 97},{rng.randint(0, 10_000) / 100},n{rng.randint(0, 1000)}\n")
    size = os.path.getsize(csv) / (1 << 20)
    query = "SELECT grp, count(*) AS n, sum(amount) AS total, avg(amount) AS mean FROM {t} GROUP BY grp ORDER BY grp"
    direct = query.format(t=f"read_csv('{csv}', delim=',', header=true)")

    run([duck, "-c", direct])  # warm the page cache
    # elohim keeps the reader DuckDB sniffed for a file version (PinnedCSVReader) in its cache
    # folder: "first" runs each start with an empty cache (what the first query of a file costs),
    # "again" runs share one (every later query of the same file). The three alternate, run by
    # run, so a busy moment of the machine weighs on all alike.
    elohim = [ELOHIM, "data", "query", query.format(t="big"), "--file", csv, "--format", "csv"]
    shared = os.path.join(work, "cache-shared")
    run(elohim, env=dict(os.environ, XDG_CACHE_HOME=shared))  # primes the shared cache
    d_runs, first_runs, again_runs = [], [], []
    for i in range(RUNS):
        d_runs.append(run([duck, "-no-init", "-csv", "-c", direct]))
        first_runs.append(run(elohim, env=dict(os.environ, XDG_CACHE_HOME=os.path.join(work, f"cache-{i}"))))
        again_runs.append(run(elohim, env=dict(os.environ, XDG_CACHE_HOME=shared)))
    med = lambda runs: (statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[0][2])
    (d_time, d_rss, d_out), (f_time, f_rss, f_out), (a_time, a_rss, a_out) = med(d_runs), med(first_runs), med(again_runs)
    assert all(len(o.strip().splitlines()) == 98 for o in (d_out, f_out, a_out)), (d_out[:200], f_out[:200], a_out[:200])
    # Sums of doubles may differ in their last digits (DuckDB adds in parallel, in any order).
    rows = lambda out: [(r[0], int(r[1]), round(float(r[2]), 2)) for r in (l.split(",") for l in out.strip().splitlines()[1:])]
    assert rows(f_out) == rows(a_out) == rows(d_out), "the pinned reader changed the answer"
    print(f"\n1. SQL: aggregate over a 1,000,000-row CSV ({size:.0f} MiB), median of {RUNS}")
    print(f"   duckdb -c (the program alone)                 {d_time:6.3f} s   peak RSS {d_rss:6.0f} MiB")
    print(f"   elohim data query --file, first of the file    {f_time:6.3f} s   peak RSS {f_rss:6.0f} MiB (the CLI; DuckDB's child not counted)")
    print(f"   elohim data query --file, again                {a_time:6.3f} s   peak RSS {a_rss:6.0f} MiB")
    print(f"   ratio elohim / duckdb: first {f_time / d_time:.2f}x, again {a_time / d_time:.2f}x  (goal <= 1.2x)")

    # 2. Per query against per session: 20 queries, each its own process, against one process.
    q = [query.format(t="t").replace("GROUP BY grp", f"WHERE amount > {k} GROUP BY grp") for k in range(20)]
    view = f"CREATE VIEW t AS FROM read_csv('{csv}', delim=',', header=true);\n"
    startup = lambda: run([duck, "-no-init", "-batch", ":memory:"], stdin="SELECT 42;\n")
    s_time, _, _ = median_of(startup, runs=10)
    per_query_all = sum(run([duck, "-no-init", "-batch", ":memory:"], stdin=view + x + ";\n")[0] for x in q)
    session_view = run([duck, "-no-init", "-batch", ":memory:"], stdin=view + "".join(x + ";\n" for x in q))[0]
    table = f"CREATE TABLE t AS FROM read_csv('{csv}', delim=',', header=true);\n"
    session_table = run([duck, "-no-init", "-batch", ":memory:"], stdin=table + "".join(x + ";\n" for x in q))[0]
    parquet = os.path.join(work, "big.parquet")
    run([duck, "-no-init", "-c", f"COPY (FROM read_csv('{csv}', delim=',', header=true)) TO '{parquet}' (FORMAT parquet)"])
    pview = f"CREATE VIEW t AS FROM read_parquet('{parquet}');\n"
    per_query_parquet = sum(run([duck, "-no-init", "-batch", ":memory:"], stdin=pview + x + ";\n")[0] for x in q)
    print(f"\n2. One DuckDB process per query against one per session (20 queries over the same CSV)")
    print(f"   a process that starts, answers SELECT 42 and exits     {s_time * 1000:6.0f} ms")
    print(f"   20 processes, one query each (what the engine does)      {per_query_all:6.2f} s")
    print(f"   1 process, 20 queries over a view of the file            {session_view:6.2f} s   ({per_query_all / session_view:.2f}x)")
    print(f"   1 process, the file loaded once into a table, 20 queries {session_table:6.2f} s   ({per_query_all / session_table:.2f}x)")
    print(f"   20 processes, one query each, over a Parquet copy        {per_query_parquet:6.2f} s   ({per_query_all / per_query_parquet:.2f}x)")


def record(i, rng):
    return {
        "id": i,
        "name": f"household {i}",
        "visited": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "address": {"village": f"v{i % 500}", "district": f"d{i % 20}", "geo": {"lat": round(rng.uniform(-30, 30), 5), "lon": round(rng.uniform(-60, 60), 5)}},
        "people": {"adults": rng.randint(1, 4), "children": rng.randint(0, 6)},
        "water": {"source": rng.choice(["well", "river", "tap", "rain"]), "minutes": rng.randint(0, 120), "treated": rng.random() < 0.5},
        "tags": rng.sample(["a", "b", "c", "d", "e"], 2),
        "note": None if i % 3 else "needs a follow-up visit",
    }


PANDAS = """
import json, sys, pandas as pd
records = json.load(open(sys.argv[1]))
df = pd.json_normalize(records)
df["tags"] = df["tags"].str.join("; ")
df.to_excel(sys.argv[2], index=False, engine="openpyxl")
print(len(df))
"""


def xlsx_figures(work):
    rng = random.Random(2)
    sizes = [25_000, 50_000, 100_000, 200_000]
    files = {}
    for n in sizes:
        path = os.path.join(work, f"records-{n}.json")
        with open(path, "w") as f:
            f.write("[\n")
            for i in range(n):
                f.write(("," if i else "") + json.dumps(record(i, rng)) + "\n")
            f.write("]\n")
        files[n] = path
    print(f"\n3. JSON to XLSX: nested records (3 levels, an array of scalars joined), one row each")
    print(f"   {'records':>8} {'MiB in':>7} | {'elohim s':>9} {'RSS MiB':>8} | {'pandas+openpyxl s':>17} {'RSS MiB':>8} | ratio")
    for n in sizes:
        mib = os.path.getsize(files[n]) / (1 << 20)
        out = os.path.join(work, f"out-{n}.xlsx")
        runs = RUNS if n == 100_000 else 1
        e_time, e_rss, e_out = median_of(lambda: run([ELOHIM, "data", "json2xlsx", files[n], "-o", out, "--max-rows", "1000000"]), runs=runs)
        assert f"{n} rows" in e_out, e_out
        if n <= 100_000:
            p_time, p_rss, p_out = median_of(lambda: run([VENV_PY, "-c", PANDAS, files[n], out + ".pandas.xlsx"]), runs=1 if n != 100_000 else min(RUNS, 3))
            assert p_out.strip() == str(n)
            print(f"   {n:>8} {mib:>7.1f} | {e_time:>9.2f} {e_rss:>8.0f} | {p_time:>17.2f} {p_rss:>8.0f} | {p_time / e_time:5.1f}x faster")
        else:
            print(f"   {n:>8} {mib:>7.1f} | {e_time:>9.2f} {e_rss:>8.0f} | {'(not run)':>17} {'':>8} |")
    print("   (goal: at least 5x faster at 100,000 records; elohim's peak RSS flat as records grow)")


def main():
    if not ELOHIM:
        sys.exit("no elohim binary: swift build -c release --product elohim --static-swift-stdlib (or set ELOHIM)")
    if subprocess.run([VENV_PY, "-c", "import pandas"], capture_output=True).returncode != 0:
        subprocess.check_call([VENV_PY, "-m", "pip", "install", "-q", "-r", os.path.join(ROOT, "Benchmarks", "data", "requirements.txt")])
    print(f"elohim: {ELOHIM}\nmachine: {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="elohim-bench-data-") as work:
        which = sys.argv[1:] or ["sql", "xlsx"]
        if "sql" in which:
            sql_figures(work)
        if "xlsx" in which:
            xlsx_figures(work)


if __name__ == "__main__":
    main()
