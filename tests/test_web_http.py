"""The served console over plain HTTP (python -m server, as `make run` starts it): the login route and its
cookie, the gate, /healthz, the security headers on every route, /_stcore/metrics, and the data API."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from urllib.parse import quote

import duckdb
import pytest
from auth_support import DEMO_PASSWORD
from upload_helpers import copy_db
from web_support import Client, serve_web

from pipelines.auth import accounts as auth
from pipelines.auth import sessions as web_sessions
from pipelines.core import privacy
from pipelines.core.store import Store
from pipelines.grading import risk
from pipelines.situation import company_requests, metrics

pytestmark = pytest.mark.slow
HTML = {"Accept": "text/html,application/xhtml+xml"}
STREET = "江苏路街道"


@pytest.fixture(scope="module")
def site(sample_db_path, tmp_path_factory):
    """The console on a copy of the sample, with API tokens made (and facts read) before it starts."""
    work = tmp_path_factory.mktemp("web")
    db = copy_db(sample_db_path, work)
    store = Store(db)
    try:
        tokens = {"district": web_sessions.make_api_token(store, "admin", "一网统管平台"),
                  "street": web_sessions.make_api_token(store, "admin", "江苏路街道平台", STREET),
                  "revoked": web_sessions.make_api_token(store, "admin", "旧平台"),
                  "expired": web_sessions.make_api_token(store, "admin", "过期平台", days=1)}
        cur = store.cursor()
        web_sessions.revoke_api_token(store, "admin", cur.execute(
            "select token_id from api_tokens where name = '旧平台'").fetchall()[0][0])
        cur.execute("update api_tokens set expires_at = now() - interval 1 hour where name = '过期平台'")
        day = metrics.latest_day(cur)
        facts = {
            "day": day, "last_batch_at": store.last_batch_change(cur),
            "headline": metrics.headline(cur, None, day), "street_headline": metrics.headline(cur, STREET, day),
            "requests": metrics.requests_open(cur, STREET, day), "grades": risk.grade_counts(cur, day, STREET),
            "graded": risk.grades_on(cur, day, None),
            "open": company_requests.request_list(cur, day, STREET),
            "managers": dict(cur.execute("select building_id, building_manager from buildings").fetchall()),
            "streets": metrics.streets(cur),
        }
    finally:
        store.close()
    with serve_web(db, work) as url:
        yield url, tokens, facts


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- /healthz ----------------------------------------------------------------------------------------

def test_healthz_reports_the_store_without_login(site):
    url, _, facts = site
    reply = Client(url).request("/healthz")
    assert reply.status == 200 and reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert set(body) == {"status", "as_of_day", "last_batch_at", "store"}
    assert body["status"] == "ok" and body["store"] == "ok"
    assert body["as_of_day"] == facts["day"].isoformat()
    assert dt.datetime.fromisoformat(body["last_batch_at"]) == facts["last_batch_at"].replace(microsecond=0)


def test_healthz_is_503_when_the_store_does_not_answer(sample_db, tmp_path):
    db = copy_db(sample_db, tmp_path)
    holder = duckdb.connect(str(db))  # another process holds the file: the console cannot open it
    try:
        with serve_web(db, tmp_path) as url:
            reply = Client(url).request("/healthz")
            assert reply.status == 503
            assert reply.json()["status"] == "unavailable" and reply.json()["as_of_day"] is None
            assert str(db) not in reply.text  # nothing a stranger could use
    finally:
        holder.close()


# -- headers -----------------------------------------------------------------------------------------

def test_security_headers_on_every_route(site):
    url, tokens, _ = site
    client = Client(url)
    static = re.search(r'src="\./(static/js/[^"]+)"', client.request("/?kiosk=1&token=x", headers=HTML).text)
    paths = {"/": 303, "/risk": 303, "/login": 200, "/healthz": 200, "/api/v1/openapi.json": 200,
             "/api/v1/headline": 401, "/api/v1/nothing": 404, "/_stcore/health": 200, "/_stcore/metrics": 401,
             f"/{static.group(1)}": 200, "/favicon.png": 200, "/app/static/blank_style.json": 200,
             "/?kiosk=1&token=" + tokens["district"]: 200}
    for path, status in paths.items():
        reply = client.request(path, headers=HTML)
        assert reply.status == status, path
        csp = reply.headers["content-security-policy"]
        for directive in ("default-src 'self'", "frame-ancestors 'self'", "object-src 'none'",
                          "style-src 'self' 'unsafe-inline'", "worker-src 'self' blob:"):
            assert directive in csp, (path, directive)
        assert "unsafe-eval" not in csp.replace("'wasm-unsafe-eval'", "")
        script_src = re.search(r"script-src ([^;]+)", csp).group(1)
        assert "'unsafe-inline'" not in script_src and "'sha256-" in script_src
        assert reply.headers["x-content-type-options"] == "nosniff", path
        assert reply.headers["referrer-policy"] == "same-origin", path
        assert reply.headers["x-frame-options"] == "SAMEORIGIN", path
        assert "strict-transport-security" not in reply.headers  # plain http: no HSTS


def test_metrics_need_a_login(site):
    url, _, _ = site
    client = Client(url)
    assert client.request("/_stcore/metrics").status == 401
    client.login("leader", DEMO_PASSWORD["leader"])
    assert client.request("/_stcore/metrics").status == 200


# -- login, the cookie, the gate -----------------------------------------------------------------------

def test_a_page_without_login_goes_to_the_form_and_comes_back_with_its_filters(site):
    url, _, _ = site
    client = Client(url)
    target = f"/risk?street={quote(STREET)}&day=2020-02-18"
    first = client.request(target, headers=HTML)
    assert first.status == 303 and first.headers["location"] == f"/login?next={quote(target, safe='')}"
    form = client.request(first.headers["location"])
    assert form.status == 200 and 'name="username"' in form.text and 'type="password"' in form.text
    assert form.headers["cache-control"] == "no-store"
    done = client.login("jsl-leader", DEMO_PASSWORD["jsl-leader"], target)
    assert done.status == 303 and done.headers["location"] == target
    cookie = next(c for c in done.set_cookies if c.startswith(web_sessions.SESSION_COOKIE + "="))
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path", "max-age"} <= flags and "secure" not in flags
    assert "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()
    again = client.request(target, headers=HTML)
    assert again.status == 200 and b"<!DOCTYPE html>" in again.body  # Streamlit's page, no redirect


def test_the_cookie_is_secure_behind_https(site):
    url, _, _ = site
    reply = Client(url).login("leader", DEMO_PASSWORD["leader"], headers={"X-Forwarded-Proto": "https"})
    cookie = next(c for c in reply.set_cookies if c.startswith(web_sessions.SESSION_COOKIE + "="))
    assert "secure" in cookie.lower()
    assert reply.headers["strict-transport-security"].startswith("max-age=")


def test_login_refusals(site):
    url, _, _ = site
    client = Client(url)
    wrong = client.login("leader", "not-the-password")
    assert wrong.status == 401 and "用户名或密码错误" in wrong.text
    assert client.cookie(web_sessions.SESSION_COOKIE) is None
    forged = Client(url).request("/login", {"username": "leader", "password": DEMO_PASSWORD["leader"],
                                            "csrf": "made-up", "next": "/"})
    assert forged.status == 400 and not forged.set_cookies[1:]
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "/logout"):
        reply = Client(url).login("leader", DEMO_PASSWORD["leader"], evil)
        assert reply.status == 303 and reply.headers["location"] == "/", evil
    escaped = Client(url).request("/login?next=" + quote('/"><script>alert(1)</script>'))
    assert "<script>alert" not in escaped.text


def test_logout_ends_the_session_and_an_old_cookie_is_refused(site):
    url, _, _ = site
    client = Client(url)
    client.login("analyst", DEMO_PASSWORD["analyst"])
    key = client.cookie(web_sessions.SESSION_COOKIE)
    assert client.request("/curves", headers=HTML).status == 200
    out = client.request("/logout")
    assert out.status == 303 and out.headers["location"] == "/login?why=logout"
    assert client.cookie(web_sessions.SESSION_COOKIE) is None
    stale = Client(url)  # the same cookie value kept by another tab or a copy: refused
    stale.jar.set_cookie(_cookie(web_sessions.SESSION_COOKIE, key))
    refused = stale.request("/curves", headers=HTML)
    assert refused.status == 303 and refused.headers["location"].endswith("&why=expired")
    assert stale.request("/_stcore/metrics").status == 401
    assert "登录已失效" in stale.request(refused.headers["location"]).text


def _cookie(name: str, value: str):
    import http.cookiejar

    return http.cookiejar.Cookie(0, name, value, None, False, "127.0.0.1", False, False, "/", True, False, None,
                                 True, None, None, {})


# -- the API -------------------------------------------------------------------------------------------

def test_api_refuses_without_a_live_token(site):
    url, tokens, _ = site
    client = Client(url)
    for headers in ({}, _bearer("fga_nonsense"), _bearer(tokens["revoked"]), _bearer(tokens["expired"]),
                    {"Authorization": f"Basic {tokens['district']}"}):
        reply = client.request("/api/v1/grades", headers=headers)
        assert reply.status == 401 and reply.headers["www-authenticate"].startswith("Bearer")
        assert set(reply.json()) == {"error", "status"}
    screen = Client(url)
    screen.login("screen", DEMO_PASSWORD["screen"])
    assert screen.request("/api/v1/grades").status == 403  # a screen account may not read data


def test_api_headline_equals_the_pipeline_figures(site):
    url, tokens, facts = site
    body = Client(url).request("/api/v1/headline", headers=_bearer(tokens["district"])).json()
    today, before = facts["headline"]
    assert body["day"] == facts["day"].isoformat() and body["street"] is None
    assert [r["day"] for r in body["rows"]] == [today.day.isoformat(), before.day.isoformat()]
    for field in ("buildings", "companies", "staff", "on_site", "companies_back", "company_rate", "staff_rate"):
        assert body["rows"][0][field] == pytest.approx(getattr(today, field)), field
        assert body["rows"][1][field] == pytest.approx(getattr(before, field)), field


def test_a_street_token_sees_its_street_only(site):
    url, tokens, facts = site
    client = Client(url)
    headers = _bearer(tokens["street"])
    body = client.request("/api/v1/headline", headers=headers).json()
    today, _ = facts["street_headline"]
    requests_now, _ = facts["requests"]
    assert body["street"] == STREET and body["rows"][0]["on_site"] == today.on_site
    assert body["rows"][0]["open_requests"] == requests_now.open_requests
    assert body["rows"][0]["grade_high"] == facts["grades"][0]["高"]
    for name in ("grades", "buildings", "requests"):
        rows = client.request(f"/api/v1/{name}", headers=headers).json()["rows"]
        assert rows and {r["street"] for r in rows} == {STREET}, name
    other = next(s for s in facts["streets"] if s != STREET)
    refused = client.request(f"/api/v1/grades?street={quote(other)}", headers=headers)
    assert refused.status == 403 and STREET in refused.json()["error"]
    district = client.request(f"/api/v1/grades?street={quote(other)}", headers=_bearer(tokens["district"]))
    assert {r["street"] for r in district.json()["rows"]} == {other}


def test_api_grades_carry_reason_and_main_factor(site):
    url, tokens, facts = site
    rows = Client(url).request("/api/v1/grades", headers=_bearer(tokens["district"])).json()["rows"]
    expected = facts["graded"].set_index("building_id")
    assert len(rows) == len(expected)
    for row in rows:
        want = expected.loc[row["building_id"]]
        assert (row["grade"], row["main_reason"]) == (want["grade"], want["main_reason"])
        assert row["score"] == pytest.approx(float(want["score"]))
        assert row["main_factor"] == (want["main_factor"] if isinstance(want["main_factor"], str) else None)
    assert all(r["main_reason"] for r in rows if r["grade"] == "高")


def test_api_masks_personal_data(site):
    url, tokens, facts = site
    rows = Client(url).request("/api/v1/buildings", headers=_bearer(tokens["district"])).json()["rows"]
    managers = {r["building_id"]: r["building_manager"] for r in rows}
    named = {b: m for b, m in facts["managers"].items() if m}
    assert named and all(managers[b] == privacy.mask_name(m) != m for b, m in named.items())


def test_api_csv_opens_in_excel(site):
    url, tokens, facts = site
    reply = Client(url).request("/api/v1/requests?format=csv&status=all", headers=_bearer(tokens["street"]))
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/csv")
    assert reply.headers["content-disposition"].startswith("attachment;")
    assert reply.body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8, not GBK
    rows = list(csv.DictReader(io.StringIO(reply.body.decode("utf-8-sig"))))
    assert len(rows) == len(facts["open"]) and {r["street"] for r in rows} == {STREET}
    assert all(not r["content"].startswith(("=", "+", "-", "@")) for r in rows)
    assert Client(url).request("/api/v1/requests?format=xml", headers=_bearer(tokens["street"])).status == 400


def test_api_open_requests_and_curves(site):
    url, tokens, facts = site
    client = Client(url)
    open_rows = client.request("/api/v1/requests", headers=_bearer(tokens["street"])).json()["rows"]
    assert len(open_rows) == facts["requests"][0].open_requests
    assert all(r["status"] != "已办结" for r in open_rows)
    curve = client.request("/api/v1/curves?dim=street", headers=_bearer(tokens["district"])).json()
    assert {r["day"] for r in curve["rows"]} and max(r["day"] for r in curve["rows"]) <= facts["day"].isoformat()
    assert client.request("/api/v1/curves?dim=nothing", headers=_bearer(tokens["district"])).status == 400
    assert client.request("/api/v1/grades?day=2019-13-01", headers=_bearer(tokens["district"])).status == 400


def test_openapi_describes_every_endpoint(site):
    url, _, _ = site
    document = Client(url).request("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {f"/api/v1/{n}" for n in ("headline", "grades", "curves", "buildings",
                                                                "requests")}
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_api_answers_for_a_logged_in_admin_unmasked(site):
    url, _, facts = site
    admin = Client(url)
    admin.login("admin", DEMO_PASSWORD["admin"])
    rows = admin.request("/api/v1/buildings").json()["rows"]
    assert {r["building_id"]: r["building_manager"] for r in rows} == facts["managers"]
    assert auth.PERSONAL in auth.ROLE_PERMISSIONS["admin"]


def test_api_figures_equal_what_the_overview_page_shows(site, sample_db):
    """The same day and street on 态势总览 (AppTest, the sample's other copy) and from /api/v1/headline."""
    from auth_support import page_as

    url, tokens, facts = site
    day = facts["day"] - dt.timedelta(days=1)
    at = page_as("app_pages/overview.py", "leader")
    at.query_params["street"] = STREET
    at.query_params["day"] = day.isoformat()
    at.run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    api = Client(url).request(f"/api/v1/headline?street={quote(STREET)}&day={day.isoformat()}",
                              headers=_bearer(tokens["district"])).json()
    row = api["rows"][0]
    assert api["day"] == row["day"] == day.isoformat() and api["street"] == STREET
    assert any(f"{STREET} · {day.year}年{day.month}月{day.day}日" in c.value for c in at.caption)
    pct = lambda v: f"{v * 100:.1f}%"  # noqa: E731 (the page's format)
    expected = {"楼宇": f"{row['buildings']:,}", "企业": f"{row['companies']:,}", "员工总数": f"{row['staff']:,}",
                "未办结诉求": f"{row['open_requests']:,}", "企业复工率": pct(row["company_rate"]),
                "人员返岗率": pct(row["staff_rate"]), "在岗人数": f"{row['on_site']:,}",
                "复工企业": f"{row['companies_back']:,}", "居家观察人数": f"{row['home_observation']:,}",
                "体温异常人数": f"{row['fever']:,}"}
    for grade, key in (("高", "grade_high"), ("中", "grade_medium"), ("低", "grade_low")):
        style = risk.style(grade)
        expected[f"{style['shape']} {style['label']}楼宇"] = f"{row[key]:,}"
    assert {k: shown[k] for k in expected} == expected
