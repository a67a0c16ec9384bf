"""Response times of the served console's /healthz and data API at a benchmark scale.

    python -m bench.api --scale district [--runs 20]

Builds (or reuses) the scale's store with bench_data, makes a district and a street API token, starts the
console as `make run` does (python -m server, its own process, a free port on 127.0.0.1) and asks each
endpoint over HTTP: the first answer (cold) and the median and 95th percentile of the next `runs` (warm),
JSON and CSV. Wall-clock seconds on whatever machine runs it: read them with the load average beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.data import SCALES, build_store
from pipelines.core.settings import ROOT
from pipelines.core.store import Store

ENDPOINTS = ("headline", "grades", "curves?dim=street", "curves?dim=building", "buildings", "requests")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str | None = None) -> tuple[float, int, int]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        body = response.read()
    return time.perf_counter() - start, response.status, len(body)


def _prepare(scale_name: str, workdir: Path) -> tuple[Path, dict[str, str], str]:
    from pipelines.auth import sessions as web_sessions
    from pipelines.grading import grade

    base = workdir / "base.duckdb"
    if not base.exists():
        workdir.mkdir(parents=True, exist_ok=True)
        build_store(base, SCALES[scale_name], log=lambda m: print("  " + m.strip()))
        store = Store(base)
        grade.regrade_all(store)
        store.con.execute("checkpoint")
        store.close()
    db = workdir / "api.duckdb"
    for leftover in (db, db.with_name(db.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(base, db)
    store = Store(db)
    try:
        street = store.cursor().execute("select min(street) from buildings").fetchall()[0][0]
        tokens = {"district": web_sessions.make_api_token(store, "bench", "基准测试（全区）"),
                  "street": web_sessions.make_api_token(store, "bench", "基准测试（街道）", street)}
    finally:
        store.close()
    return db, tokens, street


def measure(scale_name: str = "district", runs: int = 20, workdir: Path | None = None) -> dict[str, Any]:
    workdir = workdir or ROOT / "data" / "bench" / f"{scale_name}-api"
    db, tokens, street = _prepare(scale_name, workdir)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (workdir / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "server", "--port", str(port)], cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT, env={**os.environ, "FUGONG_DB": str(db)})
    results: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                _get(f"{url}/_stcore/health")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((workdir / "server.log").read_text()) from None
                time.sleep(0.2)
        cases = [("/healthz", None)]
        for endpoint in ENDPOINTS:
            joiner = "&" if "?" in endpoint else "?"
            cases += [(f"/api/v1/{endpoint}", "district"), (f"/api/v1/{endpoint}{joiner}format=csv", "district"),
                      (f"/api/v1/{endpoint}", "street")]
        for path, who in cases:
            token = tokens[who] if who else None
            cold, status, size = _get(url + path, token)
            warm = [_get(url + path, token)[0] for _ in range(runs)]
            warm.sort()
            results[f"{path} ({who or '无令牌'})"] = {
                "status": status, "bytes": size, "cold": cold, "median": statistics.median(warm),
                "p95": warm[min(len(warm) - 1, int(round(0.95 * (len(warm) - 1))))]}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    return {"scale": scale_name, "street": street, "runs": runs, "load": os.getloadavg(), "results": results}


def table(measured: dict[str, Any]) -> str:
    lines = ["| request | status | bytes | cold s | warm median s | warm p95 s |", "|---|---|---|---|---|---|"]
    for name, r in measured["results"].items():
        lines.append(f"| `{name}` | {r['status']} | {r['bytes']:,} | {r['cold']:.3f} | {r['median']:.4f} "
                     f"| {r['p95']:.4f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.api")
    parser.add_argument("--scale", default="district", choices=list(SCALES))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    measured = measure(args.scale, args.runs)
    print(table(measured))
    print(f"load average {measured['load'][0]:.1f} (1 min); street token: {measured['street']}")
    if args.json:
        args.json.write_text(json.dumps(measured, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
