"""The baseline for the HTTP figures: the original design's stack (FastAPI on uvicorn, SQLite)
answering the same two calls as the node, so both run on this machine in the same session.

    GET /health                                  -> {"status": "ok", ...}
    GET /api/v1/teams/{team}/items?role=member   -> HS256 JWT checked, items read from SQLite,
                                                    highest priority first

Run by scripts/measure-http.sh; not part of the product.
"""
import os
import sqlite3
import time

import jwt
from fastapi import FastAPI, Header, HTTPException

SECRET = os.environ.get("BASELINE_SECRET", "baseline-secret-baseline-secret!")
DB = os.environ.get("BASELINE_DB", "/tmp/baseline.sqlite")
TEAM = "t" * 64

app = FastAPI()


def setup(items: int) -> None:
    db = sqlite3.connect(DB)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("DROP TABLE IF EXISTS items")
    db.execute("CREATE TABLE items (id TEXT PRIMARY KEY, team TEXT, title TEXT, priority INTEGER, status TEXT, created REAL)")
    db.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)",
                   [(f"{k:064x}", TEAM, f"item {k}", k % 10, "queued", time.time() + k) for k in range(items)])
    db.commit()
    db.close()


@app.get("/health")
def health():
    return {"status": "ok", "nodeId": "baseline", "version": "0"}


@app.get("/api/v1/teams/{team}/items")
def items(team: str, role: str | None = None, authorization: str | None = Header(default=None)):
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(status_code=401, detail="log in first")
    try:
        jwt.decode(authorization[7:], SECRET, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise HTTPException(status_code=401, detail="token invalid")
    db = sqlite3.connect(DB)
    rows = db.execute("SELECT id, title, priority, status FROM items WHERE team = ? ORDER BY priority DESC, created",
                      (team,)).fetchall()
    db.close()
    return {"items": [{"id": r[0], "title": r[1], "priority": r[2], "status": r[3]} for r in rows]}


if __name__ == "__main__":
    import sys
    if sys.argv[1] == "setup":
        setup(int(sys.argv[2]))
    elif sys.argv[1] == "token":
        print(jwt.encode({"sub": "1", "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256"))
