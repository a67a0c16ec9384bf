"""Every page runs through AppTest on the real sample database without an exception."""

from pathlib import Path

import pytest
from auth_support import logged_in, user_for
from streamlit.testing.v1 import AppTest

from ui.nav import PAGE_BY_FILE

PAGES = sorted(p.name for p in (Path(__file__).parent.parent / "app_pages").glob("*.py"))


@pytest.mark.both_backends
@pytest.mark.parametrize("page", PAGES)
def test_page_renders(sample_db, page, backend, request, monkeypatch):
    if backend == "lake":  # the same sample on a lake (PostgreSQL catalog, Parquet files)
        address, data = request.getfixturevalue("sample_lake")
        monkeypatch.setenv("FUGONG_DB", address)
        monkeypatch.setenv("FUGONG_LAKE_DATA", str(data))
    # Each page as a demo user who may see it (ui/nav.PAGES says which permission it needs).
    at = logged_in(AppTest.from_file(f"../app_pages/{page}", default_timeout=30),
                   user_for(PAGE_BY_FILE[f"app_pages/{page}"].permission)).run()
    assert not at.exception, at.exception
    shown = " ".join([m.value for m in at.markdown] + [h.proto.body for h in at.get("html")])
    assert "示例数据" in shown
