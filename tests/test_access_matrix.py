"""Every role × every page: allowed or refused as the specification says, through the navigation and by
direct page run; and a street user never sees another street's rows.

Data-driven from the registry (ui/nav.PAGES) and the files in app_pages/: a page added later is covered
without touching this file (and a page left out of the registry fails here).
"""

from __future__ import annotations

import pytest
from auth_support import (
    DEMO_BY_ROLE,
    ROOT,
    SPEC,
    STREET_OF,
    STREET_USER,
    app_as,
    page_as,
    refused,
    rendered_bytes,
)

from pipelines.auth import accounts
from pipelines.core.store import open_store
from ui.nav import PAGE_BY_FILE, PAGES

PAGE_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "app_pages").glob("*.py"))
USERS = [*DEMO_BY_ROLE.values(), STREET_USER]  # one district user per role, and a street leader
ROLE_OF = {username: role for role, username in DEMO_BY_ROLE.items()} | {STREET_USER: "leader"}


def expected_pages(role: str) -> list[str]:
    """The specification: a page is open to a role holding its permission; the screen gets only the kiosk."""
    return [p.file for p in PAGES if p.permission in SPEC[role] and (p.kiosk or role != "screen")
            and p.file in PAGE_FILES]


@pytest.fixture
def sample_env(sample_db, monkeypatch):
    monkeypatch.setenv("FUGONG_DB", str(sample_db))
    return sample_db


def test_every_page_file_is_registered():
    assert [f for f in PAGE_FILES if f not in PAGE_BY_FILE] == [], "add the page to ui/nav.PAGES"
    assert all(p.permission in accounts.PERMISSIONS for p in PAGES)
    assert sum(p.default for p in PAGES) == 1


def test_every_page_body_is_guarded():
    """ui.widgets.guarded runs the access check: a page that bypasses it is caught here and in the matrix."""
    for file in PAGE_FILES:
        source = (ROOT / file).read_text(encoding="utf-8")
        assert "@guarded" in source, f"{file}: wrap the page body with ui.widgets.guarded"


def foreign_strings(db, street: str) -> list[bytes]:
    """Names and ids that belong only to other streets than this one."""
    cur = open_store(db).cursor()
    rows = cur.execute(
        "select street, building_id, building_name from buildings").fetchall()
    companies = cur.execute(
        "select b.street, c.company_name from companies c join buildings b using (building_id)").fetchall()
    own = {v for s, *vals in rows if s == street for v in vals} | {n for s, n in companies if s == street}
    foreign = {v for s, *vals in rows if s != street for v in (s, *vals)} | {n for s, n in companies if s != street}
    return sorted(v.encode() for v in foreign - own)


@pytest.mark.parametrize("username", USERS)
def test_navigation_matrix(sample_env, username):
    """Through the entry script: exactly the allowed pages are in the navigation; each of them renders for
    this user, and a street user's pages hold nothing of another street."""
    role = ROLE_OF[username]
    at = app_as(username).run()
    assert not at.exception, at.exception
    allowed = expected_pages(role)
    for file in PAGE_FILES:
        if file in allowed:
            at.switch_page(file)  # registered: resolves
        else:
            with pytest.raises(ValueError):
                at.switch_page(file)
    street = STREET_OF[username]
    foreign = foreign_strings(sample_env, street) if street else []
    for file in allowed:
        page = page_as(file, username).run()  # the page's own guard lets this user in
        assert not page.exception, (file, page.exception)
        assert not refused(page), (file, [e.value for e in page.error])
        if street:
            shown = rendered_bytes(page)
            leaks = [s.decode() for s in foreign if s in shown]
            assert leaks == [], f"{username} on {file} sees other streets: {leaks[:5]}"


@pytest.mark.parametrize("username", USERS)
def test_direct_page_runs_are_refused(sample_env, username):
    """A page run on its own (no navigation) refuses a role that may not see it, showing nothing else."""
    role = ROLE_OF[username]
    allowed = expected_pages(role)
    for file in [f for f in PAGE_FILES if f not in allowed]:
        at = page_as(file, username).run()
        assert not at.exception, (file, at.exception)
        assert refused(at), file
        assert "无权限" in at.error[0].value
        assert not (at.dataframe or at.metric or at.title or at.button or at.text_input), file


@pytest.mark.parametrize("file", PAGE_FILES)
def test_pages_refuse_anonymous(sample_env, file):
    """Reached without a session, a page shows the login form and nothing of its own."""
    at = page_as(file, None).run()
    assert not at.exception, at.exception
    assert [w.value for w in at.warning] == ["请先登录"]
    assert [t.value for t in at.title] == ["复工态势台"]
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert not at.metric and [b.label for b in at.button] == ["登录"]


def test_anonymous_app_shows_only_the_login(sample_env):
    at = app_as(None).run()
    assert [t.value for t in at.title] == ["复工态势台"]
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    for file in PAGE_FILES:
        with pytest.raises(ValueError):
            at.switch_page(file)


def test_the_leak_detector_sees_other_streets(sample_env):
    """The street check above could fail: a district user's overview does show the other streets."""
    at = page_as("app_pages/overview.py", DEMO_BY_ROLE["leader"]).run()
    shown = rendered_bytes(at)
    assert any(s in shown for s in foreign_strings(sample_env, STREET_OF[STREET_USER]))


def test_street_user_figures_are_their_street(sample_env):
    street = STREET_OF[STREET_USER]
    cur = open_store(sample_env).cursor()
    buildings = cur.execute("select count(*) from buildings where street = ?", [street]).fetchall()[0][0]
    everywhere = cur.execute("select count(*) from buildings").fetchall()[0][0]
    assert 0 < buildings < everywhere
    street_at = app_as(STREET_USER).run()
    assert [s.options for s in street_at.selectbox if s.label == "街道"] == [[street]]
    assert street_at.metric[0].label == "楼宇" and street_at.metric[0].value == f"{buildings:,}"
    district_at = app_as(DEMO_BY_ROLE["leader"]).run()
    assert district_at.metric[0].value == f"{everywhere:,}"


def _masking_script(rows: int) -> None:
    import streamlit as st

    from ui import data

    def contacts(cur):
        return cur.execute(
            "select c.credit_code, c.contact_person, c.contact_phone, b.street from companies c "
            "join buildings b using (building_id) where c.contact_phone is not null order by c.credit_code"
        ).df()

    frame = data.query(contacts)
    st.dataframe(frame.head(rows))
    st.text(",".join(sorted(set(frame["street"]))))


@pytest.mark.parametrize("username, masked", [("leader", True), ("analyst", True), ("admin", False),
                                               ("jsl-leader", True)])
def test_query_results_are_masked_and_scoped(sample_env, username, masked):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_masking_script, args=(20,), default_timeout=30)
    at.session_state["auth_user"] = username
    at.run()
    assert not at.exception, at.exception
    frame = at.dataframe[0].value
    cur = open_store(sample_env).cursor()
    truth = cur.execute("select credit_code, contact_person, contact_phone from companies").df() \
        .set_index("credit_code")
    assert len(frame) == 20
    for code, person, phone in frame[["credit_code", "contact_person", "contact_phone"]].itertuples(index=False):
        real_person, real_phone = truth.loc[code, "contact_person"], truth.loc[code, "contact_phone"]
        if masked:
            assert phone == real_phone[:3] + "****" + real_phone[-4:] != real_phone
            if isinstance(real_person, str):
                assert person == real_person[0] + "*" * (len(real_person) - 1)
        else:
            assert phone == real_phone
            if isinstance(real_person, str):
                assert person == real_person
    streets = at.text[0].value.split(",")
    assert streets == ([STREET_OF[username]] if STREET_OF.get(username) else sorted(streets)) and streets
    if not STREET_OF.get(username):
        assert len(streets) == 3


def test_data_needs_a_session(sample_env):
    """No user, no data: a query without a logged-in session is refused whatever the page does."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_masking_script, args=(5,), default_timeout=30).run()
    assert at.exception and "请先登录" in at.exception[0].value
    assert not at.dataframe
