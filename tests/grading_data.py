"""Hand-made grading data: four buildings whose factor values can be worked out on paper.

The database is built through the real pipeline: workbooks written here with xlsxwriter, read with
read_upload and stored with commit_upload, which regrades after each batch. The grading configuration is
TEST_CONFIG (round breakpoints, saved with save_config before any data), so that the expected numbers in
the tests do not move when grading.toml is recalibrated.

Days with daily returns: 2020-02-10 .. 2020-02-18. What each building is for:

JSL-901 清朗大厦 (江苏路街道, 20,000 ㎡): well run. 3 software companies (100 staff each), 40+40+30 = 110 on
    site every day, full checklist on 2月9日 (duty 100) and 2月13日 (duty left blank), complete ledger. Low.
JSL-902 繁杂广场 (江苏路街道, 10,000 ㎡): dense, mixed, mobile. 4 companies (餐饮, 批发零售, 教育培训, 商务服务),
    50+50+30+20 = 150 on site, 6 from key areas on 2月10日 and 3 from abroad on 2月11日, two companies without
    contact person or phone, checklist 13/22 on 2月8日 (duty 60) and none after. High by score; its failed
    checklist (a rule that says 中) must not lower it.
HYL-901 发热大楼 (华阳路街道, 50,000 ㎡): quiet, but one fever case on 2月11日; its companies send no returns on
    2月15日 (a Saturday). Low by score, high while the 7-day fever window lasts (2月11日–2月17日).
HYL-902 久未检查中心 (华阳路街道, 30,000 ㎡): never inspected. Low by score, medium by the stale-inspection rule.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable

import xlsxwriter

from pipelines.batches.commit import commit_upload
from pipelines.core.contract import BUILDINGS, CHECKS, COMPANIES, DAILY_RETURNS, SheetSpec, credit_check_char
from pipelines.core.store import Store
from pipelines.ingest.read import read_upload

TODAY = dt.date(2020, 4, 1)  # "the machine's today" for validation
D = dt.date
DAYS = [D(2020, 2, 10) + dt.timedelta(n) for n in range(9)]  # 2月10日 .. 2月18日

TEST_CONFIG = """
[thresholds]
high = 50
medium = 39

[factors.density]
label = "人员密度"
unit = "人/千㎡"
weight = 0.2
points = [[0, 0], [10, 50], [20, 100]]

[factors.tenants]
label = "入驻企业数"
unit = "家"
weight = 0.1
points = [[0, 0], [10, 100]]

[factors.staff_on_site]
label = "在岗人数"
unit = "人"
weight = 0.1
points = [[0, 0], [100, 50], [300, 100]]

[factors.mobility]
label = "人员流动"
unit = "14天内重点地区/境外返沪人数占在岗比例"
weight = 0.1
points = [[0, 0], [0.1, 100]]

[factors.business_mix]
label = "业态复杂度"
unit = "有效行业数 + 餐饮零售培训占比×10"
weight = 0.1
points = [[1, 0], [5, 40], [15, 100]]

[factors.measures]
label = "防控措施"
unit = "最近一次检查22项通过率"
weight = 0.2
points = [[0.5, 100], [1.0, 0]]
missing_points = 100
stale_after_days = 5
ageing_per_day = 0.05

[factors.duty]
label = "物业履责"
unit = "物业履责评分"
weight = 0.1
points = [[50, 100], [100, 0]]
missing_points = 100

[factors.ledger]
label = "底账清晰"
unit = "完整率与日报覆盖率的平均"
weight = 0.1
points = [[0.5, 100], [1.0, 0]]

[rules.fever]
label = "近期出现体温异常人员"
days = 7
grade = "高"

[rules.checklist]
label = "防控检查通过率低于60%"
below = 0.6
grade = "中"

[rules.stale_inspection]
label = "超过10天未检查"
days = 10
grade = "中"
"""

WEIGHTS = {"density": 0.2, "tenants": 0.1, "staff_on_site": 0.1, "mobility": 0.1, "business_mix": 0.1,
           "measures": 0.2, "duty": 0.1, "ledger": 0.1}


def credit_code(n: int) -> str:
    body = f"91310105{n:09d}"
    return body + (credit_check_char(body) or "0")


# building_id, name, street, floor area (㎡)
BUILDING_ROWS = [
    ("JSL-901", "清朗大厦", "江苏路街道", 20_000),
    ("JSL-902", "繁杂广场", "江苏路街道", 10_000),
    ("HYL-901", "发热大楼", "华阳路街道", 50_000),
    ("HYL-902", "久未检查中心", "华阳路街道", 30_000),
]
NAMES = {b: name for b, name, _, _ in BUILDING_ROWS}

# n (credit code), building, industry, employees, complete ledger row, on site every day
COMPANY_ROWS = [
    (1, "JSL-901", "信息传输、软件和信息技术服务业", 100, True, 40),
    (2, "JSL-901", "信息传输、软件和信息技术服务业", 100, True, 40),
    (3, "JSL-901", "信息传输、软件和信息技术服务业", 100, True, 30),
    (4, "JSL-902", "餐饮", 60, True, 50),
    (5, "JSL-902", "批发零售", 60, True, 50),
    (6, "JSL-902", "教育培训", 40, False, 30),
    (7, "JSL-902", "商务服务", 40, False, 20),
    (8, "HYL-901", "金融", 100, True, 30),
    (9, "HYL-901", "科技研发", 100, True, 30),
    (10, "HYL-902", "信息传输、软件和信息技术服务业", 100, True, 30),
    (11, "HYL-902", "科技研发", 100, True, 30),
]
# (company n, day) -> (from key areas, from abroad, fever)
EVENTS = {
    (4, D(2020, 2, 10)): (6, 0, 0),
    (5, D(2020, 2, 11)): (0, 3, 0),
    (8, D(2020, 2, 11)): (0, 0, 1),
}
SILENT = {("HYL-901", D(2020, 2, 15))}  # (building, day) without returns

FULL = (5, 4, 3, 4, 3, 3)  # all 22 items passed
CHECK_ROWS = [  # day, building, items passed per area, duty score (None: left blank)
    (D(2020, 2, 9), "JSL-901", FULL, 100),
    (D(2020, 2, 13), "JSL-901", FULL, None),
    (D(2020, 2, 8), "JSL-902", (3, 2, 2, 2, 2, 2), 60),  # 13 / 22
    (D(2020, 2, 10), "HYL-901", FULL, 95),
]

# -- workbooks -------------------------------------------------------------------------------

Sheet = tuple[SheetSpec, list[str], Iterable[list]]


def workbook(*sheets: Sheet) -> bytes:
    """An xlsx file as an analyst makes one: a title row above each sheet's header."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    for spec, columns, rows in sheets:
        ws = wb.add_worksheet(spec.label)
        labels = {f.name: f.label for f in spec.fields}
        ws.write(0, 0, f"测试{spec.label}")
        ws.write_row(1, 0, [labels[c] for c in columns])
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dt.date):
                    value = value.isoformat()
                ws.write(r, c, value)
    wb.close()
    return buffer.getvalue()


def upload(store: Store, name: str, *sheets: Sheet) -> int:
    """Read and commit a workbook through the real pipeline; returns the batch id."""
    return commit_upload(store, read_upload(name, workbook(*sheets)), "测试分析员", confirm_warnings=True,
                         today=TODAY)


def buildings_sheet(rows=BUILDING_ROWS) -> Sheet:
    return (BUILDINGS, ["building_id", "building_name", "street", "lon", "lat", "floor_area", "property_company"],
            [[b, name, street, 121.43, 31.22, area, "测试物业"] for b, name, street, area in rows])


def companies_sheet(rows=COMPANY_ROWS) -> Sheet:
    columns = ["credit_code", "company_name", "building_id", "industry", "employees", "company_type",
               "planned_date", "contact_person", "contact_phone"]
    return (COMPANIES, columns, [
        [credit_code(n), f"上海测试{n}号有限公司", b, industry, employees, "内资", D(2020, 2, 10),
         "联系人" if complete else None, "13800000000" if complete else None]
        for n, b, industry, employees, complete, _ in rows])


RETURN_COLUMNS = ["report_date", "credit_code", "on_site", "remote", "from_key_areas", "from_abroad", "fever"]


def return_rows(days: Iterable[dt.date], on_site: dict[int, int] | None = None,
                events: dict[tuple[int, dt.date], tuple[int, int, int]] | None = None) -> list[list]:
    """Daily returns of every company on these days (the base figures unless `on_site` says otherwise)."""
    events = EVENTS if events is None else events
    rows = []
    for day in days:
        for n, b, _, _, _, base in COMPANY_ROWS:
            if (b, day) in SILENT:
                continue
            key_areas, abroad, fever = events.get((n, day), (0, 0, 0))
            rows.append([day, credit_code(n), (on_site or {}).get(n, base), 0, key_areas, abroad, fever])
    return rows


def returns_sheet(rows: list[list]) -> Sheet:
    return (DAILY_RETURNS, RETURN_COLUMNS, rows)


def checks_sheet(rows=CHECK_ROWS) -> Sheet:
    columns = ["check_date", "building_id", "area_closed", "area_registration", "area_plan", "area_disinfection",
               "area_mobilisation", "area_service", "duty_score"]
    return (CHECKS, columns, [[day, b, *items, duty] for day, b, items, duty in rows])


def build(store: Store, config: str = TEST_CONFIG) -> None:
    """The base database: configuration first, then the files in the order an analyst uploads them."""
    from pipelines.grading.grade import save_config

    save_config(store, config, "测试管理员", "测试配置")
    upload(store, "名录.xlsx", buildings_sheet(), companies_sheet())
    upload(store, "检查.xlsx", checks_sheet())
    upload(store, "日报_1.xlsx", returns_sheet(return_rows(DAYS[:5])))
    upload(store, "日报_2.xlsx", returns_sheet(return_rows(DAYS[5:])))
