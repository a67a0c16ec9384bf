"""Deterministic sample workbooks for 江苏路、华阳路 and 虹桥 streets, 2020-02-03 to 2020-03-31.

They are exactly the files an analyst would upload (title rows, one GBK CSV, one UTF-8-BOM CSV), and the
sample database is built by ingesting them through the same pipeline as real data. Calibrated on the
seed articles: 24 buildings and 1,000+ companies in 江苏路; 38 buildings, 1,746 companies and ~17,000
staff in 虹桥; 兆丰世贸大厦 about 20% back on 2月17日; 舜元 under a quarter; software companies 80%+ back by
mid-February; returnees from abroad rising in March. Building quality is a property of the data
(strict management, clean ledgers), never of a name in the grading code.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

from pipelines.core.contract import (
    BUILDINGS,
    CHECK_AREAS,
    CHECKS,
    COMPANIES,
    DAILY_RETURNS,
    EPIDEMIC,
    KEY_POINTS,
    REQUESTS,
    WORK_PROGRESS,
    SheetSpec,
    credit_check_char,
)
from pipelines.situation.geo import gcj02_to_wgs84, load_outline, load_reference, point_in_polygon

SEED = 20200217
START = dt.date(2020, 2, 3)
END = dt.date(2020, 3, 31)


@dataclass(frozen=True)
class StreetPlan:
    name: str
    prefix: str
    buildings: int
    companies: int
    staff: int
    centre: tuple[float, float]  # GCJ-02 lon, lat
    radius_m: float


STREETS = (
    StreetPlan("江苏路街道", "JSL", 24, 1040, 12500, (121.4305, 31.2200), 650),
    StreetPlan("华阳路街道", "HYL", 28, 1220, 14000, (121.4225, 31.2215), 700),
    StreetPlan("虹桥街道", "HQ", 38, 1746, 17000, (121.4040, 31.2010), 1000),
)

# Real buildings from the seed articles with their management profile in the sample data.
# quality: how strictly the property manager runs prevention (0-1); ledger: share of complete records.
REAL_PROFILES = {
    "兆丰世贸大厦": {"quality": 0.62, "ledger": 0.9, "mix": 0.35, "lag": 0.20},
    "舜元企业发展大厦": {"quality": 0.55, "ledger": 0.8, "mix": 0.3, "lag": 0.23},
    "长宁八八中心": {"quality": 0.97, "ledger": 1.0, "mix": 0.02, "lag": None, "focus": 0.92},
    "多媒体生活广场": {"quality": 0.96, "ledger": 1.0, "mix": 0.02, "lag": None, "focus": 0.92},
}

INDUSTRIES = {
    # name: (share of companies, speed of return 0-1, mixed-use kind)
    "信息传输、软件和信息技术服务业": (0.20, 0.95, False),
    "租赁和商务服务业": (0.18, 0.70, False),
    "金融业": (0.10, 0.80, False),
    "文化、体育和娱乐业": (0.08, 0.60, False),
    "科学研究和技术服务业": (0.09, 0.85, False),
    "批发和零售业": (0.12, 0.45, True),
    "住宿和餐饮业": (0.08, 0.35, True),
    "教育": (0.07, 0.15, True),
    "房地产业": (0.05, 0.55, False),
    "制造业": (0.03, 0.65, False),
}
COMPANY_TYPE_SHARE = (("内资", 0.70), ("日资", 0.08), ("韩资", 0.03), ("其他外资", 0.12), ("港澳台", 0.07))
NAME_WORDS = list("华信达远泰安恒瑞博联创新成源科通汇鼎盛合宏嘉和众凯越融智云启明德")
BUILDING_WORDS = ("愚园", "武夷", "镇宁", "安西", "利西", "长宁", "延安", "定西", "法华", "新华", "番禺", "淮海",
                  "天山", "仙霞", "遵义", "古北", "虹桥", "娄山", "茅台", "玉屏", "水城", "宣化", "中山", "凯旋")
BUILDING_SUFFIX = ("大厦", "商务楼", "中心", "广场", "园区", "大楼")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧建国平"
PROPERTY_COMPANIES = ("仲量联行物业", "第一太平戴维斯", "上海陆家嘴物业", "上海东湖物业", "上海锦江物业", "长宁物业公司",
                      "世邦魏理仕", "上海明华物业")
REQUEST_TEXTS = {
    "融资": ("申请疫情期间贷款贴息", "流动资金紧张，希望对接银行信贷", "申请纾困专项贷款"),
    "租金减免": ("申请减免2月租金", "希望物业减免部分租金和物业费", "咨询国有物业租金减免政策"),
    "法律": ("合同延期履行的法律咨询", "劳动合同与工资支付的法律咨询"),
    "用工": ("员工返沪受阻，需协调", "招聘需求对接", "外地员工隔离期间工资问题"),
    "物资": ("口罩短缺，申请采购渠道", "需要测温枪和消毒用品", "申请口罩预约配额"),
    "其他": ("班车恢复协调", "食堂复开审批咨询", "电梯分流管理建议"),
}
MILESTONE_FIRST_DAY = dt.date(2020, 2, 10)
MILESTONE_WAVE = dt.date(2020, 2, 17)


@dataclass
class Building:
    building_id: str
    name: str
    street: str
    address: str
    lon: float
    lat: float
    crs: str
    floor_area: float
    floors: int
    property_company: str
    manager: str
    quality: float
    ledger: float
    mix: float
    lag: float | None
    focus: float  # share of tenants from the building's own few main industries
    main_industries: tuple[str, ...]
    companies: list[Company] = field(default_factory=list)


@dataclass
class Company:
    credit_code: str
    name: str
    building: Building
    floor: int
    industry: str
    employees: int
    company_type: str
    key_company: str
    planned: dt.date
    contact: str | None
    phone: str | None
    speed: float


# -- generation ------------------------------------------------------------------------------

def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _credit_code(rng: random.Random, used: set[str]) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    while True:
        body = "91310105" + "".join(rng.choice(alphabet) for _ in range(9))
        code = body + (credit_check_char(body) or "0")
        if code not in used:
            used.add(code)
            return code


def build_world(seed: int = SEED, scale: float = 1.0) -> list[Building]:
    """Buildings with their companies; `scale` shrinks company counts for fast tests."""
    rng = random.Random(seed)
    outline = load_outline("gcj02")
    reference = load_reference()
    used_codes: set[str] = set()
    used_names: set[str] = set()
    buildings: list[Building] = []
    for plan in STREETS:
        real = [r for r in reference if r["street"] == plan.name]
        street_buildings: list[Building] = []
        for i in range(plan.buildings):
            bid = f"{plan.prefix}-{i + 1:03d}"
            if i < len(real):
                ref = real[i]
                name, address = ref["name"], ref["address"]
                lon, lat = float(ref["lon_gcj02"]), float(ref["lat_gcj02"])
                profile = REAL_PROFILES.get(name, {})
            else:
                while True:
                    name = rng.choice(BUILDING_WORDS) + rng.choice(("", "国际", "商务", "科技", "创意")) + \
                        rng.choice(BUILDING_SUFFIX)
                    if name not in used_names:
                        break
                address = f"{rng.choice(BUILDING_WORDS)}路{rng.randint(1, 1200)}号"
                while True:
                    angle, dist = rng.uniform(0, 2 * math.pi), plan.radius_m * math.sqrt(rng.random())
                    lon = plan.centre[0] + dist * math.cos(angle) / 95_000
                    lat = plan.centre[1] + dist * math.sin(angle) / 111_000
                    if point_in_polygon(lon, lat, outline):
                        break
                profile = {}
            used_names.add(name)
            quality = profile.get("quality", min(0.98, max(0.3, rng.gauss(0.84, 0.12))))
            ledger = profile.get("ledger", min(1.0, max(0.55, rng.gauss(0.88, 0.12))))
            mix = profile.get("mix", min(0.7, max(0.0, rng.gauss(0.15, 0.15))))
            crs = "GCJ02"
            if i % 9 == 4:  # some property managers give GPS (WGS-84) positions
                crs = "WGS84"
                lon, lat = gcj02_to_wgs84(lon, lat)
            street_buildings.append(Building(
                bid, name, plan.name, address, round(lon, 6), round(lat, 6), crs,
                float(rng.randrange(12_000, 110_000, 500)), rng.randint(8, 38), rng.choice(PROPERTY_COMPANIES),
                _person(rng), quality, ledger, mix, profile.get("lag"),
                profile.get("focus", min(0.9, max(0.2, rng.gauss(0.55, 0.2)))),
                tuple(rng.sample([i for i in INDUSTRIES if not INDUSTRIES[i][2]], 2)),
            ))
        _fill_companies(rng, plan, street_buildings, used_codes, max(1, round(plan.companies * scale)))
        buildings.extend(street_buildings)
    return buildings


def _fill_companies(rng: random.Random, plan: StreetPlan, buildings: list[Building], used: set[str],
                    count: int) -> None:
    weights = [b.floor_area for b in buildings]
    mean_staff = plan.staff / plan.companies
    industries = list(INDUSTRIES)
    for _n in range(count):
        b = rng.choices(buildings, weights)[0]
        mixed = [i for i in industries if INDUSTRIES[i][2]]
        if rng.random() < b.mix:
            industry = rng.choice(mixed)
        elif rng.random() < b.focus:
            industry = rng.choice(b.main_industries)
        else:
            industry = rng.choices(industries, [INDUSTRIES[i][0] * (0.3 if INDUSTRIES[i][2] else 1)
                                                for i in industries])[0]
        employees = max(1, int(rng.lognormvariate(math.log(mean_staff) - 0.5, 1.0)))
        complete = rng.random() < b.ledger
        speed = INDUSTRIES[industry][1]
        planned = rng.choices(
            (MILESTONE_FIRST_DAY, MILESTONE_WAVE, dt.date(2020, 2, 24), dt.date(2020, 3, 2), dt.date(2020, 3, 16)),
            (0.88, 0.08, 0.04, 0, 0) if speed >= 0.8 else
            (0.1, 0.2, 0.3, 0.25, 0.15) if speed < 0.4 else (0.4, 0.32, 0.14, 0.09, 0.05),
        )[0]
        ctype = rng.choices([t for t, _ in COMPANY_TYPE_SHARE], [w for _, w in COMPANY_TYPE_SHARE])[0]
        word = "".join(rng.choice(NAME_WORDS) for _ in range(2))
        suffix = {"住宿和餐饮业": "餐饮管理", "教育": "教育科技", "批发和零售业": "贸易", "金融业": "投资管理",
                  "信息传输、软件和信息技术服务业": "信息技术", "科学研究和技术服务业": "科技"}.get(industry, "企业管理咨询")
        b.companies.append(Company(
            _credit_code(rng, used), f"上海{word}{suffix}有限公司", b, rng.randint(1, b.floors), industry,
            employees, ctype, "是" if employees > 150 or rng.random() < 0.04 else "否", planned,
            _person(rng) if complete or rng.random() < 0.5 else None,
            f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}" if complete else None,
            INDUSTRIES[industry][1],
        ))


def days() -> list[dt.date]:
    return [START + dt.timedelta(d) for d in range((END - START).days + 1)]


def returns_rows(rng: random.Random, buildings: list[Building], period: list[dt.date]) -> list[list]:
    """Daily returns: on site grows after each company's planned date, faster in software, slower in
    training and catering; weekends dip; key-area returnees in February, overseas ones in March."""
    rows = []
    fever_events = {  # (building index in the street, day) -> count: a handful, rare as they were
        (len(buildings) - 3, dt.date(2020, 2, 26)): 1, (len(buildings) - 6, dt.date(2020, 3, 9)): 1,
        (len(buildings) - 9, dt.date(2020, 3, 20)): 2,
    }
    for b_index, b in enumerate(buildings):
        for c in b.companies:
            history: list[tuple[int, int]] = []
            for day in period:
                since = (day - c.planned).days
                if since < 0:
                    share = 0.0 if rng.random() > 0.05 else 0.05  # a few start early with a skeleton crew
                else:
                    ramp = 1 - math.exp(-(since + 1) * (0.05 + 0.12 * c.speed))
                    share = (0.25 + 0.7 * c.speed) * ramp + 0.1
                    if c.industry in ("信息传输、软件和信息技术服务业", "科学研究和技术服务业") and day >= MILESTONE_WAVE:
                        share = max(share, 0.5)
                if b.lag is not None and MILESTONE_FIRST_DAY <= day < dt.date(2020, 3, 2):
                    share = b.lag * (1 + 0.02 * (day - MILESTONE_WAVE).days)  # the seeds' laggards
                if day.weekday() >= 5:
                    share *= 0.25
                share = min(1.0, max(0.0, share * rng.uniform(0.85, 1.1)))
                on_site = int(round(c.employees * share))
                remote = int(round((c.employees - on_site) * (0.6 if since >= 0 else 0.3) * rng.uniform(0.6, 1.0)))
                key_areas = 1 if day < dt.date(2020, 3, 1) and rng.random() < 0.004 * c.employees ** 0.5 else 0
                abroad_rate = 0.0005 if day < dt.date(2020, 3, 1) else 0.002 + 0.0003 * (day - dt.date(2020, 3, 1)).days
                abroad = 1 if rng.random() < abroad_rate * c.employees ** 0.5 else 0
                history.append((key_areas, abroad))
                observation = sum(k + a for k, a in history[-14:])
                fever = fever_events.pop((b_index, day), 0) if c is b.companies[0] else 0
                rows.append([day.isoformat(), c.credit_code, c.name, on_site, remote, key_areas, abroad,
                             observation, fever])
    return rows


def check_rows(rng: random.Random, buildings: list[Building], period: list[dt.date]) -> list[list]:
    rows = []
    for b in buildings:
        interval = 3 if b.quality > 0.8 else rng.choice((4, 5, 7))
        day = START + dt.timedelta(rng.randint(0, interval - 1))
        while day <= END:
            improving = min(1.0, b.quality + 0.1 * (day - START).days / 57)
            passed = [min(items, max(0, round(items * improving + rng.gauss(0, 0.6)))) for _, items in
                      CHECK_AREAS.values()]
            duty = round(min(100, max(20, 45 + 55 * b.quality + rng.gauss(0, 6))), 1)
            missing = [label for (label, items), p in zip(CHECK_AREAS.values(), passed, strict=True) if p < items]
            issue = "；".join(f"{label}未完全落实" for label in missing[:2])
            rows.append([day.isoformat(), b.building_id, *passed, duty, issue or None, _person(rng)])
            day += dt.timedelta(interval if b.quality > 0.8 or rng.random() < 0.7 else interval * 2)
    return rows


def request_rows(rng: random.Random, buildings: list[Building], prefix: str) -> list[list]:
    rows = []
    companies = [c for b in buildings for c in b.companies]
    for n in range(max(3, len(companies) // 9)):
        c = rng.choice(companies)
        if c.building.name == "兆丰世贸大厦" and n % 2 == 0:
            category = rng.choice(("租金减免", "用工"))
        else:
            category = rng.choices(list(REQUEST_TEXTS), (0.2, 0.3, 0.08, 0.17, 0.18, 0.07))[0]
        opened = START + dt.timedelta(rng.randint(0, (END - START).days))
        age = (END - opened).days
        fate = rng.random()
        if fate < 0.65 and age > 2:
            status, closed = "已办结", opened + dt.timedelta(rng.randint(1, min(age, 14)))
        elif fate < 0.85:
            status, closed = "办理中", None
        else:
            status, closed = "待办", None
        rows.append([f"{prefix}-SQ{n + 1:04d}", opened.isoformat(), c.credit_code, category,
                     rng.choice(REQUEST_TEXTS[category]), status, closed.isoformat() if closed else None])
    return rows


# -- 一网统管 防疫专项 (issue 18) -----------------------------------------------------------------
# Anchors in the shape of the public early-2020 curves (累计确诊; country and city), linear between them;
# the district's and streets' figures are small and made up.
CONFIRMED_ANCHORS = {
    "全国": {"02-03": 17205, "02-05": 28018, "02-08": 37198, "02-11": 44653, "02-12": 59804, "02-15": 68500,
             "02-19": 74576, "02-24": 77658, "03-01": 79968, "03-10": 80778, "03-20": 81300, "03-31": 81554},
    "全市": {"02-03": 219, "02-06": 254, "02-10": 299, "02-15": 318, "02-20": 334, "02-29": 337, "03-10": 344,
             "03-15": 353, "03-20": 380, "03-25": 414, "03-31": 498},
    "全区": {"02-03": 6, "02-06": 9, "02-10": 11, "02-18": 13, "03-18": 14, "03-26": 16, "03-31": 17},
}
# Per street: (day of its one or two cases, …) — small numbers, as a street's are.
STREET_CASES = {"江苏路街道": ("02-08",), "华阳路街道": (), "虹桥街道": ("02-05", "03-22")}
EPIDEMIC_COLUMNS = ["report_date", "scope", "confirmed", "suspected", "close_contacts", "home_observation",
                    "released"]
WORK_COLUMNS = ["report_date", "street", "work_item", "target", "done", "unit", "note"]
POINT_COLUMNS = ["point_id", "point_name", "point_type", "street", "address", "lon", "lat", "crs"]
# Work item: (unit, target per 10,000 staff of the street's buildings, first day, days to 90 %)
WORK_PLANS = {
    "地毯式人员排摸": ("户", 15000, "02-03", 12),
    "地毯式消毒": ("处", 480, "02-03", 20),
    "口罩预约发放": ("只", 40000, "02-04", 90),
    "重点人员管控": ("人", 260, "02-03", 70),
    "小区封闭式管理": ("个", 36, "02-03", 6),
    "小型工地": ("处", 10, "02-10", 18),
    "沿街商铺": ("家", 780, "02-06", 60),
    "养老机构": ("家", 4, "02-03", 4),
}
STALE_ITEM = ("华阳路街道", "小型工地", dt.date(2020, 3, 26))  # this street stopped reporting the item
POINT_KINDS = (("社区卫生服务中心", "社区卫生服务中心", 1), ("发热门诊", "医院发热门诊", 1), ("口罩发放点", "药房口罩发放点", 3),
               ("道口卡口", "小区道口", 3), ("集中隔离点", "集中隔离观察点", 1))


def _interpolate(anchors: dict[str, int], day: dt.date) -> int:
    points = [(dt.date.fromisoformat(f"2020-{k}"), v) for k, v in anchors.items()]
    if day <= points[0][0]:
        return points[0][1]
    for (d0, v0), (d1, v1) in zip(points, points[1:], strict=False):
        if d0 <= day <= d1:
            return round(v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days)
    return points[-1][1]


def epidemic_rows(rng: random.Random, street: str, period: list[dt.date], upper: bool) -> list[list]:
    """疫情发展 rows: the country, city and district (when `upper`) and the street, every day of the period."""
    rows = []
    scale = {"全国": 1.0, "全市": 0.012, "全区": 0.0006}
    peak = 160 + rng.randint(-20, 20)  # the street's residents in home observation at the peak
    for day in period:
        t = (day - START).days
        if upper:
            for scope, anchors in CONFIRMED_ANCHORS.items():
                confirmed = _interpolate(anchors, day)
                k = scale[scope]
                suspected = round(k * 21000 * math.exp(-t / 9) + (2 if scope != "全区" and day.month == 3 else 0))
                contacts = round(k * 190000 * math.exp(-((t - 6) / 16) ** 2) + k * 8000)
                observing = round(k * 900000 * math.exp(-((t - 12) / 14) ** 2) + k * 30000)
                released = round(k * 30000 + k * 700000 * (1 - math.exp(-t / 20)))
                rows.append([day.isoformat(), scope, confirmed, suspected, contacts, observing, released])
        cases = sum(1 for c in STREET_CASES.get(street, ()) if dt.date.fromisoformat(f"2020-{c}") <= day)
        observing = round(peak * math.exp(-((t - 14) / 10) ** 2) + 12 + (t // 10))
        released = round(sum(peak * math.exp(-((u - 14) / 10) ** 2) for u in range(max(0, t - 13))) / 14 * 1.0)
        contacts = 0 if cases == 0 else max(0, 6 - (t - 2) // 4)
        suspected = 1 if t in (1, 2, 47) else 0
        rows.append([day.isoformat(), street, cases, suspected, contacts, observing, released])
    return rows


def work_rows(rng: random.Random, street: StreetPlan, period: list[dt.date]) -> list[list]:
    """工作进度 rows: each work item's running total rising towards its target (a logistic curve)."""
    rows = []
    size = street.staff / 10000
    for item, (unit, per, first, speed) in WORK_PLANS.items():
        target = max(2, round(per * size * (0.9 + 0.2 * rng.random())))
        if item == "沿街商铺" and street.name == "江苏路街道":
            target = 977  # the seeds: 977 street shops in 江苏路
        start = dt.date.fromisoformat(f"2020-{first}")
        done_before = 0
        for day in period:
            if day < start or (street.name, item) == STALE_ITEM[:2] and day > STALE_ITEM[2]:
                continue
            t = (day - start).days
            share = 1 / (1 + math.exp(-(t - speed / 2) * 4.4 / speed))
            done = max(done_before, min(target, round(target * min(1.0, share * 1.02))))
            note = "已全覆盖" if done == target and done_before < target else None
            rows.append([day.isoformat(), street.name, item, target, done, unit, note])
            done_before = done
    return rows


def point_rows(rng: random.Random, street: StreetPlan) -> list[list]:
    """重要点位 around the street's centre (GCJ-02, as Chinese maps give them)."""
    rows = []
    short = street.name.removesuffix("街道")
    n = 0
    for kind, name, count in POINT_KINDS:
        for i in range(count):
            n += 1
            angle, distance = rng.uniform(0, 2 * math.pi), street.radius_m * rng.uniform(0.2, 0.9)
            lon = street.centre[0] + distance * math.cos(angle) / (111320 * math.cos(math.radians(street.centre[1])))
            lat = street.centre[1] + distance * math.sin(angle) / 110540
            label = f"{short}{name}" + (f"{i + 1}号" if count > 1 else "")
            rows.append([f"{street.prefix}-D{n:02d}", label, kind, street.name,
                         f"长宁区{rng.choice(BUILDING_WORDS)}路{rng.randint(1, 999)}号", round(lon, 6), round(lat, 6),
                         "GCJ02"])
    return rows


# -- writing ---------------------------------------------------------------------------------

FIXED_TIME = dt.datetime(2020, 4, 1, 9, 0, 0)


def _write_xlsx(path: Path, sheets: list[tuple[str, str, SheetSpec, list[str], list[list]]]) -> None:
    """Each sheet: a title row, a unit row, then the header and data, as street offices make them."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    wb.set_properties({"created": FIXED_TIME, "author": "复工态势台示例数据"})
    title_format = wb.add_format({"bold": True, "font_size": 14})
    header_format = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    for sheet_name, title, spec, columns, rows in sheets:
        ws = wb.add_worksheet(sheet_name)
        ws.write(0, 0, title, title_format)
        ws.write(1, 0, f"填报单位：{title[:5]}　　数据截至：{END.isoformat()}")
        labels = {f.name: f.label for f in spec.fields}
        ws.write_row(2, 0, [labels[c] for c in columns], header_format)
        for r, row in enumerate(rows, start=3):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
        ws.set_column(0, len(columns) - 1, 14)
    wb.close()


def _write_csv(path: Path, spec: SheetSpec, columns: list[str], rows: list[list], encoding: str) -> None:
    labels = {f.name: f.label for f in spec.fields}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([labels[c] for c in columns])
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    path.write_bytes(buffer.getvalue().encode(encoding))


BUILDING_COLUMNS = ["building_id", "building_name", "street", "address", "lon", "lat", "crs", "floor_area",
                    "floors", "property_company", "building_manager"]
COMPANY_COLUMNS = ["credit_code", "company_name", "building_id", "floor", "industry", "employees", "company_type",
                   "key_company", "planned_date", "contact_person", "contact_phone"]
RETURN_COLUMNS = ["report_date", "credit_code", "company_name", "on_site", "remote", "from_key_areas",
                  "from_abroad", "home_observation", "fever"]
CHECK_COLUMNS = ["check_date", "building_id", *CHECK_AREAS, "duty_score", "issues_found", "inspector"]
REQUEST_COLUMNS = ["request_id", "request_date", "credit_code", "category", "content", "status", "closed_date"]


def generate(out_dir: Path | str, seed: int = SEED, scale: float = 1.0,
             period: list[dt.date] | None = None) -> list[Path]:
    """Write the sample files into out_dir and return them in the order an analyst would upload them."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    period = period or days()
    world = build_world(seed, scale)
    rng = random.Random(seed + 1)
    epidemic_rng = random.Random(seed + 18)  # its own stream: the older sheets stay as they were
    files: list[Path] = []
    for plan in STREETS:
        street = [b for b in world if b.street == plan.name]
        short = plan.name.removesuffix("街道")
        directory = out / f"{plan.prefix}_{short}_楼宇企业名录.xlsx"
        building_rows = [[b.building_id, b.name, b.street, b.address, b.lon, b.lat, b.crs, b.floor_area, b.floors,
                          b.property_company, b.manager] for b in street]
        company_rows = [[c.credit_code, c.name, c.building.building_id, c.floor, c.industry, c.employees,
                         c.company_type if c.contact or rng.random() < 0.6 else None, c.key_company,
                         c.planned.isoformat() if c.contact or rng.random() < 0.5 else None, c.contact, c.phone]
                        for b in street for c in b.companies]
        _write_xlsx(directory, [
            ("楼宇名录", f"{plan.name}商务楼宇名录", BUILDINGS, BUILDING_COLUMNS, building_rows),
            ("企业名录", f"{plan.name}楼宇入驻企业名录", COMPANIES, COMPANY_COLUMNS, company_rows),
        ])
        files.append(directory)
        returns = returns_rows(rng, street, period)
        months = sorted({d[:7] for d, *_ in returns})
        for month in months:
            month_rows = [r for r in returns if r[0].startswith(month)]
            path = out / f"{plan.prefix}_{short}_返岗日报_{month}.xlsx"
            _write_xlsx(path, [("返岗日报", f"{plan.name}楼宇企业返岗情况日报（{month}）", DAILY_RETURNS, RETURN_COLUMNS,
                                month_rows)])
            files.append(path)
        checks = [r for r in check_rows(rng, street, period) if r[0] <= period[-1].isoformat()]
        path = out / f"{plan.prefix}_{short}_楼宇检查.xlsx"
        _write_xlsx(path, [("楼宇检查", f"{plan.name}商务楼宇防疫检查记录", CHECKS, CHECK_COLUMNS, checks)])
        files.append(path)
        requests = [r for r in request_rows(rng, street, plan.prefix) if r[1] <= period[-1].isoformat()]
        if plan.prefix == "HYL":  # exported from Chinese Excel: GBK
            path = out / f"{plan.prefix}_{short}_企业诉求.csv"
            _write_csv(path, REQUESTS, REQUEST_COLUMNS, requests, "gbk")
        elif plan.prefix == "HQ":  # exported from WPS: UTF-8 with BOM
            path = out / f"{plan.prefix}_{short}_企业诉求.csv"
            _write_csv(path, REQUESTS, REQUEST_COLUMNS, requests, "utf-8-sig")
        else:
            path = out / f"{plan.prefix}_{short}_企业诉求.xlsx"
            _write_xlsx(path, [("企业诉求", f"{plan.name}企业诉求清单", REQUESTS, REQUEST_COLUMNS, requests)])
        files.append(path)
        path = out / f"{plan.prefix}_{short}_防疫专项.xlsx"
        _write_xlsx(path, [
            ("疫情发展", f"{plan.name}疫情发展（人数）", EPIDEMIC, EPIDEMIC_COLUMNS,
             epidemic_rows(epidemic_rng, plan.name, period, upper=plan is STREETS[0])),
            ("工作进度", f"{plan.name}重要工作模块进度", WORK_PROGRESS, WORK_COLUMNS,
             work_rows(epidemic_rng, plan, period)),
            ("重要点位", f"{plan.name}重要点位", KEY_POINTS, POINT_COLUMNS, point_rows(epidemic_rng, plan)),
        ])
        files.append(path)
    return files




def build_database(db_path: Path | str, workdir: Path | str | None = None, scale: float = 1.0,
                   period: list[dt.date] | None = None, log=print) -> Path:
    """Build a sample database by uploading the sample files through the real pipeline."""
    from pipelines.batches.commit import commit_upload
    from pipelines.core.store import Store, store_address
    from pipelines.ingest.read import read_upload

    db_path = store_address(db_path)
    workdir = Path(workdir) if workdir else Path(getattr(db_path, "parent", ".")) / "sample"
    files = generate(workdir, scale=scale, period=period)
    store = Store(db_path)
    try:
        store.set_meta("sample", "1")
        for path in files:
            upload = read_upload(path.name, path.read_bytes())
            batch_id = commit_upload(store, upload, "示例数据", confirm_warnings=True, today=END)
            log(f"  批次 {batch_id}: {path.name} {upload.row_counts()}")
        from pipelines.auth.accounts import add_demo_users  # demo accounts exist only in the sample database

        add_demo_users(store)
    finally:
        store.close()
    return db_path
