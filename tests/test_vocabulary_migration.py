"""Migration 0010 on a database with data in it: floors keep their text, industries and company types
already stored are mapped to the names uploads are now normalised to, and grading matches them."""

from __future__ import annotations

from workbooks import building_row, commit_file, company_row, credit_code, directory_sheets, write_xlsx

from pipelines.core.store import Store
from pipelines.core.vocabulary import INDUSTRIES, industry_of


def test_migration_0010_on_stored_rows(tmp_path):
    path = tmp_path / "old.duckdb"
    store = Store(path)
    codes = [credit_code(n) for n in (1, 2, 3)]
    commit_file(store, write_xlsx(tmp_path / "名录.xlsx", directory_sheets(
        [building_row("T-001")], [company_row(c, "T-001") for c in codes])))
    cur = store.cursor()
    # The database as it was before 0010: no floor_text, industries and types as people wrote them.
    cur.execute("alter table raw_companies drop column floor_text")
    cur.execute("update raw_companies set industry = case credit_code when ? then '餐饮' when ? then '火箭发射' "
                "else '教育培训' end, company_type = case credit_code when ? then '民营' else company_type end, floor = 7",
                [codes[0], codes[1], codes[0]])
    cur.execute("delete from schema_migrations where version = 10")
    cur.execute("alter table latest_companies drop column floor_text")  # as built before 0010
    store.close()

    store = Store(path)  # migrates
    cur = store.cursor()
    assert cur.execute("select credit_code, floor, floor_text, industry, company_type from companies order by 1"
                       ).fetchall() == [
        (codes[0], 7, "7", "住宿和餐饮业", "内资"),
        (codes[1], 7, "7", "火箭发射", "内资"),  # no alias knows it: kept as written
        (codes[2], 7, "7", "教育", "内资"),
    ]
    assert cur.execute("select count(*) from raw_companies").fetchall() == [(3,)]  # nothing deleted
    store.close()


def test_every_section_is_its_own_alias():
    assert all(industry_of(name) == name for name in INDUSTRIES)
    assert industry_of(" i t ") == "信息传输、软件和信息技术服务业" and industry_of("未知行业") is None
