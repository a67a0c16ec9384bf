"""The benchmark: street, district or city scale, the real code paths, one table of medians and ratios.

    python -m bench --scale street|district|city [--runs N]

Data is generated as Arrow and inserted into the store's raw tables as committed batches
(bench/data.py); the timed paths are the ones the console runs: read_upload + commit_upload (which
validates and regrades), grade.regrade_all, the page scripts through AppTest. Every comparison is
measured in the same run as what it is compared with, alternating, so that the ratios hold on a busy
machine; each measurement group runs in its own child process so that its peak memory (RSS high-water
mark, resource.getrusage) is its own. CPU seconds (user + system of the whole process, all threads)
are shown beside wall seconds: on a shared machine they move less than the wall clock.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import platform
import resource
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.data import SCALES, Scale, after_period_returns, build_store, build_world, write_returns_xlsx
from pipelines.core.settings import ROOT

BENCH_DATA_VERSION = "2"  # bump when bench/data.py changes what it generates
DEFAULT_WORKDIR = ROOT / "data" / "bench"
TODAY = dt.date(2026, 1, 1)  # validation's "today": fixed so that runs compare


# -- measuring -------------------------------------------------------------------------------------

def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_rss_mb() -> float:
    """High-water mark of this process's resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Timing:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)

    @property
    def median(self) -> float:
        return statistics.median(self.wall) if self.wall else float("nan")

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {"wall": self.wall, "cpu": self.cpu, "median": self.median, "median_cpu": self.median_cpu}


class Clock:
    """Named timings of one measurement group."""

    def __init__(self) -> None:
        self.timings: dict[str, Timing] = {}
        self.notes: dict[str, Any] = {}

    @contextmanager
    def time(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), _cpu()
        try:
            yield
        finally:
            self.timings.setdefault(name, Timing()).add(time.perf_counter() - wall, _cpu() - cpu)

    def result(self) -> dict[str, Any]:
        return {"timings": {k: v.as_dict() for k, v in self.timings.items()}, "notes": self.notes,
                "peak_rss_mb": peak_rss_mb()}


@contextmanager
def _patched(owner: object, name: str, value: object) -> Iterator[None]:
    before = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, before)


def _copy_db(base: Path, target: Path) -> Path:
    for leftover in (target, target.with_name(target.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(base, target)
    return target


def _drop_db(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(path.parent / "raw", ignore_errors=True)  # kept upload files of the run


# -- preparing -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Paths:
    root: Path

    @property
    def base(self) -> Path:  # graded store at this scale; copied for every run that writes
        return self.root / "base.duckdb"

    @property
    def workbook(self) -> Path:  # the big daily-returns workbook
        return self.root / "返岗日报_大表.xlsx"

    @property
    def new_day(self) -> Path:  # one new day of every company
        return self.root / "返岗日报_新一天.xlsx"

    @property
    def marker(self) -> Path:
        return self.root / "ready.json"

    @property
    def runs(self) -> Path:
        return self.root / "runs"


def prepare(scale: Scale, paths: Paths, log: Callable[[str], None]) -> dict[str, Any]:
    """Generate the store and workbooks once per scale (reused while BENCH_DATA_VERSION holds)."""
    want = {"version": BENCH_DATA_VERSION, "scale": scale.name}
    if paths.marker.exists() and json.loads(paths.marker.read_text())["data"] == want:
        return json.loads(paths.marker.read_text())
    shutil.rmtree(paths.root, ignore_errors=True)
    paths.root.mkdir(parents=True)
    clock = Clock()
    log(f"生成 {scale.name} 规模数据：{scale.buildings:,} 栋楼宇、{scale.companies:,} 家企业、{scale.days} 天"
        f"（{scale.company_days:,} 条返岗日报）…")
    with clock.time("generate"):
        world = build_store(paths.base, scale, log=lambda m: log("  " + m.strip()))
    from pipelines.core.store import Store
    from pipelines.grading import grade

    store = Store(paths.base)
    with clock.time("first_grading"):
        grade.regrade_all(store)
    store.con.execute("checkpoint")
    store.close()
    log(f"  写入 {scale.xlsx_rows:,} 行返岗日报工作簿 …")
    with clock.time("write_workbook"):
        write_returns_xlsx(paths.workbook, after_period_returns(world, scale.xlsx_rows), "返岗日报（基准测试）")
        new_day = after_period_returns(world, scale.new_day_rows)
        write_returns_xlsx(paths.new_day, new_day, f"返岗日报 {new_day.column('report_date')[0]}")
    info = {"data": want, "db_bytes": paths.base.stat().st_size, "workbook_bytes": paths.workbook.stat().st_size,
            "prepare": clock.result()}
    paths.marker.write_text(json.dumps(info, ensure_ascii=False, default=str))
    return info


# -- the measurement groups (each in its own process) ------------------------------------------------

def group_ingest(paths: Paths, runs: int) -> dict[str, Any]:
    """The big workbook: fastexcel alone (the parse floor) vs read_upload + commit_upload, alternating."""
    import fastexcel

    from pipelines.batches import commit
    from pipelines.core import hooks
    from pipelines.core.store import Store
    from pipelines.grading import grade
    from pipelines.ingest import validate
    from pipelines.ingest.read import read_upload

    clock = Clock()
    content = paths.workbook.read_bytes()
    paths.runs.mkdir(exist_ok=True)
    timed_validate = _timed(clock, "validate", validate.validate)
    timed_regrade = _timed(clock, "regrade_hook", grade.regrade)
    for _ in range(runs):
        with clock.time("fastexcel"):
            sheet = fastexcel.read_excel(content).load_sheet(0, header_row=None, dtypes="string")
            sheet.to_arrow()
        db = _copy_db(paths.base, paths.runs / "ingest.duckdb")
        store = Store(db)
        with _patched(commit, "validate", timed_validate), _patched(hooks, "AFTER_WRITE", [(0, timed_regrade)]), \
                clock.time("pipeline"):
            with clock.time("read_upload"):
                upload = read_upload(paths.workbook.name, content)
            with clock.time("commit_upload"):
                commit.commit_upload(store, upload, "基准测试", confirm_warnings=True, today=TODAY)
        clock.notes["rows"] = upload.row_counts()
        store.close()
        _drop_db(db)
    return clock.result()


def group_pandas(paths: Paths, runs: int) -> dict[str, Any]:
    """What an analyst would write: pandas.read_excel (openpyxl) and the same checks in pandas."""
    from pipelines.core.store import Store

    clock = Clock()
    store = Store(paths.base, read_only=True)
    for _ in range(runs):
        with clock.time("pandas"):
            findings = pandas_checks(paths.workbook, store)
        clock.notes["findings"] = len(findings)
    store.close()
    return clock.result()


def group_regrade(paths: Paths, runs: int) -> dict[str, Any]:
    """Full regrade + curves vs a plain DuckDB scan summing the same table (the hardware floor)."""
    from pipelines.core.store import Store, read_sql
    from pipelines.grading import grade
    from pipelines.situation import metrics

    clock = Clock()
    paths.runs.mkdir(exist_ok=True)
    db = _copy_db(paths.base, paths.runs / "regrade.duckdb")
    store = Store(db)
    cur = store.cursor()
    for _ in range(runs):
        with clock.time("scan"):
            cur.execute("select count(*), sum(on_site), sum(remote), sum(from_key_areas), sum(from_abroad), "
                        "sum(home_observation), sum(fever) from raw_daily_returns").fetchall()
        with clock.time("regrade_and_curves"):
            with clock.time("regrade"):
                grade.regrade_all(store)
            with clock.time("curves"):
                curve = cur.execute(read_sql("queries/curves_by_street.sql")).fetchall()
    clock.notes["curve_points"] = len(curve)
    clock.notes["rows"] = cur.execute("select count(*) from raw_daily_returns").fetchall()[0][0]
    clock.notes["grades"] = cur.execute("select count(*) from building_grades").fetchall()[0][0]
    clock.notes["factor_rows"] = cur.execute("select count(*) from building_factors").fetchall()[0][0]
    # what a directory change costs on top: returns_by_building rebuilt from every daily return
    with clock.time("rebuild_returns_by_building"), store.transaction() as tx:
        metrics.refresh_returns_by_building(tx, None)
    # the same rows as Parquet files, for "beyond one machine": size, and the same scan over the file
    parquet = paths.runs / "daily_returns.parquet"
    with clock.time("parquet_write"):
        cur.execute(f"copy raw_daily_returns to '{parquet}' (format parquet, compression zstd)")
    for _ in range(runs):
        with clock.time("parquet_scan"):
            cur.execute("select count(*), sum(on_site), sum(remote), sum(from_key_areas), sum(from_abroad), "
                        "sum(home_observation), sum(fever) from read_parquet(?)", [str(parquet)]).fetchall()
    clock.notes["parquet_bytes"] = parquet.stat().st_size
    clock.notes["db_bytes"] = db.stat().st_size
    cur.close()
    store.close()
    _drop_db(db)
    parquet.unlink()
    return clock.result()


def group_new_day(paths: Paths, runs: int) -> dict[str, Any]:
    """A new day's batch: commit to regraded (incremental, from that day) vs the same with a full regrade."""
    from pipelines.batches import commit
    from pipelines.core import hooks
    from pipelines.core.store import Store
    from pipelines.grading import grade
    from pipelines.ingest.read import read_upload

    clock = Clock()
    paths.runs.mkdir(exist_ok=True)
    content = paths.new_day.read_bytes()
    with clock.time("read_upload"):
        upload = read_upload(paths.new_day.name, content)
    clock.notes["rows"] = upload.row_counts()

    def full(cur, _days):
        grade.regrade(cur, None)

    for _ in range(runs):
        for mode, after in (("incremental", [(0, grade.regrade)]), ("full", [(0, full)])):
            db = _copy_db(paths.base, paths.runs / "new_day.duckdb")
            store = Store(db)
            with _patched(hooks, "AFTER_WRITE", after), clock.time(mode):
                commit.commit_upload(store, upload, "基准测试", confirm_warnings=True, today=TODAY)
            store.close()
            _drop_db(db)
    return clock.result()


PAGES = ("overview.py", "risk.py")


BENCH_USER = "bench-leader"


def _exception_text(at: Any) -> str:
    """An AppTest exception with its stack, so that a failure in the child process can be traced."""
    first = at.exception[0]
    return "\n".join([str(first.message), *list(getattr(first, "stack_trace", []) or [])])


def _add_bench_leader(db: Path) -> None:
    """A district leader to run the pages as (the synthetic database has no users)."""
    import secrets

    from pipelines.auth import accounts
    from pipelines.core.store import Store

    store = Store(db)
    try:
        accounts.add_user(store, "bench", BENCH_USER, "基准测试", "leader", None, secrets.token_urlsafe(16))
    finally:
        store.close()


def group_pages(paths: Paths, runs: int) -> dict[str, Any]:
    """Each page through AppTest: the first run in a fresh process, then warm reruns (cached query
    results) and cold reruns (data cache cleared, as after a commit)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    sys.path.insert(0, str(ROOT))
    paths.runs.mkdir(exist_ok=True)
    db = _copy_db(paths.base, paths.runs / "pages.duckdb")
    _add_bench_leader(db)
    os.environ["FUGONG_DB"] = str(db)
    clock = Clock()
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "app_pages" / page), default_timeout=600)
        at.session_state["auth_user"] = BENCH_USER  # a logged-in district leader, as ui.session keeps it
        with clock.time(f"{page}:first"):
            at.run()
        if at.exception:
            clock.notes[f"{page}:exception"] = _exception_text(at)
            continue
        for _ in range(runs):
            with clock.time(f"{page}:warm"):
                at.run()
        for _ in range(runs):
            st.cache_data.clear()
            with clock.time(f"{page}:cold"):
                at.run()
        clock.notes[f"{page}:exception"] = _exception_text(at) if at.exception else None
        clock.notes[f"{page}:dataframe_rows"] = [len(df.value) for df in at.dataframe]
    clock.notes.update(console_queries(db, runs))
    _drop_db(db)
    return clock.result()


def console_queries(db: Path, runs: int) -> dict[str, Any]:
    """The queries the console runs on every page, timed on their own (median of `runs`)."""
    from pipelines.core.store import open_store
    from pipelines.grading import grade
    from pipelines.situation import metrics

    cur = open_store(db).cursor()
    out: dict[str, Any] = {}
    day = metrics.latest_day(cur)
    street = metrics.streets(cur)[0]
    queries: dict[str, Callable[[], Any]] = {
        "latest_day": lambda: metrics.latest_day(cur),
        "headline_all": lambda: metrics.headline(cur, None, day),
        "headline_street": lambda: metrics.headline(cur, street, day),
        "grades_on_all": lambda: grade.grades_on(cur, day),
        "grades_on_street": lambda: grade.grades_on(cur, day, street),
    }
    for name, fn in queries.items():
        walls = []
        for _ in range(runs):
            started = time.perf_counter()
            result = fn()
            walls.append(time.perf_counter() - started)
        out[f"query:{name}"] = statistics.median(walls)
        if hasattr(result, "__len__") and not isinstance(result, tuple):
            out[f"query:{name}:rows"] = len(result)
    cur.close()
    return out


def _timed(clock: Clock, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with clock.time(name):
            return fn(*args, **kwargs)

    return wrapper


def group_lake(paths: Paths, runs: int) -> dict[str, Any]:
    from bench.lake import group_lake as lake

    return lake(paths, runs)


GROUPS: dict[str, Callable[[Paths, int], dict[str, Any]]] = {
    "ingest": group_ingest, "pandas": group_pandas, "regrade": group_regrade, "new_day": group_new_day,
    "pages": group_pages, "lake": group_lake,
}


def _child(name: str, root: str, runs: int) -> dict[str, Any]:
    return GROUPS[name](Paths(Path(root)), runs)


def run_group(name: str, paths: Paths, runs: int, isolate: bool = True) -> dict[str, Any]:
    if not isolate:
        return _child(name, str(paths.root), runs)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_child, (name, str(paths.root), runs))


# -- the analyst's pandas version ------------------------------------------------------------------

def pandas_checks(path: Path, store: Any) -> Any:
    """The daily-returns checks of validate.py, written the way an analyst would in pandas:
    required cells, numbers and dates that parse, no negatives, the credit code's check character,
    dates in the period and not in the future, duplicate keys, unknown companies, over-staffing."""
    import pandas as pd

    from pipelines.core import settings
    from pipelines.core.contract import DAILY_RETURNS, credit_code_valid

    frame = pd.read_excel(path, engine="openpyxl", header=1, dtype=object)
    frame = frame.rename(columns={f.label: f.name for f in DAILY_RETURNS.fields})
    frame["excel_row"] = frame.index + 3
    problems: list[pd.DataFrame] = []

    def add(mask: pd.Series, column: str, rule: str) -> None:
        hit = frame.loc[mask.fillna(False).astype(bool), ["excel_row", column]]
        problems.append(pd.DataFrame({"row": hit["excel_row"], "column": column, "value": hit[column], "rule": rule}))

    for f in DAILY_RETURNS.fields:
        if f.required:
            add(frame[f.name].isna(), f.name, "required")
    dates = pd.to_datetime(frame["report_date"], errors="coerce")
    add(frame["report_date"].notna() & dates.isna(), "report_date", "type")
    add(dates < pd.Timestamp(settings.get().period_start), "report_date", "before_period")
    add(dates > pd.Timestamp(TODAY), "report_date", "future_date")
    numbers = {}
    for f in DAILY_RETURNS.fields:
        if f.kind == "int":
            value = pd.to_numeric(frame[f.name], errors="coerce")
            add(frame[f.name].notna() & (value.isna() | (value % 1 != 0)), f.name, "type")
            add(value < 0, f.name, "negative")
            numbers[f.name] = value
    codes = frame["credit_code"].astype("string").str.upper()
    add(codes.notna() & ~codes.fillna("").map(credit_code_valid), "credit_code", "credit_code")
    key = pd.DataFrame({"day": dates, "code": codes})
    add(key.notna().all(axis=1) & key.duplicated(keep="first"), "credit_code", "duplicate_key")
    companies = store.cursor().execute("select credit_code, employees from companies").df()
    add(codes.notna() & ~codes.isin(companies["credit_code"]), "credit_code", "unknown_company")
    staff = codes.map(companies.set_index("credit_code")["employees"])
    add(numbers["on_site"] + numbers["remote"].fillna(0) > staff, "on_site", "over_staffed")
    return pd.concat(problems, ignore_index=True).sort_values(["row", "column"])


# -- the report ------------------------------------------------------------------------------------

@dataclass
class Row:
    what: str
    seconds: float | None
    cpu: float | None
    compared: str
    ratio: str
    target: str
    verdict: str
    peak_mb: float | None = None


def _fmt(x: float | None, digits: int = 3) -> str:
    return "—" if x is None or x != x else f"{x:.{digits}f}"


def report(scale: Scale, results: dict[str, dict[str, Any]], info: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []

    def t(group: str, name: str) -> Timing:
        raw = results.get(group, {}).get("timings", {}).get(name)
        return Timing(raw["wall"], raw["cpu"]) if raw else Timing()

    peak = {g: r.get("peak_rss_mb") for g, r in results.items()}
    if "ingest" in results:
        pipe, floor = t("ingest", "pipeline"), t("ingest", "fastexcel")
        ratio = pipe.median / floor.median
        rows.append(Row(f"ingest + validate + commit, {scale.xlsx_rows:,}-row xlsx", pipe.median, pipe.median_cpu,
                        f"fastexcel alone {floor.median:.3f} s (cpu {floor.median_cpu:.3f} s)",
                        f"{ratio:.2f}× (cpu {pipe.median_cpu / floor.median_cpu:.2f}×)", "≤ 1.5×",
                        "met" if ratio <= 1.5 else "missed", peak["ingest"]))
        for part in ("read_upload", "validate", "regrade_hook"):
            p = t("ingest", part)
            rows.append(Row(f"  of which {part}", p.median, p.median_cpu, "", "", "", ""))
        commit, check, hook = t("ingest", "commit_upload"), t("ingest", "validate"), t("ingest", "regrade_hook")
        rest = Timing([a - b - c for a, b, c in zip(commit.wall, check.wall, hook.wall, strict=True)],
                      [a - b - c for a, b, c in zip(commit.cpu, check.cpu, hook.cpu, strict=True)])
        rows.append(Row("  of which writing (raw rows, current state, rollup, transaction)", rest.median,
                        rest.median_cpu, "", "", "", ""))
        if "pandas" in results:
            pandas = t("pandas", "pandas")
            speed = pandas.median / pipe.median
            rows.append(Row("pandas.read_excel(openpyxl) + same checks", pandas.median, pandas.median_cpu,
                            "ingest + validate + commit", f"{speed:.1f}× faster", "≥ 10× faster",
                            "met" if speed >= 10 else "missed", peak["pandas"]))
    if "regrade" in results:
        work, scan = t("regrade", "regrade_and_curves"), t("regrade", "scan")
        target = "≤ 5 s on 2 cores" if scale.name == "city" else "report"
        verdict = ("met" if work.median <= 5 else "missed") if scale.name == "city" else "—"
        rows.append(Row(f"full regrade + curves ({scale.company_days:,} company-days)", work.median,
                        work.median_cpu, f"DuckDB scan summing the table {scan.median:.3f} s",
                        f"{work.median / scan.median:.0f}×", target, verdict, peak["regrade"]))
        for part in ("regrade", "curves"):
            p = t("regrade", part)
            rows.append(Row(f"  of which {part}", p.median, p.median_cpu, "", "", "", ""))
        rebuild = t("regrade", "rebuild_returns_by_building")
        rows.append(Row("  + rebuilding returns_by_building (after a directory change)", rebuild.median,
                        rebuild.median_cpu, "", "", "", ""))
        notes = results["regrade"]["notes"]
        pq = t("regrade", "parquet_scan")
        rows.append(Row("the same scan over the table as a Parquet file (zstd)", pq.median, pq.median_cpu,
                        f"{notes['parquet_bytes'] / 1e6:,.1f} MB Parquet, {notes['db_bytes'] / 1e6:,.1f} MB store",
                        f"{pq.median / scan.median:.1f}× the scan", "—", "—"))
    if peak:
        worst = max(v for v in peak.values() if v is not None)
        target = "≤ 4 GB" if scale.name == "city" else "—"
        verdict = ("met" if worst <= 4096 else "missed") if scale.name == "city" else "—"
        rows.append(Row("peak memory (RSS, worst group)", None, None, ", ".join(
            f"{g} {v:.0f} MB" for g, v in peak.items() if v is not None), f"{worst:.0f} MB", target, verdict))
    if "pages" in results:
        for page in PAGES:
            warm, cold, first = t("pages", f"{page}:warm"), t("pages", f"{page}:cold"), t("pages", f"{page}:first")
            error = results["pages"]["notes"].get(f"{page}:exception")
            district = scale.name == "district"
            ok = warm.median <= 0.3 and cold.median <= 2
            rows.append(Row(f"page {page} rerun (AppTest) warm / cold", warm.median, warm.median_cpu,
                            f"cold {cold.median:.3f} s, first run {first.median:.3f} s", "",
                            "≤ 0.3 s warm, ≤ 2 s cold" if district else "—",
                            ("error: " + error) if error else (("met" if ok else "missed") if district else "—"),
                            peak["pages"]))
    if "lake" in results:
        from bench.lake import report_rows

        rows += report_rows(results, Row, lambda name: t("lake", name))
    if "new_day" in results:
        inc, full = t("new_day", "incremental"), t("new_day", "full")
        rows.append(Row(f"new day's batch ({scale.new_day_rows:,} rows): commit to regraded", inc.median,
                        inc.median_cpu, f"same with full regrade {full.median:.3f} s",
                        f"{full.median / inc.median:.1f}× cheaper", "incremental cheaper",
                        "met" if inc.median < full.median else "missed", peak["new_day"]))
    return rows


def table_from_json(path: Path) -> str:
    """The table of a run saved with --json, rendered again (e.g. for docs/PERFORMANCE.md)."""
    saved = json.loads(Path(path).read_text(encoding="utf-8"))
    scale = Scale(**saved["scale"])
    return format_table(report(scale, saved["results"], saved["prepare"]))


def format_table(rows: list[Row]) -> str:
    head = ["what", "median s", "cpu s", "compared with", "ratio", "target", "verdict", "peak MB"]
    body = [[r.what, _fmt(r.seconds), _fmt(r.cpu), r.compared, r.ratio, r.target, r.verdict,
             _fmt(r.peak_mb, 0)] for r in rows]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    import duckdb

    with open("/proc/meminfo", encoding="ascii") as fh:
        mem_kb = int(fh.readline().split()[1])
    return {"cpus": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "duckdb": duckdb.__version__, "platform": platform.platform(), "load_before": os.getloadavg()}


def run(scale_name: str, runs: int = 5, workdir: Path | None = None, groups: list[str] | None = None,
        pandas_runs: int = 1, isolate: bool = True, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Prepare the data (once per scale) and run the measurement groups; returns everything measured."""
    scale = SCALES[scale_name]
    paths = Paths((workdir or DEFAULT_WORKDIR) / scale.name)
    started = time.perf_counter()
    info = prepare(scale, paths, log)
    results: dict[str, dict[str, Any]] = {}
    for name in groups or [g for g in GROUPS if g != "lake"]:  # the lake needs PostgreSQL: --only lake
        log(f"测量 {name} …")
        results[name] = run_group(name, paths, pandas_runs if name == "pandas" else runs, isolate)
    shutil.rmtree(paths.runs, ignore_errors=True)
    rows = report(scale, results, info)
    return {"scale": scale.__dict__, "runs": runs, "machine": machine(), "load_after": os.getloadavg(),
            "prepare": info, "results": results, "rows": [r.__dict__ for r in rows], "table": format_table(rows),
            "seconds": time.perf_counter() - started,
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def main(scale: str, runs: int, workdir: Path | None, json_out: Path | None, pandas_runs: int,
         groups: list[str] | None) -> int:
    result = run(scale, runs, workdir, groups, pandas_runs)
    m = result["machine"]
    print(f"\n{scale}: {m['cpus']} CPU, {m['memory_gb']} GB, DuckDB {m['duckdb']}, Python {m['python']}; "
          f"load {m['load_before'][0]:.1f} before, {result['load_after'][0]:.1f} after; medians of {runs} runs\n")
    print(result["table"])
    if json_out:
        json_out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


__all__ = ["run", "main", "SCALES", "build_world"]
