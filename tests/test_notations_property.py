"""Whatever mix of notations an office uses for the same values, the same values are stored (issue 12).

Each example is a 企业名录 and a 返岗日报 whose numbers, floors, yes/no, phones, credit codes, company types,
industries and dates are each written in a notation drawn at random (plain, with units, with thousands
separators, in 万, in Chinese numerals, without a year, ...), in xlsx, .xls or GB18030 CSV (GBK has no ✓). The stored rows
must equal the values meant, and nothing written in a readable notation may be an error.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from office_books import write_xls
from workbooks import (
    COMPANY_HEADER,
    RETURN_HEADER,
    Sheet,
    building_row,
    commit_file,
    credit_code,
    write_csv,
    write_xlsx,
)

from pipelines.core.store import Store
from pipelines.core.vocabulary import COMPANY_TYPE_ALIASES, INDUSTRY_ALIASES

pytestmark = pytest.mark.slow
TODAY = dt.date(2020, 3, 1)
EXAMPLES = int(os.environ.get("FUGONG_PROPERTY_EXAMPLES", "40"))
CN = "一二三四五六七八九"


def _cn(n: int) -> str:
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else CN[tens - 1]) + "十" if tens else "") + (CN[ones - 1] if ones else "")


def count_notations(n: int) -> st.SearchStrategy[object]:
    options: list[object] = [n, str(n), f"{n}人", f"{n} 人"]
    if n >= 1000:
        options += [f"{n:,}", f"{n:,}".replace(",", " ")]
    if n and n % 1000 == 0:
        options.append(f"{n / 10000:g}万")
    return st.sampled_from(options)


def floor_notations(n: int) -> st.SearchStrategy[object]:
    if n < 0:
        return st.sampled_from([n, f"B{-n}", f"地下{-n}层", f"-{-n}", f"负{_cn(-n)}层"])
    return st.sampled_from([n, f"{n}F", f"{n}楼", f"{n}层", f"第{n}层", f"{_cn(n)}层", f"{n}-{n + 1}F", f"裙楼{n}F",
                            f"{n}{n % 10:02d}室"])


def yes_no_notations(yes: bool) -> st.SearchStrategy[object]:
    return st.sampled_from(["是", "Y", "√", "✓", "有", "1"] if yes else ["否", "N", "×", "✗", "无", "0"])


def phone_notations(digits: str) -> st.SearchStrategy[str]:
    return st.sampled_from([digits, f"{digits[:3]} {digits[3:7]} {digits[7:]}", f"{digits[:3]}-{digits[3:7]}-{digits[7:]}",
                            f"+86 {digits}", f"+86-{digits}"])


def code_notations(code: str) -> st.SearchStrategy[str]:
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code)
    return st.sampled_from([code, code.lower(), f"{code[:8]} {code[8:]}", wide])


def date_notations(day: dt.date) -> st.SearchStrategy[object]:
    return st.sampled_from([day, day.isoformat(), f"{day.year}/{day.month}/{day.day}", f"{day.year}年{day.month}月{day.day}日",
                            f"{day.month}月{day.day}日", f"{day.month}.{day.day}", f"{day.month}/{day.day}"])


INDUSTRY_WORDS = sorted(INDUSTRY_ALIASES.items())
TYPE_WORDS = sorted(COMPANY_TYPE_ALIASES.items())


@st.composite
def offices(draw) -> tuple[str, list[list[object]], list[list[object]], list[tuple], list[tuple]]:
    fmt = draw(st.sampled_from(["xlsx", "xls", "csv"]))
    n = draw(st.integers(1, 5))
    companies, company_rows, returns, return_rows = [COMPANY_HEADER], [], [RETURN_HEADER], []
    for i in range(n):
        code = credit_code(500 + i)
        floor = draw(st.integers(-3, 40).filter(lambda f: f != 0))
        employees = draw(st.sampled_from([5, 80, 1000, 2000, 12000, 30000]))
        industry_word, industry = draw(st.sampled_from(INDUSTRY_WORDS))
        type_word, company_type = draw(st.sampled_from(TYPE_WORDS))
        key = draw(st.booleans())
        phone = f"139{draw(st.integers(10_000_000, 99_999_999))}"
        companies.append([draw(code_notations(code)), f"公司{i}", "JSL-001", draw(floor_notations(floor)), industry_word,
                          draw(count_notations(employees)), type_word, draw(yes_no_notations(key)), None, None,
                          draw(phone_notations(phone))])
        company_rows.append((code, floor, industry, employees, company_type, "是" if key else "否", phone))
        day = dt.date(2020, 2, draw(st.integers(10, 28)))
        on_site = draw(st.integers(0, employees))
        returns.append([draw(date_notations(day)), draw(code_notations(code)), None, draw(count_notations(on_site)), 0,
                        0, 0, 0, 0])
        return_rows.append((day, code, on_site))
    return fmt, companies, returns, company_rows, return_rows


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
@given(case=offices())
def test_any_mix_of_notations_stores_the_values_meant(tmp_path_factory, case):
    fmt, companies, returns, company_rows, return_rows = case
    folder = tmp_path_factory.mktemp("notations")
    store = Store(folder / "t.duckdb")
    try:
        title = [["江苏路街道台账（2020年2月）"]]
        sheets = [Sheet("楼宇名录", [["楼宇编号", "楼宇名称", "所属街道", "经度", "纬度", "建筑面积"],
                                     building_row("JSL-001")[:3] + [121.43, 31.22, 20000]]),
                  Sheet("企业名录", companies), Sheet("返岗日报", [*title, *returns])]
        if fmt == "csv":
            paths = [write_csv(folder / f"{s.name}.csv", s.rows, "gb18030") for s in sheets]
        elif fmt == "xls":
            paths = [write_xls(folder / "台账.xls", sheets)]
        else:
            paths = [write_xlsx(folder / "台账.xlsx", sheets)]
        for path in paths:
            commit_file(store, path, today=TODAY, confirm_warnings=True)
        cur = store.cursor()
        assert cur.execute("select credit_code, floor, industry, employees, company_type, key_company, contact_phone "
                           "from companies order by credit_code").fetchall() == sorted(company_rows)
        assert cur.execute("select report_date, credit_code, on_site from daily_returns order by credit_code"
                           ).fetchall() == sorted(return_rows, key=lambda r: r[1])
    finally:
        store.close()
