"""The risk model on hand-made data (tests/grading_data.py): factor tables, hard rules, overrides,
configuration checks, new batches, rollback and incremental regrades.

Every expected number is worked out by hand from the data and TEST_CONFIG; the arithmetic is in the comments.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import fastexcel
import grading_data as gd
import pandas as pd
import pytest
from grading_data import DAYS, TEST_CONFIG, WEIGHTS, D
from pg_support import lake_copy_of

from pipelines.batches.commit import rollback_batch
from pipelines.core.errors import UserError
from pipelines.core.store import Store
from pipelines.grading import grade

JSL1, JSL2, HYL1, HYL2 = "JSL-901", "JSL-902", "HYL-901", "HYL-902"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("grading") / "grading.duckdb"
    store = Store(path)
    gd.build(store)
    store.close()
    return path


@pytest.fixture
def db(template, tmp_path, backend, request) -> Store:
    """A private copy of the hand-made database (a file, or for both_backends tests also a lake): tests may
    write to it."""
    if backend == "lake":
        store = Store(lake_copy_of(request, template, tmp_path)[0])
        yield store
        store.close()
        return
    path = tmp_path / "grading.duckdb"
    shutil.copy(template, path)
    store = Store(path)
    yield store
    store.close()


@pytest.fixture
def cur(db):
    c = db.cursor()
    yield c
    c.close()


def factor_table(cur, building_id: str, day) -> dict[tuple[str, str], float]:
    frame = grade.building_factors(cur, building_id, day)
    return {(r.factor, field): getattr(r, field) for r in frame.itertuples()
            for field in ("value", "points", "weight", "contribution")}


def expected_table(values: dict[str, tuple[float | None, float]]) -> dict[tuple[str, str], float]:
    """{factor: (value, points)} -> the whole table with the test configuration's weights."""
    assert set(values) == set(WEIGHTS)
    out = {}
    for factor, (value, points) in values.items():
        out[(factor, "value")] = math.nan if value is None else value
        out[(factor, "points")] = points
        out[(factor, "weight")] = WEIGHTS[factor]
        out[(factor, "contribution")] = points * WEIGHTS[factor]
    return out


def score_of(values: dict[str, tuple[float | None, float]]) -> float:
    return sum(points * WEIGHTS[f] for f, (_, points) in values.items())


def row(frame: pd.DataFrame, building_id: str) -> pd.Series:
    rows = frame[frame["building_id"] == building_id]
    assert len(rows) == 1, building_id
    return rows.iloc[0]


def grade_grid(cur) -> dict[str, str]:
    """building -> its computed grades day by day as one string, e.g. 低高高高高高高高低."""
    rows = cur.execute("select building_id, string_agg(computed_grade, '' order by day) from building_grades "
                       "group by all").fetchall()
    return dict(rows)


# -- factor values and grades ----------------------------------------------------------------

# 清朗大厦 on 2月12日: 3 software companies, 40+40+30 = 110 on site in 20,000 ㎡.
QINGLANG = {
    "density": (5.5, 27.5),            # 1000*110/20000 = 5.5; 0 + (5.5-0)/(10-0)*(50-0) = 27.5
    "tenants": (3, 30.0),              # 3/10*100
    "staff_on_site": (110, 52.5),      # 50 + (110-100)/(300-100)*(100-50)
    "mobility": (0.0, 0.0),
    "business_mix": (1.0, 0.0),        # one industry: 1/(1^2) + 10*0 = 1 -> first breakpoint
    "measures": (1.0, 0.0),            # 22/22 on 2月9日, 3 days old: no ageing
    "duty": (100, 0.0),
    "ledger": (1.0, 0.0),              # 0.5*completeness 1 + 0.5*min(1, 3 reports/3 tenants)
}
# 繁杂广场 on 2月12日: 餐饮, 批发零售, 教育培训, 商务服务; 50+50+30+20 = 150 on site in 10,000 ㎡.
FANZA = {
    "density": (15.0, 75.0),           # 1000*150/10000 = 15; 50 + (15-10)/10*50
    "tenants": (4, 40.0),
    "staff_on_site": (150, 62.5),      # 50 + 50/200*50
    "mobility": (0.06, 60.0),          # (6 key areas on 2月10日 + 3 abroad on 2月11日)/150; 0.06/0.1*100
    "business_mix": (11.5, 79.0),      # 1/(4*(1/4)^2) = 4 kinds + 10*3/4 risky = 11.5; 40 + (11.5-5)/10*60
    "measures": (13 / 22, (1 - 13 / 22) / 0.5 * 100),  # 13/22 on 2月8日, 4 days old: no ageing; = 81.82
    "duty": (60, 80.0),                # 100 - (60-50)/50*100
    "ledger": (0.875, 25.0),           # completeness (1+1+0.5+0.5)/4 = 0.75; 0.5*0.75 + 0.5*1; (1-0.875)/0.5*100
}
# 发热大楼 on 2月12日: 金融 + 科技研发, 30+30 = 60 on site in 50,000 ㎡; fever case on 2月11日.
FAREI = {
    "density": (1.2, 6.0),             # 1000*60/50000 = 1.2; 1.2/10*50
    "tenants": (2, 20.0),
    "staff_on_site": (60, 30.0),       # 60/100*50
    "mobility": (0.0, 0.0),
    "business_mix": (2.0, 10.0),       # 1/(2*(1/2)^2) = 2; (2-1)/(5-1)*40
    "measures": (1.0, 0.0),            # 22/22 on 2月10日
    "duty": (95, 10.0),                # 100 - (95-50)/50*100
    "ledger": (1.0, 0.0),
}
# 久未检查中心 on 2月12日: two companies, 30+30 = 60 on site in 30,000 ㎡; never inspected.
JIUWEI = {
    "density": (2.0, 10.0),            # 1000*60/30000 = 2; 2/10*50
    "tenants": (2, 20.0),
    "staff_on_site": (60, 30.0),
    "mobility": (0.0, 0.0),
    "business_mix": (2.0, 10.0),
    "measures": (None, 100.0),         # no inspection: missing_points
    "duty": (None, 100.0),             # no duty score: missing_points
    "ledger": (1.0, 0.0),
}


@pytest.mark.parametrize("building_id, values, score, score_grade, computed", [
    (JSL1, QINGLANG, 13.75, "低", "低"),  # 5.5 + 3 + 5.25
    (JSL2, FANZA, 66.013636, "高", "高"),  # 15 + 4 + 6.25 + 6 + 7.9 + 16.3636 + 8 + 2.5
    (HYL1, FAREI, 8.2, "低", "高"),        # 1.2 + 2 + 3 + 1 + 1; the fever rule raises it
    (HYL2, JIUWEI, 38.0, "低", "中"),      # 2 + 2 + 3 + 1 + 20 + 10; the stale-inspection rule raises it
])
def test_factor_table_and_grade(cur, building_id, values, score, score_grade, computed):
    day = D(2020, 2, 12)
    assert factor_table(cur, building_id, day) == pytest.approx(expected_table(values), nan_ok=True)
    assert score_of(values) == pytest.approx(score, abs=1e-5)
    graded = row(grade.grades_on(cur, day), building_id)
    assert graded["score"] == pytest.approx(score, abs=1e-5)
    assert (graded["score_grade"], graded["computed_grade"], graded["grade"]) == (score_grade, computed, computed)


def test_factor_table_is_ordered_and_labelled(cur):
    frame = grade.building_factors(cur, JSL2, D(2020, 2, 12))
    assert list(frame["factor"]) == ["measures", "density", "duty", "business_mix", "staff_on_site", "mobility",
                                     "tenants", "ledger"]  # by contribution, largest first
    assert list(frame["label"][:3]) == ["防控措施", "人员密度", "物业履责"]
    assert list(frame["shown_value"]) == ["59.1%", "15.0 人/千㎡", "60 分", "11.5", "150", "6.0%", "4", "87.5%"]


def test_latest_duty_score_is_the_latest_one_given(cur):
    """清朗大厦's check of 2月13日 left the duty score blank: the 2月9日 score (100) still counts,
    and the 2月13日 checklist (22/22, one day old) is the latest measure."""
    assert factor_table(cur, JSL1, D(2020, 2, 14)) == pytest.approx(expected_table(QINGLANG))
    assert row(grade.grades_on(cur, D(2020, 2, 14)), JSL1)["score"] == pytest.approx(13.75)


def test_measures_age_after_stale_after_days(cur):
    """繁杂广场's only check is 2月8日 (13/22); after 5 days it loses 0.05 a day."""
    values = dict(FANZA, measures=(13 / 22 - 0.05, (1 - (13 / 22 - 0.05)) / 0.5 * 100))  # 6 days old
    assert factor_table(cur, JSL2, D(2020, 2, 14)) == pytest.approx(expected_table(values))
    # 2月10日: mobility 6/150 = 0.04 -> 40 points; from 2月15日 measures < 0.5 -> 100 points.
    # 2月17日 and 18日: the 2月10日/11日 returnees are still inside the 14-day window.
    scores = dict(cur.execute("select day, score from building_grades where building_id = ?", [JSL2]).fetchall())
    fixed = 15 + 4 + 6.25 + 7.9 + 8 + 2.5
    measures_82 = 0.2 * (1 - 13 / 22) / 0.5 * 100
    assert [scores[d] for d in DAYS] == pytest.approx([
        fixed + 4 + measures_82, fixed + 6 + measures_82, fixed + 6 + measures_82, fixed + 6 + measures_82,
        fixed + 6 + measures_82 + 2, fixed + 6 + 20, fixed + 6 + 20, fixed + 6 + 20, fixed + 6 + 20])


def test_a_day_without_returns(cur):
    """发热大楼 sent no returns on 2月15日: nobody on site, ledger coverage 0 — and the fever case of
    2月11日 still counts."""
    values = dict(FAREI, density=(0.0, 0.0), staff_on_site=(0, 0.0),
                  ledger=(0.5, 100.0))  # 0.5*1 + 0.5*0/2
    assert factor_table(cur, HYL1, D(2020, 2, 15)) == pytest.approx(expected_table(values))
    graded = row(grade.grades_on(cur, D(2020, 2, 15)), HYL1)
    assert graded["score"] == pytest.approx(14.0)  # 2 + 1 + 1 + 10
    assert (graded["computed_grade"], graded["rule"]) == ("高", "近期出现体温异常人员")


@pytest.mark.both_backends
def test_grades_of_every_day(cur):
    assert grade_grid(cur) == {
        JSL1: "低低低低低低低低低",
        JSL2: "高高高高高高高高高",
        HYL1: "低高高高高高高高低",  # fever on 2月11日, 7-day window: 2月11日 .. 2月17日
        HYL2: "中中中中中中中中中",
    }
    assert grade.latest_graded_day(cur) == D(2020, 2, 18)
    assert grade.grade_counts(cur, D(2020, 2, 12)) == {"高": 2, "中": 1, "低": 1}
    assert grade.grade_counts(cur, D(2020, 2, 12), "江苏路街道") == {"高": 1, "中": 0, "低": 1}


def test_grades_on_reasons_and_order(cur):
    frame = grade.grades_on(cur, D(2020, 2, 12))
    assert list(frame["building_id"]) == [JSL2, HYL1, HYL2, JSL1]  # grade, then score, descending
    assert list(frame["main_factor"]) == ["防控措施", "在岗人数", "防控措施", "人员密度"]
    assert list(frame["main_reason"]) == [
        "防控措施：检查通过率 59.1%，贡献 16.4 分",
        "近期出现体温异常人员（近7天体温异常 1 人）",
        "超过10天未检查（无检查记录）",
        "人员密度：5.5 人/千㎡，贡献 5.5 分",
    ]
    assert list(frame["previous_grade"]) == ["高", "高", "中", "低"]
    assert not frame["changed"].any()
    first = grade.grades_on(cur, D(2020, 2, 10))
    assert first["previous_grade"].isna().all() and not first["changed"].any()
    assert set(first["change"]) == {""}
    fever_day = row(grade.grades_on(cur, D(2020, 2, 11)), HYL1)
    assert (fever_day["previous_grade"], fever_day["changed"], fever_day["change"]) == ("低", True, "↑")
    over = row(grade.grades_on(cur, D(2020, 2, 18)), HYL1)
    assert (over["previous_grade"], over["changed"], over["change"]) == ("高", True, "↓")


# -- hard rules ------------------------------------------------------------------------------

@pytest.mark.both_backends
def test_fever_rule(cur):
    for day in DAYS:
        graded = row(grade.grades_on(cur, day), HYL1)
        assert graded["score_grade"] == "低"
        if D(2020, 2, 11) <= day <= D(2020, 2, 17):
            assert (graded["computed_grade"], graded["rule"], graded["rule_detail"]) == \
                ("高", "近期出现体温异常人员", "近7天体温异常 1 人"), day
        else:
            assert graded["computed_grade"] == "低" and pd.isna(graded["rule"]), day


def test_checklist_rule(db, cur):
    # 清朗大厦 fails a check on 2月12日 (12/22 = 54.5%) and passes again on 2月13日.
    gd.upload(db, "复查.xlsx", gd.checks_sheet([(D(2020, 2, 12), JSL1, (2, 2, 2, 2, 2, 2), 100),
                                             (D(2020, 2, 13), JSL1, gd.FULL, 100)]))
    # 2月12日: measures 12/22 -> (1 - 12/22)/0.5*100 = 90.91 points; score 13.75 + 18.18 = 31.93: 低 by score.
    graded = row(grade.grades_on(cur, D(2020, 2, 12)), JSL1)
    assert graded["score"] == pytest.approx(13.75 + 0.2 * (1 - 12 / 22) / 0.5 * 100)
    assert (graded["score_grade"], graded["computed_grade"]) == ("低", "中")
    assert (graded["rule"], graded["rule_detail"]) == ("防控检查通过率低于60%", "最近一次检查通过率 54.5%")
    assert grade_grid(cur)[JSL1] == "低低中低低低低低低"


def test_checklist_rule_never_lowers_a_grade(cur):
    """繁杂广场's last checklist (13/22 = 59.1%) is under 60%: the rule says 中, its score says 高."""
    for day in DAYS:
        graded = row(grade.grades_on(cur, day), JSL2)
        assert (graded["score_grade"], graded["computed_grade"]) == ("高", "高") and pd.isna(graded["rule"])


def test_stale_inspection_rule(db, cur):
    for day in DAYS:  # never inspected
        graded = row(grade.grades_on(cur, day), HYL2)
        assert (graded["score_grade"], graded["computed_grade"], graded["rule"], graded["rule_detail"]) == \
            ("低", "中", "超过10天未检查", "无检查记录")
    # One check on 2月1日: 9 days old on 2月10日, 10 on 2月11日 (not more than 10), 11 on 2月12日.
    gd.upload(db, "补录检查.xlsx", gd.checks_sheet([(D(2020, 2, 1), HYL2, gd.FULL, 100)]))
    # 2月10日: measures 1.0 - 0.05*(9-5) = 0.8 -> 40 points -> 8; duty 100 -> 0; score 2+2+3+1+8 = 16.
    values = dict(JIUWEI, measures=(0.8, 40.0), duty=(100, 0.0))
    assert factor_table(cur, HYL2, D(2020, 2, 10)) == pytest.approx(expected_table(values))
    assert row(grade.grades_on(cur, D(2020, 2, 10)), HYL2)["score"] == pytest.approx(16.0)
    assert grade_grid(cur)[HYL2] == "低低中中中中中中中"
    stale = row(grade.grades_on(cur, D(2020, 2, 12)), HYL2)
    assert stale["score"] == pytest.approx(20.0)  # measures 0.7 -> 60 points -> 12
    assert (stale["rule"], stale["rule_detail"]) == ("超过10天未检查", "11 天未检查")


def variant(**changes: str) -> str:
    """TEST_CONFIG with some lines replaced: {"old line": "new line"}."""
    text = TEST_CONFIG
    for old, new in changes.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def with_rule_grades(fever: str = "高", checklist: str = "中", stale: str = "中") -> str:
    head, rules = TEST_CONFIG.split("[rules.fever]")
    rules = "[rules.fever]" + rules
    grades = iter((fever, checklist, stale))
    return head + "\n".join(f'grade = "{next(grades)}"' if line.startswith("grade = ") else line
                            for line in rules.splitlines())


def test_rules_never_lower_a_grade(db, cur):
    """With every rule saying 低, nothing changes: a rule only ever raises a grade."""
    before = cur.execute("select building_id, day, score_grade from building_grades order by all").fetchall()
    grade.save_config(db, with_rule_grades("低", "低", "低"), "测试管理员")
    after = cur.execute("select building_id, day, computed_grade from building_grades order by all").fetchall()
    assert after == before
    assert cur.execute("select count(*) from building_grades where rule is not null").fetchall() == [(0,)]


def test_the_most_severe_rule_applies(db, cur):
    """Fever says 中, a failed checklist says 高: a building with both is 高, whatever the rules' order."""
    grade.save_config(db, with_rule_grades(fever="中", checklist="高", stale="中"), "测试管理员")
    gd.upload(db, "复查.xlsx", gd.checks_sheet([(D(2020, 2, 12), HYL1, (2, 2, 2, 2, 2, 2), 95)]))
    graded = row(grade.grades_on(cur, D(2020, 2, 12)), HYL1)
    assert (graded["computed_grade"], graded["rule"]) == ("高", "防控检查通过率低于60%")
    fever_only = row(grade.grades_on(cur, D(2020, 2, 11)), HYL1)
    assert (fever_only["computed_grade"], fever_only["rule"]) == ("中", "近期出现体温异常人员")


def test_fever_window_follows_the_rule_and_mobility_stays_14_days(db, cur):
    grade.save_config(db, variant(**{"days = 7": "days = 3"}), "测试管理员")
    assert grade_grid(cur)[HYL1] == "低高高高低低低低低"  # 2月11日 .. 2月13日
    # Mobility is over 14 days whatever the fever window: 繁杂广场 keeps its 9 returnees through 2月18日.
    mobility = cur.execute("select value from building_factors where building_id = ? and factor = 'mobility' "
                           "order by day", [JSL2]).fetchall()
    assert [v for (v,) in mobility] == pytest.approx([0.04] + [0.06] * 8)


# -- overrides -------------------------------------------------------------------------------

def audit_rows(cur, action: str) -> list[tuple]:
    return [(actor, target, json.loads(before) if before else None, json.loads(after) if after else None)
            for actor, target, before, after in cur.execute(
                "select actor, target, before, after from audit where action = ? order by audit_id",
                [action]).fetchall()]


@pytest.mark.both_backends
def test_override_with_expiry(db, cur):
    oid = grade.set_override(db, JSL1, "高", "  现场检查发现电梯未消毒 ", D(2020, 2, 14), D(2020, 2, 16), "王书记")
    assert audit_rows(cur, "grade.override") == [("王书记", JSL1, {"grade": "低"}, {
        "grade": "高", "reason": "现场检查发现电梯未消毒", "starts": "2020-02-14", "expires": "2020-02-16",
        "override_id": oid})]
    for day in DAYS:
        graded = row(grade.grades_on(cur, day), JSL1)
        active = D(2020, 2, 14) <= day <= D(2020, 2, 16)  # through the expiry day, then by itself no more
        assert graded["computed_grade"] == "低"
        assert graded["override"] == active, day
        assert graded["grade"] == ("高" if active else "低"), day
        if active:
            assert graded["override_reason"] == "现场检查发现电梯未消毒"
            assert graded["override_by"] == "王书记"
            assert graded["override_expires"].date() == D(2020, 2, 16)
            assert graded["main_reason"] == "人工调整：现场检查发现电梯未消毒"
    start, end = row(grade.grades_on(cur, D(2020, 2, 14)), JSL1), row(grade.grades_on(cur, D(2020, 2, 17)), JSL1)
    assert (start["previous_grade"], start["changed"], start["change"]) == ("低", True, "↑")
    assert (end["previous_grade"], end["changed"], end["change"]) == ("高", True, "↓")
    history = grade.grade_history(cur, JSL1)
    assert list(history["day"].dt.date) == DAYS
    assert "".join(history["grade"]) == "低低低低高高高低低"
    assert "".join(history["computed_grade"]) == "低" * 9
    assert list(history["override"]) == [False] * 4 + [True] * 3 + [False] * 2


def test_override_without_expiry_and_revoke(db, cur):
    oid = grade.set_override(db, HYL2, "中", "楼长已安排下周检查，维持中风险", D(2020, 2, 12), None, "李主任")
    # Same grade as computed: it is still an override (the leader's word), in the list and in the history.
    graded = row(grade.grades_on(cur, D(2020, 2, 18)), HYL2)
    assert (graded["grade"], graded["computed_grade"], graded["override"]) == ("中", "中", True)
    assert pd.isna(graded["override_expires"])
    assert list(grade.grade_history(cur, HYL2)["override"]) == [False] * 2 + [True] * 7
    later = grade.set_override(db, HYL2, "低", "已完成检查", D(2020, 2, 15), None, "李主任")
    assert "".join(grade.grade_history(cur, HYL2)["grade"]) == "中中中中中低低低低"  # the latest override wins
    grade.revoke_override(db, later, "李主任")
    assert "".join(grade.grade_history(cur, HYL2)["grade"]) == "中" * 9
    assert row(grade.grades_on(cur, D(2020, 2, 18)), HYL2)["override_id"] == oid
    grade.revoke_override(db, oid, "李主任")
    graded = row(grade.grades_on(cur, D(2020, 2, 18)), HYL2)
    assert (graded["grade"], graded["override"]) == ("中", False)
    assert list(grade.grade_history(cur, HYL2)["override"]) == [False] * 9
    assert audit_rows(cur, "grade.override.revoke") == [("李主任", HYL2, {"grade": "低"}, None),
                                                       ("李主任", HYL2, {"grade": "中"}, None)]
    with pytest.raises(UserError, match="该人工调整已撤销"):
        grade.revoke_override(db, oid, "李主任")
    frame = grade.overrides(cur, HYL2)
    assert list(frame["override_id"]) == [later, oid] and frame["revoked_at"].notna().all()  # kept, not deleted


@pytest.mark.parametrize("args, message", [
    ((JSL1, "高", "   ", D(2020, 2, 14), None), "人工调整等级必须填写理由"),
    ((JSL1, "高", "", D(2020, 2, 14), None), "人工调整等级必须填写理由"),
    ((JSL1, "极高", "理由", D(2020, 2, 14), None), "等级须为 高、中、低 之一"),
    ((JSL1, "高", "理由", D(2020, 2, 14), D(2020, 2, 13)), "到期日 2020-02-13 早于生效日 2020-02-14"),
    (("JSL-999", "高", "理由", D(2020, 2, 14), None), "楼宇 JSL-999 不存在"),
])
def test_override_refused(db, cur, args, message):
    with pytest.raises(UserError) as caught:
        grade.set_override(db, *args, "王书记")
    assert caught.value.message == message
    assert grade.overrides(cur).empty
    assert audit_rows(cur, "grade.override") == []


# -- configuration ---------------------------------------------------------------------------

def config_error(text: str) -> str:
    with pytest.raises(UserError) as caught:
        grade.parse_config(text)
    assert caught.value.message.startswith("评分配置有误：")
    assert caught.value.hint == "请修改后再保存"
    return caught.value.message.removeprefix("评分配置有误：")


DENSITY_POINTS = "points = [[0, 0], [10, 50], [20, 100]]"


@pytest.mark.parametrize("changes, message", [
    ({"[thresholds]": "[weights]\ndensity = 1\n\n[thresholds]"}, "未知的配置项“weights”"),
    ({"[factors.ledger]": "[factors.noise]\nweight = 0\npoints = [[0, 0], [1, 1]]\n\n[factors.ledger]"},
     "未知的因子“noise”（可用：density、tenants、staff_on_site、mobility、business_mix、measures、duty、ledger）"),
    ({'unit = "人/千㎡"': 'unit = "人/千㎡"\ncolour = "red"'}, "factors.density 下未知的配置项“colour”"),
    ({DENSITY_POINTS: "points = [[0, 0], [10, 50], [10, 100]]"}, "factors.density.points 的值须严格递增：[0.0, 10.0, 10.0]"),
    ({DENSITY_POINTS: "points = [[0, 0], [20, 50], [10, 100]]"}, "factors.density.points 的值须严格递增：[0.0, 20.0, 10.0]"),
    ({DENSITY_POINTS: "points = [[0, 0], [10, 60], [20, 50]]"},
     "factors.density.points 的分数须单调（只升或只降）：[0.0, 60.0, 50.0]"),
    ({DENSITY_POINTS: "points = [[0, 0], [10, 50], [20, 120]]"}, "factors.density.points 的分数须在 0–100 之间"),
    ({DENSITY_POINTS: "points = [[0, 0]]"}, "factors.density.points 须为至少两个 [值, 分] 对"),
    ({"weight = 0.2\npoints = [[0, 0], [10": "weight = 0.3\npoints = [[0, 0], [10"}, "各因子权重之和须为 1，现为 1.100"),
    ({"weight = 0.2\npoints = [[0, 0], [10": "weight = -0.2\npoints = [[0, 0], [10"},
     "factors.density.weight 须为非负数；各因子权重之和须为 1，现为 0.800"),
    ({"high = 50\nmedium = 39": "high = 50\nmedium = 60"}, "阈值须满足 0 < medium < high ≤ 100，现为 medium=60、high=50"),
    ({"high = 50\nmedium = 39": "high = 150\nmedium = 39"}, "阈值须满足 0 < medium < high ≤ 100，现为 medium=39、high=150"),
    ({"high = 50\nmedium = 39": "high = \"50\"\nmedium = 39"}, "thresholds 须有数值 high 和 medium"),
    ({"high = 50\nmedium = 39": "high = 50\nmedium = 39\nlow = 10"}, "thresholds 下未知的配置项“low”"),
    ({'days = 7\ngrade = "高"': 'days = 7\ngrade = "严重"'}, "rules.fever.grade 须为 高/中/低 之一"),
    ({'below = 0.6': 'below = "60%"'}, "rules.checklist.below 须为数值"),
    ({"[rules.fever]": "[rules.curfew]\ndays = 1\ngrade = \"高\"\n\n[rules.fever]"},
     "未知的规则“curfew”（可用：fever、checklist、stale_inspection）"),
    ({"[rules.fever]\nlabel": "[rules.fever]\nhours = 3\nlabel"}, "rules.fever 下未知的配置项“hours”"),
])
def test_config_errors(changes, message):
    assert config_error(variant(**changes)) == message


def test_config_errors_missing_factor_and_bad_toml():
    text = TEST_CONFIG.replace("[factors.tenants]", "[factors.tenants_]")
    assert config_error(text).startswith("未知的因子“tenants_”")
    assert "缺少因子“tenants”" in config_error(text)
    with pytest.raises(UserError, match="评分配置不是有效的 TOML"):
        grade.parse_config("[thresholds\nhigh = 1")


@pytest.mark.parametrize("factor, points, message", [
    ("measures", "[[0.5, 0], [1.0, 100]]", "factors.measures.points 的分数须随数值下降（数值越高风险越低）"),
    ("duty", "[[50, 0], [100, 100]]", "factors.duty.points 的分数须随数值下降（数值越高风险越低）"),
    ("ledger", "[[0.5, 0], [1.0, 100]]", "factors.ledger.points 的分数须随数值下降（数值越高风险越低）"),
    ("density", "[[0, 100], [20, 0]]", "factors.density.points 的分数须随数值上升（数值越高风险越高）"),
    ("mobility", "[[0, 100], [0.1, 0]]", "factors.mobility.points 的分数须随数值上升（数值越高风险越高）"),
])
def test_config_curve_direction(factor, points, message):
    """A curve that points the wrong way would turn the grading upside down (fewer checklist items passed
    giving a lower risk): refused."""
    start = TEST_CONFIG.index(f"[factors.{factor}]")
    line = TEST_CONFIG.index("points = ", start)
    end = TEST_CONFIG.index("\n", line)
    assert config_error(TEST_CONFIG[:line] + f"points = {points}" + TEST_CONFIG[end:]) == message


def test_config_roundtrip():
    for text in (TEST_CONFIG, grade.config_path().read_text(encoding="utf-8")):
        config = grade.parse_config(text)
        assert grade.parse_config(grade.config_to_toml(config)) == config
    shipped = grade.default_config()
    assert abs(sum(f.weight for f in shipped.factors.values()) - 1) < 1e-9


@pytest.mark.both_backends
def test_save_config_is_versioned_audited_and_regrades(db, cur):
    assert grade.active_config(cur).version == 1  # TEST_CONFIG, saved by the builder
    with pytest.raises(UserError):
        grade.save_config(db, variant(**{"high = 50": "high = 30"}), "测试管理员")  # medium 39 > high 30
    assert cur.execute("select count(*) from grading_configs").fetchall() == [(1,)]
    version = grade.save_config(db, variant(**{"high = 50\nmedium = 39": "high = 30\nmedium = 20"}), "测试管理员",
                                "下调阈值")
    assert version == 2
    assert grade.active_config(cur).version == 2 and grade.active_config(cur).high == 30
    assert audit_rows(cur, "config.save") == [
        ("测试管理员", "grading v1", {"version": 0}, {"version": 1, "note": "测试配置"}),
        ("测试管理员", "grading v2", {"version": 1}, {"version": 2, "note": "下调阈值"})]
    assert cur.execute("select distinct config_version from building_grades").fetchall() == [(2,)]
    # Scores stay, grades follow the new thresholds: 清朗大厦 13.75 < 20; 久未检查中心 38 >= 30 -> 高;
    # 发热大楼 8.2 .. 14.2 < 20, raised by the fever rule from 2月11日 to 2月17日.
    assert grade_grid(cur) == {JSL1: "低" * 9, JSL2: "高" * 9, HYL1: "低高高高高高高高低", HYL2: "高" * 9}
    graded = grade.grades_on(cur, D(2020, 2, 12))
    assert [(r.building_id, r.score_grade) for r in graded.itertuples()] == \
        [(JSL2, "高"), (HYL2, "高"), (HYL1, "低"), (JSL1, "低")]


@pytest.mark.both_backends
def test_what_if_writes_nothing(cur):
    before = cur.execute("select * from building_grades order by all").fetchall()
    config = grade.config_with(grade.active_config(cur), high=30, medium=20)
    trial = grade.what_if(cur, config, D(2020, 2, 12))
    assert dict(zip(trial["building_id"], trial["trial_grade"], strict=True)) == \
        {JSL1: "低", JSL2: "高", HYL1: "高", HYL2: "高"}
    assert list(trial.loc[trial["trial_changed"], "building_id"]) == [HYL2]
    assert cur.execute("select * from building_grades order by all").fetchall() == before


# -- new batches, rollback, incremental regrade -----------------------------------------------

NEW_DAY = D(2020, 2, 19)
# 清朗大厦 on 2月19日: all 300 staff on site, 10 back from key areas and 20 from abroad in company 1.
BUSY = {1: 100, 2: 100, 3: 100}
BUSY_EVENTS = {(1, NEW_DAY): (10, 20, 0)}


def snapshot(cur) -> tuple[list, list]:
    return (cur.execute("select * from building_grades order by all").fetchall(),
            cur.execute("select * from building_factors order by all").fetchall())


@pytest.mark.both_backends
def test_new_batch_changes_a_grade_and_rollback_restores_it(db, cur):
    before = snapshot(cur)
    batch = gd.upload(db, "日报_0219.xlsx", gd.returns_sheet(
        gd.return_rows([NEW_DAY], on_site=BUSY, events=BUSY_EVENTS)))
    values = {
        "density": (15.0, 75.0),        # 1000*300/20000
        "tenants": (3, 30.0),
        "staff_on_site": (300, 100.0),
        "mobility": (0.1, 100.0),       # 30/300
        "business_mix": (1.0, 0.0),
        "measures": (0.95, 10.0),       # 2月13日's 22/22, 6 days old: 1 - 0.05
        "duty": (100, 0.0),
        "ledger": (1.0, 0.0),
    }
    assert factor_table(cur, JSL1, NEW_DAY) == pytest.approx(expected_table(values))
    graded = grade.grades_on(cur, NEW_DAY)
    busy = row(graded, JSL1)
    assert busy["score"] == pytest.approx(40.0)  # 15 + 3 + 10 + 10 + 2 >= 39: 中
    assert (busy["computed_grade"], busy["previous_grade"], busy["changed"], busy["change"]) == ("中", "低", True, "↑")
    assert list(graded.loc[graded["changed"], "building_id"]) == [JSL1]
    rollback_batch(db, batch, "测试分析员")
    assert snapshot(cur) == before
    assert grade.latest_graded_day(cur) == D(2020, 2, 18)


@pytest.mark.both_backends
def test_incremental_regrade_equals_full_regrade(db, cur):
    gd.upload(db, "日报_0219.xlsx", gd.returns_sheet(
        gd.return_rows([NEW_DAY], on_site=BUSY, events={**BUSY_EVENTS, (9, NEW_DAY): (0, 0, 2)})))
    gd.upload(db, "补录检查.xlsx", gd.checks_sheet([(D(2020, 2, 14), HYL2, (4, 4, 3, 4, 3, 3), 80)]))
    gd.upload(db, "更正日报.xlsx", gd.returns_sheet(gd.return_rows([D(2020, 2, 16)], on_site={6: 0, 7: 0})))
    incremental = snapshot(cur)
    seconds = grade.regrade_all(db)
    assert seconds > 0
    assert snapshot(cur) == incremental


def test_incremental_regrade_with_a_long_fever_window(db, cur):
    """A 20-day fever window reaches further back than the 14 days of mobility."""
    grade.save_config(db, variant(**{"days = 7": "days = 20"}), "测试管理员")
    late = D(2020, 2, 28)  # 17 days after the fever case of 2月11日
    gd.upload(db, "日报_0228.xlsx", gd.returns_sheet(gd.return_rows([late])))
    assert row(grade.grades_on(cur, late), HYL1)["rule"] == "近期出现体温异常人员"
    incremental = snapshot(cur)
    grade.regrade_all(db)
    assert snapshot(cur) == incremental


def test_export_xlsx(db, cur):
    grade.set_override(db, JSL1, "中", "=HYPERLINK(\"x\")", D(2020, 2, 12), None, "王书记")
    day = D(2020, 2, 12)
    content = grade.export_xlsx(grade.grades_on(cur, day, "江苏路街道"), day, "江苏路街道")
    reader = fastexcel.read_excel(content)
    assert reader.load_sheet(0, header_row=None, n_rows=1).to_pandas().iloc[0, 0] == \
        "江苏路街道楼宇风险分级（2020年2月12日）"
    table = reader.load_sheet(0, header_row=1).to_pandas()
    assert list(table.columns) == ["楼宇编号", "楼宇名称", "所属街道", "风险等级", "计算等级", "评分", "前一日等级", "主要原因",
                                   "人工调整"]
    assert table.astype(object).where(table.notna(), None).values.tolist() == [
        [JSL2, "繁杂广场", "江苏路街道", "▲ 高", "▲ 高", 66.0, "▲ 高", "防控措施：检查通过率 59.1%，贡献 16.4 分", ""],
        [JSL1, "清朗大厦", "江苏路街道", "◆ 中", "● 低", 13.8, "● 低", '人工调整：=HYPERLINK("x")', "是"],
    ]
