"""The benchmark's lake column: the same graded store moved onto a DuckLake (PostgreSQL on this machine, Parquet
in the bench directory), then regrade and page reruns on the lake against the file (alternating, same run),
and commits per minute with 1, 2 and 4 writer processes on the lake."""

from __future__ import annotations

import os
import sys
import time
import uuid
from typing import Any

WRITERS = (1, 2, 4)
BATCHES_PER_WRITER = 3


def group_lake(paths: Any, runs: int) -> dict[str, Any]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from bench import run as bench
    from pipelines.core.store import Store
    from pipelines.grading import grade
    from pipelines.lake.backend import LAKE_PREFIX
    from pipelines.lake.localpg import LocalPostgres
    from pipelines.lake.transfer import copy_to_lake
    from pipelines.lake.writers import run_writers

    sys.path.insert(0, str(bench.ROOT))
    clock = bench.Clock()
    paths.runs.mkdir(exist_ok=True)
    postgres = LocalPostgres.create().start()
    try:
        address = LAKE_PREFIX + postgres.create_database("bench_" + uuid.uuid4().hex[:8])
        data = paths.runs / "lake"
        db = bench._copy_db(paths.base, paths.runs / "lake_source.duckdb")
        bench._add_bench_leader(db)
        lake = Store(address, lake_data=data)
        with clock.time("migrate"):
            copy_to_lake(db, lake, log=lambda *_: None)
        file_store = Store(db)
        for _ in range(runs):
            with clock.time("file:regrade"):
                grade.regrade_all(file_store)
            with clock.time("lake:regrade"):
                grade.regrade_all(lake)
        file_store.close()
        lake.close()

        os.environ["FUGONG_LAKE_DATA"] = str(data)
        for page in bench.PAGES:
            for backend, where in (("file", str(db)), ("lake", address)):
                os.environ["FUGONG_DB"] = where
                at = AppTest.from_file(str(bench.ROOT / "app_pages" / page), default_timeout=600)
                at.session_state["auth_user"] = bench.BENCH_USER
                with clock.time(f"{backend}:{page}:first"):
                    at.run()
                if at.exception:
                    clock.notes[f"{backend}:{page}:exception"] = bench._exception_text(at)
                    continue
                for _ in range(runs):
                    with clock.time(f"{backend}:{page}:warm"):
                        at.run()
                for _ in range(runs):
                    st.cache_data.clear()
                    with clock.time(f"{backend}:{page}:cold"):
                        at.run()

        for n in WRITERS:
            started = time.perf_counter()
            results = run_writers(address, str(data), n, BATCHES_PER_WRITER, days=2)
            seconds = time.perf_counter() - started
            commits = sum(len(r.batch_ids) for r in results)
            clock.notes[f"writers:{n}"] = {"commits": commits, "seconds": seconds,
                                           "per_minute": commits / seconds * 60,
                                           "errors": [e for r in results for e in r.errors]}
        alone = bench._copy_db(paths.base, paths.runs / "writers.duckdb")  # the pages still hold `db` open
        started = time.perf_counter()
        results = run_writers(str(alone), None, 1, BATCHES_PER_WRITER, days=2)
        seconds = time.perf_counter() - started
        clock.notes["writers:file"] = {"commits": sum(len(r.batch_ids) for r in results), "seconds": seconds,
                                       "per_minute": sum(len(r.batch_ids) for r in results) / seconds * 60,
                                       "errors": [e for r in results for e in r.errors]}
        clock.notes["lake_bytes"] = sum(f.stat().st_size for f in data.rglob("*") if f.is_file())
        clock.notes["file_bytes"] = db.stat().st_size
    finally:
        postgres.cleanup()
    return clock.result()


def report_rows(results: dict[str, Any], row: Any, timing: Any) -> list[Any]:
    """Rows of the benchmark table for the lake group (row: bench.Row, timing: name -> bench.Timing)."""
    if "lake" not in results:
        return []
    notes = results["lake"]["notes"]
    rows = []
    migrate = timing("migrate")
    rows.append(row("lake: migrate --to (the whole graded store)", migrate.median, migrate.median_cpu,
                    f"{notes['file_bytes'] / 1e6:,.1f} MB file → {notes['lake_bytes'] / 1e6:,.1f} MB Parquet",
                    "", "report", "—"))
    file_r, lake_r = timing("file:regrade"), timing("lake:regrade")
    rows.append(row("lake: full regrade", lake_r.median, lake_r.median_cpu, f"file {file_r.median:.3f} s "
                    f"(cpu {file_r.median_cpu:.3f} s)", f"{lake_r.median / file_r.median:.1f}×", "report", "—"))
    from bench.run import PAGES

    for page in PAGES:
        error = notes.get(f"lake:{page}:exception")
        lw, lc, fw, fc = (timing(f"{b}:{page}:{k}") for b in ("lake", "file") for k in ("warm", "cold"))
        rows.append(row(f"lake: page {page} rerun warm / cold", lw.median, lw.median_cpu,
                        f"cold {lc.median:.3f} s; file warm {fw.median:.3f} s, cold {fc.median:.3f} s",
                        f"{lw.median / fw.median:.1f}× warm, {lc.median / fc.median:.1f}× cold", "report",
                        ("error: " + error) if error else "—"))
    file_w = notes.get("writers:file")
    for n in WRITERS:
        w = notes.get(f"writers:{n}")
        if w:
            compared = f"file, 1 writer: {file_w['per_minute']:.1f}/min" if file_w else ""
            rows.append(row(f"lake: commits per minute, {n} writer process(es)", w["seconds"], None,
                            f"{w['commits']} commits; {compared}", f"{w['per_minute']:.1f}/min", "report",
                            "errors: " + "; ".join(w["errors"][:2]) if w["errors"] else "—"))
    return rows
