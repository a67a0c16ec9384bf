"""The 风险分级 page through AppTest on a copy of the small sample database: filters, search, one building,
an override through the form, the what-if, the export button. Expected figures come from plain SQL on the
database, not from the page's own functions."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.core.settings import ROOT
from pipelines.core.store import open_store

PAGE = str(ROOT / "app_pages" / "risk.py")
RANK = {"低": 1, "中": 2, "高": 3}


@pytest.fixture(scope="module")
def risk_db(sample_db_path, tmp_path_factory) -> Path:
    """A private copy of the sample database (this module writes overrides into it)."""
    open_store(sample_db_path).con.execute("checkpoint")  # everything in the main file before copying it
    path = tmp_path_factory.mktemp("risk_page") / "sample.duckdb"
    shutil.copy(sample_db_path, path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FUGONG_DB", str(path))
        yield path


@pytest.fixture
def cur(risk_db):
    c = open_store(risk_db).cursor()
    yield c
    c.close()


def run_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["auth_user"] = "leader"  # the sample's demo leader: may override and save configurations
    at.run()
    assert not at.exception, at.exception
    return at


def latest(cur, sql: str, params: list | None = None) -> list[tuple]:
    return cur.execute(sql.replace("$latest", "(select max(day) from building_grades)"), params or []).fetchall()


def test_filters_and_search(risk_db, cur):
    at = run_page()
    table = at.dataframe[0].value
    assert len(table) == latest(cur, "select count(*) from building_grades where day = $latest")[0][0]
    assert list(table.columns) == ["楼宇", "街道", "风险等级", "评分", "变化", "前一日", "主要原因", "人工调整"]
    assert table["主要原因"].str.len().gt(0).all()  # every building has its reason

    at.selectbox(key="street").select("江苏路街道").run()
    table = at.dataframe[0].value
    assert set(table["街道"]) == {"江苏路街道"}
    assert len(table) == cur.execute("select count(*) from buildings where street = '江苏路街道'").fetchall()[0][0]

    at.pills(key="grades").set_value(["高"]).run()
    table = at.dataframe[0].value
    high = latest(cur, "select b.building_name from building_grades g join buildings b using (building_id) "
                       "where g.day = $latest and b.street = '江苏路街道' and g.computed_grade = '高'")
    assert sorted(table["楼宇"]) == sorted(n for (n,) in high)
    assert set(table["风险等级"]) <= {"▲ 高风险"}

    at.pills(key="grades").set_value(["高", "中", "低"]).run()
    at.text_input(key="search").input("大厦").run()
    table = at.dataframe[0].value
    names = cur.execute("select building_name from buildings where street = '江苏路街道' "
                        "and building_name like '%大厦%'").fetchall()
    assert sorted(table["楼宇"]) == sorted(n for (n,) in names) and len(names) > 0

    at.text_input(key="search").input("没有这栋楼").run()
    assert "没有符合条件的楼宇。" in [i.value for i in at.info]


def test_select_a_building(risk_db, cur):
    at = run_page()
    (building_id, name), = cur.execute("select building_id, building_name from buildings "
                                       "where building_name = '兆丰世贸大厦'").fetchall()
    at.selectbox(key="risk_building").select(building_id).run()
    assert not at.exception
    assert name in [h.value for h in at.subheader]
    factors = at.dataframe[1].value
    assert sorted(factors["因子"]) == sorted(["人员密度", "入驻企业数", "在岗人数", "人员流动", "业态复杂度", "防控措施",
                                           "物业履责", "底账清晰"])
    score = latest(cur, "select score from building_grades where day = $latest and building_id = ?", [building_id])
    assert factors["贡献"].sum() == pytest.approx(score[0][0], abs=0.05)  # contributions are shown rounded
    assert "等级历史" in " ".join(m.value for m in at.markdown)


def click(at: AppTest, label: str) -> AppTest:
    [button] = [b for b in at.button if b.label == label]
    return button.click().run()


def test_override_through_the_form(risk_db, cur):
    at = run_page()
    (building_id, name), = cur.execute("select building_id, building_name from buildings "
                                       "where building_name = '长宁八八中心'").fetchall()
    at.selectbox(key="risk_building").select(building_id).run()
    count = "select count(*) from audit where action = 'grade.override'"
    before = cur.execute(count).fetchall()[0][0]

    at.radio[0].set_value("高")  # no reason: refused, nothing written
    click(at, "保存人工调整")
    assert "人工调整等级必须填写理由" in " ".join(e.value for e in at.error)
    assert cur.execute(count).fetchall()[0][0] == before

    at.radio[0].set_value("高")
    at.text_area[0].input("3月30日现场检查发现电梯未消毒，临时上调")
    [expiry] = [c for c in at.checkbox if c.label == "设置到期日"]
    expiry.uncheck()
    click(at, "保存人工调整")
    assert not at.exception
    assert [s.value for s in at.success] == [f"已将 {name} 调整为 ▲ 高风险（长期有效），并记入审计日志"]
    rows = cur.execute("select actor, target, after from audit where action = 'grade.override' "
                       "order by audit_id desc limit 1").fetchall()
    assert cur.execute(count).fetchall()[0][0] == before + 1
    actor, target, after = rows[0]
    after = json.loads(after)
    assert (actor, target, after["grade"], after["reason"], after["expires"]) == \
        ("leader", building_id, "高", "3月30日现场检查发现电梯未消毒，临时上调", None)
    # The list shows it as an override, the detail keeps the computed grade visible.
    table = at.dataframe[0].value
    marked = table[table["楼宇"] == name].iloc[0]
    assert (marked["风险等级"], marked["人工调整"]) == ("▲ 高风险", "✎ 人工")
    assert any("计算结果为" in w.value and "3月30日现场检查" in w.value for w in at.warning)

    click(at, "撤销")
    assert [s.value for s in at.success] == ["已撤销该人工调整，并记入审计日志"]
    table = at.dataframe[0].value
    assert table[table["楼宇"] == name].iloc[0]["人工调整"] == ""


def changed_count(at: AppTest) -> str:
    [text] = [m.value for m in at.markdown if m.value.startswith("按试算配置")]
    return text


def test_what_if(risk_db, cur):
    at = run_page()
    assert changed_count(at) == "按试算配置，**0** 栋楼宇等级会变化（上调 0，下调 0）。"
    grades_before = cur.execute("select * from building_grades order by all").fetchall()

    # Measures weigh 0.50 instead of 0.18: every score rises by 0.32 x the measures points, so a grade can
    # only rise: the trial grade is the higher of the new score's grade and today's computed grade.
    config = tomllib.loads((ROOT / "grading.toml").read_text(encoding="utf-8"))
    high, medium = config["thresholds"]["high"], config["thresholds"]["medium"]
    extra = 0.5 - config["factors"]["measures"]["weight"]
    # With damping (grading.toml [damping]) the trial grade is the highest trial grade of the last N graded days.
    damping = config["damping"]["down_after_days"]
    rows = cur.execute("select g.building_id, g.day, g.raw_grade, g.computed_grade, g.score + ? * f.points "
                       "from building_grades g join building_factors f using (day, building_id) "
                       "where f.factor = 'measures' and g.day in (select distinct day from building_grades "
                       "where day <= (select max(day) from building_grades where day <= (select day from as_of_day)) "
                       "order by day desc limit ?) order by g.building_id, g.day", [extra, damping]).fetchall()
    last_day = max(r[1] for r in rows)
    trial: dict[str, int] = {}
    today: dict[str, str] = {}
    for building, day, raw, computed, score in rows:
        by_score = "高" if score >= high else "中" if score >= medium else "低"
        trial[building] = max(trial.get(building, 0), RANK[by_score], RANK[raw])
        if day == last_day:
            today[building] = computed
    expected = sum(trial[b] > RANK[g] for b, g in today.items())
    assert expected > 0

    at.number_input(key="w_measures").set_value(0.5).run()
    assert not at.exception
    assert changed_count(at) == f"按试算配置，**{expected}** 栋楼宇等级会变化（上调 {expected}，下调 0）。"
    assert any("权重之和为 1.32" in w.value for w in at.warning)
    [save] = [b for b in at.button if b.label == "提交配置提议"]
    assert save.disabled  # weights must add up to 1 before saving
    assert cur.execute("select * from building_grades order by all").fetchall() == grades_before


def test_export_button(risk_db):
    at = run_page()
    [button] = at.get("download_button")
    assert button.proto.label == "导出评级清单（Excel）"
