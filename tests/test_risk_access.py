"""风险分级 actions by role: only a leader overrides a grade or saves a grading configuration, and the audit
names them; a street leader sees and exports only their street."""

from __future__ import annotations

import datetime as dt

import pytest
from auth_support import page_as

from pipelines.core.store import open_store
from pipelines.demo import sample

PERIOD = [dt.date(2020, 2, 17) + dt.timedelta(d) for d in range(3)]


@pytest.fixture(scope="module")
def graded_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("graded") / "graded.duckdb"
    sample.build_database(path, scale=0.05, period=PERIOD, log=lambda *_: None)
    return path


@pytest.fixture
def graded_env(graded_db, monkeypatch):
    monkeypatch.setenv("FUGONG_DB", str(graded_db))
    return graded_db


def expanders(at) -> list[str]:
    return [e.label for e in at.expander]


def test_leader_overrides_and_is_the_author(graded_env):
    at = page_as("app_pages/risk.py", "leader").run()
    assert not at.exception, at.exception
    assert "人工调整等级" in expanders(at)
    building = at.selectbox(key="risk_building").value
    at.text_area[0].input("现场检查发现电梯未消毒，临时上调")
    next(b for b in at.button if b.label == "保存人工调整").click()
    at.run()
    assert not at.exception, at.exception
    rows = open_store(graded_env).cursor().execute(
        "select actor, target from audit where action = 'grade.override'").fetchall()
    assert rows == [("leader", building)]


@pytest.mark.parametrize("username", ["analyst", "admin"])
def test_others_cannot_override_and_only_an_analyst_may_propose_a_configuration(graded_env, username):
    """No one but a leader overrides; a configuration change is a proposal (issue 13), which an analyst may make
    and an admin may not; nobody saves one directly any more."""
    at = page_as("app_pages/risk.py", username).run()
    assert not at.exception, at.exception
    assert "人工调整等级" not in expanders(at)
    assert not [b for b in at.button if b.label in ("保存人工调整", "保存为新配置版本")]
    at.number_input(key="w_high").set_value(40.0).run()  # a real change, so only the role decides
    propose = next(b for b in at.button if b.label == "提交配置提议")
    captions = [c.value for c in at.caption]
    if username == "analyst":
        assert not propose.disabled
        assert "提议新配置需要分析员或领导角色；试算不受影响。" not in captions
    else:
        assert propose.disabled
        assert "提议新配置需要分析员或领导角色；试算不受影响。" in captions


def test_street_leader_sees_only_their_street(graded_env):
    at = page_as("app_pages/risk.py", "jsl-leader").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="street").options == ["江苏路街道"]
    table = at.dataframe[0].value
    assert len(table) > 0 and set(table["街道"]) == {"江苏路街道"}
