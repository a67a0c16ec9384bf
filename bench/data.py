"""Synthetic data at street, district and city scale for the benchmark (bench/run.py).

Generated with numpy straight into Arrow tables and inserted into the store's raw tables as committed
batches (one batch per directory sheet and per day of daily returns), exactly as uploads leave them, so
that every query, view and grading step downstream runs on data of the real shape. Deterministic: the same
scale and seed give the same rows. Also writes the one large daily-returns workbook the ingest path is
timed on (xlsxwriter, constant_memory), with a title row above the header as street offices make them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipelines.core.contract import CHECK_AREAS, CREDIT_ALPHABET, CREDIT_WEIGHTS, DAILY_RETURNS, SHEET_BY_KIND
from pipelines.core.store import Store, refresh_current
from pipelines.situation import metrics

START = dt.date(2020, 2, 3)
SEED = 20200217
ACTOR = "基准测试"

INDUSTRIES = ("信息传输、软件和信息技术服务业", "租赁和商务服务业", "金融业", "文化、体育和娱乐业", "科学研究和技术服务业",
              "批发和零售业", "住宿和餐饮业", "教育", "房地产业", "制造业")
INDUSTRY_SHARE = np.array([0.20, 0.18, 0.10, 0.08, 0.09, 0.12, 0.08, 0.07, 0.05, 0.03])
INDUSTRY_SPEED = np.array([0.95, 0.70, 0.80, 0.60, 0.85, 0.45, 0.35, 0.15, 0.55, 0.65])
COMPANY_TYPES = ("内资", "日资", "韩资", "其他外资", "港澳台")
COMPANY_TYPE_SHARE = np.array([0.70, 0.08, 0.03, 0.12, 0.07])
PLANNED_OFFSETS = np.array([7, 14, 21, 28, 42])  # days after START: 2月10日, 2月17日, ...


@dataclass(frozen=True)
class Scale:
    name: str
    streets: int
    buildings: int
    companies: int
    days: int
    xlsx_rows: int  # rows of the daily-returns workbook the ingest path is timed on
    new_day_rows: int  # rows of "a new day's batch" (all companies, one day)

    @property
    def company_days(self) -> int:
        return self.companies * self.days


SCALES = {
    "tiny": Scale("tiny", 2, 8, 200, 10, 2_000, 200),
    "street": Scale("street", 1, 40, 2_000, 60, 200_000, 2_000),
    "district": Scale("district", 10, 400, 20_000, 60, 200_000, 20_000),
    "city": Scale("city", 215, 10_000, 500_000, 90, 200_000, 500_000),
}


# -- the world: streets, buildings, companies -----------------------------------------------------

@dataclass
class World:
    scale: Scale
    buildings: pa.Table  # raw_buildings columns (without batch_id, row_no, sheet)
    companies: pa.Table
    # per company, for daily returns
    employees: np.ndarray
    planned: np.ndarray  # day index of planned return
    speed: np.ndarray
    building_of: np.ndarray  # building index
    quality: np.ndarray  # per building, 0-1

    def day(self, index: int) -> dt.date:
        return START + dt.timedelta(days=index)


def credit_codes(ids: np.ndarray) -> pa.Array:
    """Valid, unique 统一社会信用代码 for integer ids (GB 32100-2015 check character included)."""
    alphabet = np.frombuffer(CREDIT_ALPHABET.encode(), dtype=np.uint8)
    n = len(ids)
    digits = np.zeros((n, 17), dtype=np.int64)
    prefix = [CREDIT_ALPHABET.index(c) for c in "91310105"]
    digits[:, :8] = prefix
    # spread consecutive ids over the code space so codes do not look sequential
    value = (ids.astype(np.int64) * 1_000_003 + 7_919) % (31 ** 9)
    for pos in range(16, 7, -1):
        digits[:, pos] = value % 31
        value //= 31
    total = (digits * np.array(CREDIT_WEIGHTS, dtype=np.int64)).sum(axis=1)
    check = (31 - total % 31) % 31
    codes = np.concatenate([alphabet[digits], alphabet[check][:, None]], axis=1).astype(np.uint8)
    return pa.array(codes.view("S18").ravel()).cast(pa.string())


def _choice_strings(rng: np.random.Generator, options: tuple[str, ...], p: np.ndarray, n: int) -> pa.Array:
    index = rng.choice(len(options), size=n, p=p / p.sum())
    return pa.DictionaryArray.from_arrays(pa.array(index, pa.int32()), pa.array(options)).cast(pa.string())


def build_world(scale: Scale, seed: int = SEED) -> World:
    rng = np.random.default_rng(seed)
    nb, nc = scale.buildings, scale.companies
    # every street has at least one building; the rest fall where they may
    street_of = np.sort(np.concatenate([np.arange(scale.streets), rng.integers(0, scale.streets, nb - scale.streets)]))
    street_names = np.array([f"第{i + 1:03d}街道" for i in range(scale.streets)], dtype=object)
    per_street = np.bincount(street_of, minlength=scale.streets)
    seq = np.concatenate([np.arange(k) for k in per_street])
    building_ids = [f"S{s + 1:03d}-{j + 1:03d}" for s, j in zip(street_of, seq, strict=True)]
    floor_area = rng.integers(24, 220, nb) * 500.0
    quality = np.clip(rng.normal(0.84, 0.12, nb), 0.3, 0.98)
    centre_lon = 121.20 + 0.55 * rng.random(scale.streets)
    centre_lat = 30.90 + 0.55 * rng.random(scale.streets)
    buildings = pa.table({
        "building_id": pa.array(building_ids),
        "building_name": pa.array([f"{street_names[s]}{j + 1}号楼" for s, j in zip(street_of, seq, strict=True)]),
        "street": pa.array(street_names[street_of].tolist()),
        "address": pa.array([f"示例路{i + 1}号" for i in range(nb)]),
        "lon": np.round(centre_lon[street_of] + rng.normal(0, 0.006, nb), 6),
        "lat": np.round(centre_lat[street_of] + rng.normal(0, 0.005, nb), 6),
        "crs": pa.array(np.where(np.arange(nb) % 9 == 4, "WGS84", "GCJ02").tolist()),
        "floor_area": floor_area,
        "floors": pa.array(rng.integers(8, 39, nb), pa.int32()),
        "property_company": pa.array([f"物业公司{k}" for k in rng.integers(1, 60, nb)]),
        "building_manager": pa.array([f"楼长{i + 1}" for i in range(nb)]),
    })
    # companies: by floor area, so large buildings hold more tenants
    building_of = np.sort(rng.choice(nb, size=nc, p=floor_area / floor_area.sum()))
    industry = rng.choice(len(INDUSTRIES), size=nc, p=INDUSTRY_SHARE / INDUSTRY_SHARE.sum())
    employees = np.maximum(1, rng.lognormal(np.log(9.0) - 0.5, 1.0, nc)).astype(np.int32)
    speed = INDUSTRY_SPEED[industry]
    planned = PLANNED_OFFSETS[np.where(speed >= 0.8, rng.choice(5, nc, p=[0.88, 0.08, 0.04, 0, 0]),
                                       rng.choice(5, nc, p=[0.4, 0.32, 0.14, 0.09, 0.05]))]
    complete = rng.random(nc) < quality[building_of]
    ids = np.arange(nc)
    company_names = pa.array([f"上海示例{i + 1}号有限公司" for i in range(nc)])
    companies = pa.table({
        "credit_code": credit_codes(ids),
        "company_name": company_names,
        "building_id": pa.array(np.array(building_ids, dtype=object)[building_of].tolist()),
        "floor": pa.array(rng.integers(1, 30, nc), pa.int32()),
        "industry": pa.DictionaryArray.from_arrays(pa.array(industry, pa.int32()), pa.array(INDUSTRIES))
                      .cast(pa.string()),
        "employees": pa.array(employees, pa.int32()),
        "company_type": _choice_strings(rng, COMPANY_TYPES, COMPANY_TYPE_SHARE, nc),
        "key_company": pa.array(np.where(employees > 150, "是", "否").tolist()),
        "planned_date": pa.array([START + dt.timedelta(days=int(d)) for d in planned], pa.date32()),
        "contact_person": pa.array([f"联系人{i}" if c else None for i, c in enumerate(complete)], pa.string()),
        "contact_phone": pa.array([f"139{i:08d}" if c else None for i, c in enumerate(complete)], pa.string()),
    })
    return World(scale, buildings, companies, employees, planned, speed, building_of, quality)


# -- daily rows ------------------------------------------------------------------------------------

class ReturnsGenerator:
    """Daily returns day by day: staff come back after each company's planned day, faster in software,
    weekends dip; a few returnees from key areas / abroad; home observation is their 14-day sum; rare fever."""

    def __init__(self, world: World, seed: int = SEED) -> None:
        self.world = world
        self.rng = np.random.default_rng(seed + 1)
        self.recent = np.zeros((14, world.scale.companies), dtype=np.int16)

    def day(self, index: int, companies: np.ndarray | None = None) -> pa.Table:
        w, rng = self.world, self.rng
        n = w.scale.companies
        since = index - w.planned
        ramp = 1 - np.exp(-(np.maximum(since, 0) + 1) * (0.05 + 0.12 * w.speed))
        share = np.where(since < 0, np.where(rng.random(n) < 0.05, 0.05, 0.0), (0.25 + 0.7 * w.speed) * ramp + 0.1)
        day = w.day(index)
        if day.weekday() >= 5:
            share = share * 0.25
        share = np.clip(share * rng.uniform(0.85, 1.1, n), 0, 1)
        on_site = np.round(w.employees * share).astype(np.int32)
        remote = np.round((w.employees - on_site) * rng.uniform(0.2, 0.6, n)).astype(np.int32)
        root = np.sqrt(w.employees)
        key_areas = (rng.random(n) < (0.004 if index < 27 else 0.0005) * root).astype(np.int32)
        abroad = (rng.random(n) < (0.0005 if index < 27 else 0.002) * root).astype(np.int32)
        self.recent[index % 14] = key_areas + abroad
        observation = self.recent.sum(axis=0, dtype=np.int32)
        fever = (rng.random(n) < 0.00002).astype(np.int32)
        keep = slice(None) if companies is None else companies
        count = n if companies is None else len(companies)
        return pa.table({
            "report_date": pa.array([day] * count, pa.date32()),
            "credit_code": w.companies.column("credit_code").take(pa.array(np.arange(n)[keep])),
            "company_name": pa.nulls(count, pa.string()),
            "on_site": on_site[keep], "remote": remote[keep], "from_key_areas": key_areas[keep],
            "from_abroad": abroad[keep], "home_observation": observation[keep], "fever": fever[keep],
        })


def checks_table(world: World, days: int, seed: int = SEED) -> pa.Table:
    """Inspections every 3 days in well-run buildings, every 4-7 days elsewhere."""
    rng = np.random.default_rng(seed + 2)
    nb = world.scale.buildings
    interval = np.where(world.quality > 0.8, 3, rng.choice([4, 5, 7], nb))
    first = rng.integers(0, interval)
    rows_b, rows_d = [], []
    for b in range(nb):
        d = np.arange(first[b], days, interval[b])
        rows_b.append(np.full(len(d), b))
        rows_d.append(d)
    b_idx, d_idx = np.concatenate(rows_b), np.concatenate(rows_d)
    n = len(b_idx)
    improving = np.minimum(1.0, world.quality[b_idx] + 0.1 * d_idx / 57)
    areas = {}
    for name, (_label, items) in CHECK_AREAS.items():
        areas[name] = pa.array(np.clip(np.round(items * improving + rng.normal(0, 0.6, n)), 0, items), pa.int32())
    return pa.table({
        "check_date": pa.array([START + dt.timedelta(days=int(d)) for d in d_idx], pa.date32()),
        "building_id": world.buildings.column("building_id").take(pa.array(b_idx)),
        **areas,
        "duty_score": np.round(np.clip(45 + 55 * world.quality[b_idx] + rng.normal(0, 6, n), 20, 100), 1),
        "issues_found": pa.nulls(n, pa.string()),
        "inspector": pa.array([f"检查员{k}" for k in rng.integers(1, 99, n)]),
    })


def requests_table(world: World, days: int, seed: int = SEED) -> pa.Table:
    rng = np.random.default_rng(seed + 3)
    n = max(3, world.scale.companies // 9)
    opened = rng.integers(0, days, n)
    closed = opened + rng.integers(1, 15, n)
    done = (rng.random(n) < 0.65) & (closed < days)
    return pa.table({
        "request_id": pa.array([f"SQ{i + 1:07d}" for i in range(n)]),
        "request_date": pa.array([START + dt.timedelta(days=int(d)) for d in opened], pa.date32()),
        "credit_code": world.companies.column("credit_code").take(pa.array(rng.integers(0, world.scale.companies, n))),
        "category": _choice_strings(rng, ("融资", "租金减免", "法律", "用工", "物资", "其他"),
                                    np.array([0.2, 0.3, 0.08, 0.17, 0.18, 0.07]), n),
        "content": pa.array(["申请减免租金"] * n),
        "status": pa.array(np.where(done, "已办结", "办理中").tolist()),
        "closed_date": pa.array([START + dt.timedelta(days=int(c)) if d else None for c, d in
                                 zip(closed, done, strict=True)], pa.date32()),
    })


# -- into the store --------------------------------------------------------------------------------

SHEET_LABELS = {"buildings": "楼宇名录", "companies": "企业名录", "daily_returns": "返岗日报", "checks": "楼宇检查",
                "requests": "企业诉求"}


def insert_batch(store: Store, kind: str, table: pa.Table, file_name: str) -> int:
    """One committed batch of already-typed rows, as write.write_batch leaves them (audited)."""
    digest = hashlib.sha256(f"{file_name}:{table.num_rows}".encode()).hexdigest()
    with store.transaction() as cur:
        batch_id = store.next_id(cur, "batch_id_seq", "batches", "batch_id")
        cur.execute(
            "insert into batches (batch_id, file_name, sha256, stored_as, sheets, uploaded_by) "
            "values (?, ?, ?, ?, ?, ?)",
            [batch_id, file_name, digest, f"{digest}.parquet",
             json.dumps({kind: {"rows": table.num_rows, "sheets": [SHEET_LABELS[kind]]}}, ensure_ascii=False),
             ACTOR],
        )
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        cur.register("bench_rows", table)
        cur.execute(f"insert into raw_{kind} (batch_id, row_no, sheet, {cols}) "
                    f"select ?, (row_number() over ())::integer + 3, ?, {cols} from bench_rows",
                    [batch_id, SHEET_LABELS[kind]])
        cur.unregister("bench_rows")
        refresh_current(cur, SHEET_BY_KIND[kind], batch_id, committed=True)
        store.audit(cur, ACTOR, "batch.commit", str(batch_id), None, {"file": file_name, "rows": table.num_rows})
    return batch_id


def build_store(path: Path, scale: Scale, log: Callable[[str], None] = print) -> World:
    """A store at this scale: directory, inspections, requests, and one batch per day of daily returns.
    Grades are not computed here (the benchmark times the full regrade)."""
    world = build_world(scale)
    store = Store(path)
    try:
        store.set_meta("bench_scale", scale.name)
        insert_batch(store, "buildings", world.buildings, "楼宇名录.parquet")
        insert_batch(store, "companies", world.companies, "企业名录.parquet")
        insert_batch(store, "checks", checks_table(world, scale.days), "楼宇检查.parquet")
        insert_batch(store, "requests", requests_table(world, scale.days), "企业诉求.parquet")
        gen = ReturnsGenerator(world)
        for index in range(scale.days):
            table = gen.day(index)
            insert_batch(store, "daily_returns", table, f"返岗日报_{world.day(index).isoformat()}.parquet")
            if index % 10 == 9 or index == scale.days - 1:
                log(f"  返岗日报 {index + 1}/{scale.days} 天")
        with store.transaction() as cur:
            metrics.refresh_returns_by_building(cur, None)  # what the commits' hooks would have kept
        store.con.execute("checkpoint")
    finally:
        store.close()
    return world


# -- the workbooks the ingest path is timed on ----------------------------------------------------

RETURN_COLUMNS = [f.name for f in DAILY_RETURNS.fields]


def after_period_returns(world: World, rows: int) -> pa.Table:
    """`rows` daily returns for the days right after the generated period: every company for as many
    days as it takes (street: 100 days of 2,000 companies; city: one day of 200,000 companies)."""
    n = world.scale.companies
    gen = ReturnsGenerator(world, SEED + 10)
    parts, left, index = [], rows, world.scale.days
    while left > 0:
        take = np.arange(min(n, left))
        table = gen.day(index, take)
        parts.append(table.set_column(2, "company_name",
                                      world.companies.column("company_name").take(pa.array(take))))
        left -= len(take)
        index += 1
    return pa.concat_tables(parts)


def write_returns_xlsx(path: Path, table: pa.Table, title: str) -> Path:
    """A 返岗日报 workbook as a street office sends it: title row, header, date cells, numbers."""
    import xlsxwriter

    labels = {f.name: f.label for f in DAILY_RETURNS.fields}
    tmp = path.with_suffix(".part.xlsx")
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False})
    wb.set_properties({"created": dt.datetime(2020, 4, 1, 9, 0, 0), "author": ACTOR})
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("返岗日报")
    ws.write(0, 0, title, wb.add_format({"bold": True, "font_size": 14}))
    ws.write_row(1, 0, [labels[c] for c in RETURN_COLUMNS], wb.add_format({"bold": True}))
    columns = [table.column(c).to_pylist() for c in RETURN_COLUMNS]
    write_number, write_string = ws.write_number, ws.write_string
    for r, row in enumerate(zip(*columns, strict=True), start=2):
        ws.write_datetime(r, 0, dt.datetime.combine(row[0], dt.time()), date_format)
        write_string(r, 1, row[1])
        if row[2] is not None:
            write_string(r, 2, row[2])
        for c in range(3, 9):
            write_number(r, c, row[c])
    ws.set_column(0, 2, 16)
    wb.close()
    tmp.replace(path)
    return path
