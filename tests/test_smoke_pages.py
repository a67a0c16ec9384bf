"""Every page runs through AppTest on the real sample database without an exception."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGES = sorted(p.name for p in (Path(__file__).parent.parent / "pages").glob("*.py"))


@pytest.mark.parametrize("page", PAGES)
def test_page_renders(sample_db, page):
    at = AppTest.from_file(f"../pages/{page}", default_timeout=30).run()
    assert not at.exception, at.exception
    assert "示例数据" in " ".join(m.value for m in at.markdown)
