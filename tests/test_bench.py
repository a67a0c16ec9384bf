"""The benchmark keeps working (run once at the smallest scale, no timed assertions), and what it made
faster still gives the same answers: the materialised current state and returns_by_building equal their
recomputation after commits and rollbacks, the date parser's fast paths parse as the formats did, and
the pandas version of the checks finds what validate finds."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from workbooks import (
    C1,
    C2,
    C3,
    RETURN_HEADER,
    Sheet,
    bad_check_char,
    building_row,
    check_row,
    commit_file,
    company_row,
    directory_sheets,
    read_file,
    return_row,
    write_xlsx,
)

from bench import run
from pipelines.batches.commit import rollback_batch
from pipelines.core.contract import SHEETS
from pipelines.core.store import Store, latest_rows_sql, read_sql
from pipelines.ingest.validate import validate

pytestmark = pytest.mark.slow  # the benchmark CLI in a child interpreter

ROOT = Path(__file__).resolve().parent.parent
CHECK_HEADER = ["日期", "楼宇编号", "封闭管理", "排摸登记", "应对预案", "卫生消毒", "组织动员", "企业服务", "物业履责评分",
                "发现问题", "检查人"]


def test_benchmark_runs_at_the_smallest_scale(tmp_path):
    # The command as a user runs it, in its own interpreter: its groups run in spawned children, and a pool
    # whose worker died would wait for ever, so a timeout turns that into a failure instead of a hung suite.
    out = tmp_path / "run.json"
    done = subprocess.run([sys.executable, "-m", "bench", "--scale", "tiny", "--runs", "1",
                           "--workdir", str(tmp_path / "work"), "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    results = result["results"]
    assert set(results) == {"ingest", "pandas", "regrade", "new_day", "pages"}
    for group, measured in results.items():
        assert measured["peak_rss_mb"] > 50, group
        for name, timing in measured["timings"].items():
            assert len(timing["wall"]) >= 1 and all(t > 0 for t in timing["wall"]), (group, name)
    assert results["ingest"]["notes"]["rows"] == {"daily_returns": 2_000}
    assert results["pandas"]["notes"]["findings"] == 0  # the generated workbook is clean
    assert results["regrade"]["notes"]["rows"] == 2_000  # 200 companies × 10 days
    assert results["regrade"]["notes"]["grades"] == 8 * 10  # every building, every day
    assert results["regrade"]["notes"]["curve_points"] == 2 * 10  # every street, every day
    assert results["new_day"]["notes"]["rows"] == {"daily_returns": 200}
    pages = results["pages"]["notes"]
    assert pages["overview.py:exception"] is None and pages["risk.py:exception"] is None
    assert pages["query:grades_on_all:rows"] == 8
    whats = [row["what"] for row in result["rows"]]
    assert whats[0] == "ingest + validate + commit, 2,000-row xlsx"
    assert "pandas.read_excel(openpyxl) + same checks" in whats
    assert any(w.startswith("full regrade + curves") for w in whats)
    assert any(w.startswith("new day's batch (200 rows)") for w in whats)
    assert result["table"].count("\n") == len(result["rows"]) + 1
    # the data is made once per scale and reused
    assert sum("生成" in line for line in done.stdout.splitlines()) == 1
    again_out = tmp_path / "again.json"
    again = subprocess.run([sys.executable, "-m", "bench", "--scale", "tiny", "--runs", "1",
                            "--only", "regrade", "--workdir", str(tmp_path / "work"), "--json", str(again_out)],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again_out.read_text(encoding="utf-8"))["prepare"] == result["prepare"]
    assert not any("生成" in line for line in again.stdout.splitlines())


def _same_rows(cur: duckdb.DuckDBPyConnection, left: str, right: str) -> None:
    """The two queries return the same multiset of rows."""
    for a, b in ((left, right), (right, left)):
        extra = cur.execute(f"select * from ({a}) except all select * from ({b})").fetchall()
        assert extra == [], extra[:5]


def _assert_derived_current(store: Store) -> None:
    cur = store.cursor()
    for spec in SHEETS:
        _same_rows(cur, f"select * from latest_{spec.kind}", latest_rows_sql(spec))
    cur.execute("set variable bench_days = null")
    _same_rows(cur, "select * from returns_by_building",
               read_sql("derived/returns_by_building.sql").replace("$days", "cast(getvariable('bench_days') as date[])"))
    for table, key in (("building_grades", "day, building_id"), ("building_factors", "day, building_id, factor")):
        assert cur.execute(f"select count(*) from (select {key} from {table} group by all having count(*) > 1)"
                           ).fetchall() == [(0,)]


def test_current_state_and_returns_by_building_follow_commits_and_rollbacks(tmp_path, store):
    commit_file(store, write_xlsx(tmp_path / "名录.xlsx", directory_sheets(
        [building_row("T-001"), building_row("T-002", "第二大厦")],
        [company_row(C1, "T-001"), company_row(C2, "T-001"), company_row(C3, "T-002")])))
    first = commit_file(store, write_xlsx(tmp_path / "日报1.xlsx", [Sheet("返岗日报", [
        RETURN_HEADER, return_row("2020-02-17", C1, 10), return_row("2020-02-17", C2, 20),
        return_row("2020-02-17", C3, 30), return_row("2020-02-18", C1, 11)])]))
    _assert_derived_current(store)
    # a correction of one row and a new day; the last of two rows for one key wins within a file
    second = commit_file(store, write_xlsx(tmp_path / "日报2.xlsx", [Sheet("返岗日报", [
        RETURN_HEADER, return_row("2020-02-17", C2, 25), return_row("2020-02-19", C3, 33),
        return_row("2020-02-18", C3, 31)])]))
    commit_file(store, write_xlsx(tmp_path / "检查.xlsx", [Sheet("楼宇检查", [CHECK_HEADER, check_row("2020-02-18")])]))
    _assert_derived_current(store)
    cur = store.cursor()
    on_site = dict(cur.execute("select credit_code || ' ' || report_date, on_site from daily_returns").fetchall())
    assert on_site == {f"{C1} 2020-02-17": 10, f"{C2} 2020-02-17": 25, f"{C3} 2020-02-17": 30,
                       f"{C1} 2020-02-18": 11, f"{C3} 2020-02-18": 31, f"{C3} 2020-02-19": 33}
    assert cur.execute("select day::varchar, building_id, reports, companies_back, on_site from returns_by_building "
                       "order by all").fetchall() == [
        ("2020-02-17", "T-001", 2, 2, 35), ("2020-02-17", "T-002", 1, 1, 30),
        ("2020-02-18", "T-001", 1, 1, 11), ("2020-02-18", "T-002", 1, 1, 31), ("2020-02-19", "T-002", 1, 1, 33)]
    rollback_batch(store, second, "测试员")  # C2's first figure comes back, the new day goes
    _assert_derived_current(store)
    assert cur.execute("select on_site from daily_returns where credit_code = ? and report_date = '2020-02-17'",
                       [C2]).fetchall() == [(20,)]
    assert cur.execute("select max(day) from returns_by_building").fetchall() == [(dt.date(2020, 2, 18),)]
    rollback_batch(store, first, "测试员")
    _assert_derived_current(store)
    assert cur.execute("select count(*) from daily_returns").fetchall() == [(0,)]
    assert cur.execute("select count(*) from returns_by_building").fetchall() == [(0,)]


def test_a_database_from_before_the_scale_migration_is_upgraded(tmp_path):
    path = tmp_path / "old.duckdb"
    store = Store(path)
    commit_file(store, write_xlsx(tmp_path / "名录.xlsx", directory_sheets([building_row("T-001")],
                                                                          [company_row(C1, "T-001")])))
    commit_file(store, write_xlsx(tmp_path / "日报.xlsx", [Sheet("返岗日报", [RETURN_HEADER, return_row()])]))
    cur = store.cursor()
    grades = cur.execute("select * from building_grades order by all").fetchall()
    assert grades
    # as it was before 0008: no returns_by_building, no latest_* tables, keyed grade tables
    for spec in SHEETS:
        cur.execute(f"drop view {spec.kind}")
        cur.execute(f"drop table latest_{spec.kind}")
    cur.execute("drop table returns_by_building")
    # and without what later migrations added to the grades (0041: damping), which 0008 predates
    cur.execute("alter table building_grades drop column raw_grade")
    cur.execute("alter table building_grades drop column damping_note")
    cur.execute("delete from schema_migrations where version in (8, 41)")
    store.close()
    store = Store(path)
    _assert_derived_current(store)
    cur = store.cursor()
    assert cur.execute("select * from building_grades order by all").fetchall() == grades
    assert cur.execute("select day::varchar, building_id, on_site from returns_by_building").fetchall() == [
        ("2020-02-17", "T-001", 50)]
    store.close()


OLD_TO_DATE = """create or replace macro to_date_formats(s) as coalesce(
    cast(try_strptime(s, ['%Y-%m-%d', '%Y/%m/%d', '%Y年%m月%d日', '%Y%m%d', '%Y.%m.%d',
                          '%Y-%m-%d %H:%M:%S', '%Y/%m/%d %H:%M:%S']) as date),
    case when regexp_full_match(s, '[1-9][0-9]{4}(\\.0+)?') and to_num(s) between 20000 and 80000
         then date '1899-12-30' + cast(to_num(s) as integer) end
)"""


def test_to_date_fast_paths_parse_as_the_list_of_formats_did():
    con = duckdb.connect()
    con.execute(read_sql("macros.sql"))
    con.execute(OLD_TO_DATE)
    rng = random.Random(8)
    parts = ["2020", "20", "0", "02", "2", "17", "13", "31", "30", "29", "-", "/", ".", " ", ":", "年", "月", "日",
             "00", "24", "59", "60", "1", "43878", "x", "T", "-0", "99999", "１"]
    values = {"".join(rng.choice(parts) for _ in range(rng.randint(1, 8))) for _ in range(20_000)}
    for y in ("2020", "1999", "0001", "9999"):
        for m in ("01", "02", "1", "12", "13", "00"):
            for d in ("01", "1", "17", "29", "30", "31", "32", "00"):
                for sep in "-/.":
                    values.add(f"{y}{sep}{m}{sep}{d}")
                    values.update(f"{y}{sep}{m}{sep}{d} {t}" for t in ("00:00:00", "23:59:59", "24:00:00", "1:2:3"))
    con.execute("create table v as select unnest(?::varchar[]) as s", [sorted(values)])
    assert con.execute("select count(*) from v where to_date(s) is not null").fetchall()[0][0] > 500
    assert con.execute("select s, to_date(s), to_date_formats(s) from v "
                       "where to_date(s) is distinct from to_date_formats(s)").fetchall() == []


def test_the_pandas_version_finds_what_validate_finds(tmp_path, store):
    """The comparison is fair only if the analyst's pandas code checks the same things."""
    commit_file(store, write_xlsx(tmp_path / "名录.xlsx", directory_sheets(
        [building_row("T-001")], [company_row(C1, "T-001", 100), company_row(C2, "T-001", 10)])))
    rows = [
        return_row("2020-02-17", C1, 50),
        return_row("2020-02-17", C2, 8, 5),  # over-staffed: 8 + 5 > 10
        return_row("2020-02-17", C1, 40),  # duplicate key
        return_row("2020-02-31", C1, 1),  # not a date
        return_row("2019-12-31", C1, 1),  # before the period
        return_row("2030-01-01", C1, 1),  # in the future
        return_row("2020-02-18", bad_check_char(C1), 1),  # check character
        return_row("2020-02-18", C3, 1),  # unknown company
        return_row("2020-02-19", C1, -3),  # negative
        return_row("2020-02-20", C1, "十"),  # not a number
        return_row("2020-02-21", C1, None),  # required
    ]
    path = write_xlsx(tmp_path / "日报.xlsx", [Sheet("返岗日报", [["返岗日报（测试）"], RETURN_HEADER, *rows])])
    findings = validate(store.cursor(), read_file(path), run.TODAY)
    expected = {(int(r.row), r.rule) for r in findings.itertuples()}
    found = run.pandas_checks(path, store)
    assert {(int(r.row), r.rule) for r in found.itertuples()} == expected
    assert {rule for _, rule in expected} == {
        "over_staffed", "duplicate_key", "type", "before_period", "future_date", "credit_code", "unknown_company",
        "negative", "required"}


@pytest.mark.parametrize("name", sorted(run.SCALES))
def test_scales_are_the_ones_the_issue_names(name):
    scale = run.SCALES[name]
    expected = {"tiny": (8, 200, 10), "street": (40, 2_000, 60), "district": (400, 20_000, 60),
                "city": (10_000, 500_000, 90)}[name]
    assert (scale.buildings, scale.companies, scale.days) == expected
    assert scale.company_days == expected[1] * expected[2]
