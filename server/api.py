"""/api/v1/: the read-only data API for the city platform (一网统管) and analysts' scripts.

Every endpoint answers for one day (?day=YYYY-MM-DD, default the as-of day) and one street (?street=, default
the caller's scope), as JSON or, with ?format=csv, as CSV in UTF-8 with a BOM (Excel and WPS open it without
mojibake; cells that could run as formulas are neutralised). A caller is an API token (Authorization: Bearer
fga_…, made on 用户与审计 or with `python -m pipelines api-tokens create`) or a logged-in browser session.
401 without either, 403 for a street outside the caller's scope. Personal data is masked as for a
non-admin (an admin's browser session sees what the pages show it). The figures come from the same
pipelines functions as the pages, so they are equal to what the pages show for the same day and street.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pipelines.auth import accounts as auth
from pipelines.auth import sessions as web_sessions
from pipelines.core import export, privacy
from pipelines.core.errors import UserError
from pipelines.grading import risk
from pipelines.situation import company_requests, metrics

from . import web

PREFIX = "/api/v1"
MAX_DAYS_BACK = 3660


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- who is asking ---------------------------------------------------------------------------------

def caller(request: Request) -> auth.Principal:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        principal = web_sessions.api_principal(web.store(), token.strip()) if scheme.lower() == "bearer" else None
        if principal is None:
            raise ApiError(401, "API 令牌无效、已过期或已吊销")
        return principal
    session = web.cookie_session(request)
    if session is None:
        raise ApiError(401, "需要 API 令牌：请求头 Authorization: Bearer <令牌>")
    if not session.principal.can(auth.VIEW):
        raise ApiError(403, f"无权限：{session.principal.role_label}角色不能读取数据")
    return session.principal


def _masked(frame: pd.DataFrame, principal: auth.Principal) -> pd.DataFrame:
    return frame if principal.can(auth.PERSONAL) else privacy.mask_frame(frame)


def _street(request: Request, principal: auth.Principal) -> str | None:
    requested = (request.query_params.get("street") or "").strip() or None
    if requested == auth.DISTRICT:
        requested = None
    try:
        return auth.scoped_street(principal, requested)
    except auth.Forbidden as exc:
        raise ApiError(403, exc.message) from None


def _day(request: Request, cur) -> dt.date:
    text = request.query_params.get("day")
    latest = metrics.latest_day(cur)
    if not text:
        if latest is None:
            raise ApiError(404, "还没有返岗日报数据")
        return latest
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ApiError(400, f"日期格式应为 YYYY-MM-DD，收到 {text[:20]!r}") from None
    if latest is not None and not latest - dt.timedelta(days=MAX_DAYS_BACK) <= day <= latest:
        raise ApiError(404, f"{day.isoformat()} 没有数据（截至 {latest.isoformat()}）")
    return day


# -- output ----------------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = [str(c) for c in frame.columns]
    return [{c: _plain(v) for c, v in zip(columns, row, strict=True)} for row in frame.itertuples(index=False)]


def _respond(request: Request, name: str, frame: pd.DataFrame, meta: dict[str, Any]) -> Response:
    headers = {"cache-control": "no-store"}
    if request.query_params.get("format") == "csv":
        filename = f"{name}_{meta.get('day') or 'all'}.csv"
        headers["content-disposition"] = f"attachment; filename=\"{filename}\""
        return Response(export.to_csv_bytes(frame), media_type="text/csv; charset=utf-8", headers=headers)
    return JSONResponse({**{k: _plain(v) for k, v in meta.items()}, "count": len(frame), "rows": records(frame)},
                        headers=headers)


class _Answers:
    """Finished answers by request and data version (the audit's max id moves with every write), as the pages
    cache their queries: a platform polling every minute costs one query per new batch, not per poll."""

    def __init__(self, max_entries: int = 64, max_bytes: int = 64 << 20) -> None:
        self.lock = threading.Lock()
        self.entries: OrderedDict[tuple, Response] = OrderedDict()
        self.max_entries, self.max_bytes = max_entries, max_bytes

    def get(self, key: tuple) -> Response | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def put(self, key: tuple, response: Response) -> None:
        if len(response.body) > self.max_bytes // 4:
            return
        with self.lock:
            self.entries[key] = response
            while len(self.entries) > self.max_entries or \
                    sum(len(r.body) for r in self.entries.values()) > self.max_bytes:
                self.entries.popitem(last=False)


ANSWERS = _Answers()


def _endpoint(name: str, build: Callable[[Request, auth.Principal, Any], tuple[pd.DataFrame, dict[str, Any]]]):
    def run(request: Request) -> Response:
        principal = caller(request)
        store = web.store()
        cur = store.cursor()
        try:
            key = (name, str(store.path), store.data_version(cur), principal.street,
                   principal.can(auth.PERSONAL), tuple(sorted(request.query_params.multi_items())))
            answer = ANSWERS.get(key)
            if answer is None:
                frame, meta = build(request, principal, cur)
                answer = _respond(request, name, _masked(frame, principal), meta)
                ANSWERS.put(key, answer)
        finally:
            cur.close()
        return answer

    async def endpoint(request: Request) -> Response:
        if request.query_params.get("format") not in (None, "json", "csv"):
            return _error(400, "format 只能是 json 或 csv")
        try:
            return await run_in_threadpool(run, request)
        except ApiError as exc:
            return _error(exc.status, exc.message)
        except UserError as exc:
            return _error(400, exc.message)

    endpoint.__name__ = name
    return endpoint


def _error(status: int, message: str) -> JSONResponse:
    headers = {"cache-control": "no-store"}
    if status == 401:
        headers["www-authenticate"] = 'Bearer realm="fugong"'
    return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)


# -- the endpoints ---------------------------------------------------------------------------------

def headline(request: Request, principal: auth.Principal, cur) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The overview page's figures: one row for the day, one for the day before."""
    street = _street(request, principal)
    day = _day(request, cur)
    today, before = metrics.headline(cur, street, day)
    requests_now, requests_before = metrics.requests_open(cur, street, day)
    counts = risk.grade_counts(cur, day, street)
    rows = []
    for figures, requests, grades in ((today, requests_now, counts[0] if counts else None),
                                      (before, requests_before, counts[1] if counts else None)):
        row = dataclasses.asdict(figures)
        row.update({"open_requests": requests.open_requests, "new_requests": requests.new_requests,
                    "closed_requests": requests.closed_requests})
        for grade, label in (("高", "high"), ("中", "medium"), ("低", "low")):
            row[f"grade_{label}"] = grades[grade] if grades else None
        rows.append(row)
    return pd.DataFrame(rows), {"day": day, "street": street}


GRADE_COLUMNS = ["building_id", "building_name", "street", "grade", "score", "main_factor", "main_reason",
                 "rule", "rule_detail", "override", "override_reason", "previous_grade", "change"]


def grades(request: Request, principal: auth.Principal, cur) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every graded building with its grade, score, main factor and reason (风险分级)."""
    street = _street(request, principal)
    day = _day(request, cur)
    frame = risk.grades_on(cur, day, street)
    grade = request.query_params.get("grade")
    if grade:
        frame = frame[frame["grade"] == grade]
    frame = frame.sort_values(["score", "building_id"], ascending=[False, True])
    return frame[[c for c in GRADE_COLUMNS if c in frame.columns]].reset_index(drop=True), \
        {"day": day, "street": street}


def curves(request: Request, principal: auth.Principal, cur) -> tuple[pd.DataFrame, dict[str, Any]]:
    """复工曲线: company and staff rates by day (up to ?day) per group of ?dim."""
    street = _street(request, principal)
    day = _day(request, cur)
    dim = request.query_params.get("dim", "all")
    if dim not in metrics.DIMENSIONS:
        raise ApiError(400, "dim 只能是 " + "、".join(metrics.DIMENSIONS))
    frame = metrics.curve(cur, dim, street, None, day)
    return frame, {"day": day, "street": street, "dim": dim}


BUILDING_DROP = ("lon", "lat", "crs")


def buildings(request: Request, principal: auth.Principal, cur) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every building in scope with its figures on the day and its position (WGS-84)."""
    street = _street(request, principal)
    day = _day(request, cur)
    frame = metrics.building_day(cur, day, street)
    managers = cur.execute("select building_id, building_manager from buildings").df()
    frame = frame.merge(managers, on="building_id", how="left")
    return frame.drop(columns=[c for c in BUILDING_DROP if c in frame.columns]), {"day": day, "street": street}


def requests_(request: Request, principal: auth.Principal, cur) -> tuple[pd.DataFrame, dict[str, Any]]:
    """企业诉求: requests open at the end of the day (?status=all for every request made by then)."""
    street = _street(request, principal)
    day = _day(request, cur)
    frame = company_requests.request_list(cur, day, street)
    if request.query_params.get("status", "open") != "all":
        frame = frame[frame["status"] != "已办结"]
    return frame.reset_index(drop=True), {"day": day, "street": street}


ENDPOINTS: dict[str, tuple[Callable, str]] = {
    "headline": (headline, "态势总览的指标：当日与前一日"),
    "grades": (grades, "风险分级：每栋楼宇的等级、评分、主要因素与原因"),
    "curves": (curves, "复工曲线：按日的企业复工率与人员返岗率（dim=all/street/building/industry/company_type）"),
    "buildings": (buildings, "楼宇：当日人数、复工率与位置（WGS-84）"),
    "requests": (requests_, "企业诉求：当日未办结的诉求（status=all 为全部）"),
}


def openapi(request: Request) -> Response:
    """The OpenAPI 3.1 description of this API (no login needed: it holds no data)."""
    common = [
        {"name": "day", "in": "query", "schema": {"type": "string", "format": "date"},
         "description": "日期 YYYY-MM-DD；默认为截至日（半数以上企业已报的最近一天）"},
        {"name": "street", "in": "query", "schema": {"type": "string"},
         "description": "街道；不填为令牌的范围（全区令牌即全区）。范围外返回 403"},
        {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]},
         "description": "csv：UTF-8 带 BOM，Excel/WPS 直接打开"},
    ]
    extra = {"grades": [{"name": "grade", "in": "query", "schema": {"type": "string", "enum": ["高", "中", "低"]}}],
             "curves": [{"name": "dim", "in": "query",
                         "schema": {"type": "string", "enum": list(metrics.DIMENSIONS)}}],
             "requests": [{"name": "status", "in": "query", "schema": {"type": "string", "enum": ["open", "all"]}}]}
    table = {"type": "object", "properties": {
        "day": {"type": "string", "format": "date"}, "street": {"type": ["string", "null"]},
        "count": {"type": "integer"}, "rows": {"type": "array", "items": {"type": "object"}}}}
    error = {"type": "object", "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}}
    paths = {
        f"{PREFIX}/{name}": {"get": {
            "summary": summary, "operationId": name, "parameters": common + extra.get(name, []),
            "security": [{"bearer": []}],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": table},
                                                         "text/csv": {"schema": {"type": "string"}}}},
                "400": {"description": "参数错误", "content": {"application/json": {"schema": error}}},
                "401": {"description": "没有令牌，或令牌无效/过期/吊销",
                        "content": {"application/json": {"schema": error}}},
                "403": {"description": "街道超出令牌范围", "content": {"application/json": {"schema": error}}},
                "404": {"description": "该日没有数据", "content": {"application/json": {"schema": error}}},
            }}}
        for name, (_, summary) in ENDPOINTS.items()
    }
    document = {
        "openapi": "3.1.0",
        "info": {"title": "复工态势台数据接口", "version": "1",
                 "description": "只读。个人信息（联系人、电话）已脱敏。令牌在“用户与审计”页或命令行生成。"},
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    }
    return JSONResponse(document, headers={"cache-control": "no-store"})


def index(request: Request) -> Response:
    return JSONResponse({"openapi": f"{PREFIX}/openapi.json",
                         "endpoints": {f"{PREFIX}/{n}": s for n, (_, s) in ENDPOINTS.items()}})


async def not_found(request: Request) -> Response:
    return _error(404, "没有这个接口，见 /api/v1/openapi.json")


def routes() -> list[Route]:
    result = [Route(f"{PREFIX}/openapi.json", openapi, methods=["GET"]),
              Route(f"{PREFIX}/", index, methods=["GET"]), Route(PREFIX, index, methods=["GET"])]
    result += [Route(f"{PREFIX}/{name}", _endpoint(name, build), methods=["GET"])
               for name, (build, _) in ENDPOINTS.items()]
    result.append(Route(PREFIX + "/{rest:path}", not_found))
    return result
