"""一网统管 防疫专项 (issue 18): the three new sheet kinds through the real upload path with their whole findings
tables, 新增 derived day on day, rollback, the migration on a database that already holds data, street scope.

Each findings tuple is (sheet, Excel row, column as written in the upload, value, rule, message, severity).
"""

from __future__ import annotations

import datetime as dt

import pytest
from workbooks import Sheet, check_file, commit_file, write_xlsx

from pipelines.batches.commit import rollback_batch
from pipelines.core.store import Store
from pipelines.situation import epidemic, feed
from pipelines.situation.geo import gcj02_to_wgs84

E, W = "error", "warning"
EPI_HEADER = ["日期", "范围", "确诊", "疑似", "密接", "居家观察", "解除观察"]  # aliases, as offices write them
WORK_HEADER = ["日期", "所属街道", "工作项", "目标数", "累计完成数", "单位", "备注"]
POINT_HEADER = ["点位编号", "点位名称", "类型", "所属街道", "地址", "经度", "纬度", "坐标系"]


def epi(day: str, scope: str, confirmed, suspected=0, contacts=0, observing=0, released=0) -> list:
    return [day, scope, confirmed, suspected, contacts, observing, released]


def test_epidemic_findings_and_new_derived(store, tmp_path):
    path = write_xlsx(tmp_path / "疫情发展.xlsx", [Sheet("疫情", [
        ["长宁区疫情发展情况（人）"],
        EPI_HEADER,
        epi("2020-02-10", "全国", 42638, 21675, 187518, 0, 27000),
        epi("2020-02-11", "全国", 44653, 16067, 185037, 0, 29000),
        epi("2020-02-10", "江苏路街道", 1, 0, 5, 150, 20),
        epi("2020-02-11", "江苏路街道", 0, 0, 4, 140, 18),  # two cumulative figures went down: warnings
        epi("2020-02-11", "全市", -1, "三", 0, 0, 0),  # negative, not a number
        [None, "全区", 3, 0, 0, 0, 0],  # no date
        epi("2020-02-11", "全国", 44653),  # the same key twice
    ])])
    assert check_file(store, path) == [
        ("疫情", 7, "疑似", "三", "type", "D7的“三”不是现有疑似可用的值：请填写整数，如 12 或 1,200（逗号只能用作千位分隔）", E),
        ("疫情", 7, "确诊", "-1", "negative", "C7的累计确诊为-1，不能为负数", E),
        ("疫情", 8, "日期", None, "required", "日期不能为空：请在A8填写", E),
        ("疫情", 9, "范围", "2020-02-11 全国", "duplicate_key",
         "B9：“2020-02-11 全国”在本次上传中重复（与第4行相同），每个疫情发展记录只能出现一次：请删除重复行", E),
        ("疫情", 6, "确诊", "0", "cumulative_down",
         "C6：累计确诊为0，比前一次报告（2020-02-10 为 1）少：累计数不应减少，请核对；如是订正，可确认后入库", W),
        ("疫情", 6, "解除观察", "18", "cumulative_down",
         "G6：累计解除观察为18，比前一次报告（2020-02-10 为 20）少：累计数不应减少，请核对；如是订正，可确认后入库", W),
    ]

    good = write_xlsx(tmp_path / "疫情发展_好.xlsx", [Sheet("疫情发展", [
        EPI_HEADER,
        epi("2020-02-10", "全国", 42638, 21675, 187518, 0, 27000),
        epi("2020-02-11", "全国", 44653, 16067, 185037, 0, 29000),
        epi("2020-02-13", "全国", 59804, 13435, 181386, 0, 33000),
        epi("2020-02-10", "江苏路街道", 0, 1, 0, 150, 20),
        epi("2020-02-11", "江苏路街道", 1, 0, 5, 140, 31),
    ])])
    assert check_file(store, good) == []
    commit_file(store, good)
    cur = store.cursor()
    assert cur.execute("select scope, report_date, confirmed_new, suspected_change, released_new from epidemic_daily "
                       "order by scope, report_date").fetchall() == [
        ("全国", dt.date(2020, 2, 10), None, None, None),
        ("全国", dt.date(2020, 2, 11), 2015, -5608, 2000),
        ("全国", dt.date(2020, 2, 13), 15151, -2632, 4000),  # a gap: the change since the report before
        ("江苏路街道", dt.date(2020, 2, 10), None, None, None),
        ("江苏路街道", dt.date(2020, 2, 11), 1, -1, 11),
    ]
    # A cumulative figure below the stored report before it is a warning too.
    lower = write_xlsx(tmp_path / "疫情发展_少.xlsx", [Sheet("疫情发展", [
        EPI_HEADER, epi("2020-02-14", "全国", 59000, 0, 0, 0, 34000)])])
    assert check_file(store, lower) == [
        ("疫情发展", 2, "确诊", "59000", "cumulative_down",
         "C2：累计确诊为59000，比前一次报告（2020-02-13 为 59804）少：累计数不应减少，请核对；如是订正，可确认后入库", W),
    ]


def test_work_progress_findings_other_items_and_new(store, tmp_path):
    path = write_xlsx(tmp_path / "工作进度.xlsx", [Sheet("工作进度", [
        WORK_HEADER,
        ["2020-02-10", "江苏路街道", "地毯式消毒", 400, 120, "处", "重点楼宇已完成"],
        ["2020-02-11", "江苏路街道", "地毯式消毒", 400, 450, "处", None],  # above the target
        ["2020-02-11", "江苏路街道", "垃圾分类宣传", None, 30, "户", "其他工作项也可以"],  # other text allowed
        ["2020-02-12", "江苏路街道", "地毯式消毒", 400, 380, "处", None],  # went down from 450
        ["2020-02-12", "江苏路街道", None, 10, 5, "处", None],
        ["2020-02-12", "江苏路街道", "养老机构", 4, "-2", "家", None],
    ])])
    assert check_file(store, path) == [
        ("工作进度", 6, "工作项", None, "required", "工作项不能为空：请在C6填写", E),
        ("工作进度", 7, "累计完成数", "-2", "negative", "E7的累计完成数为-2，不能为负数", E),
        ("工作进度", 3, "累计完成数", "450", "over_target",
         "E3：累计完成数450超过目标数400：请核对目标数或完成数；如目标已调整，请一并更新目标数", W),
        ("工作进度", 5, "累计完成数", "380", "cumulative_down",
         "E5：累计完成数为380，比前一次报告（2020-02-11 为 450）少：累计数不应减少，请核对；如是订正，可确认后入库", W),
    ]
    good = write_xlsx(tmp_path / "工作进度_好.xlsx", [Sheet("工作进度", [
        WORK_HEADER,
        ["2020-02-10", "江苏路街道", "地毯式消毒", 400, 120, "处", None],
        ["2020-02-11", "江苏路街道", "地毯式消毒", 400, 200, "处", "主干道完成"],
        ["2020-02-11", "江苏路街道", "垃圾分类宣传", None, 30, "户", None],
        ["2020-02-11", "华阳路街道", "地毯式消毒", 300, 60, "处", None],
    ])])
    commit_file(store, good)
    cur = store.cursor()
    modules = epidemic.work_modules(cur, dt.date(2020, 2, 11))
    plain = cur.execute("""
        select work_item, sum(target), sum(done) from work_progress
        where (street, work_item, report_date) in (select (street, work_item, max(report_date)) from work_progress
                                                   group by street, work_item)
        group by work_item""").fetchall()
    assert {(r.work_item, None if r.target != r.target else r.target, r.done) for r in modules.itertuples()} == {
        (w, t, d) for w, t, d in plain}
    disinfection = modules.set_index("work_item").loc["地毯式消毒"]
    assert (disinfection["target"], disinfection["done"], disinfection["done_today"]) == (700, 260, 80)
    assert disinfection["completion"] == pytest.approx(260 / 700)
    assert list(modules["work_item"]) == ["地毯式消毒", "垃圾分类宣传"]  # the eight of the seeds first
    # Three days on with no report: stale.
    later = epidemic.work_modules(cur, dt.date(2020, 2, 14)).set_index("work_item")
    assert later.loc["地毯式消毒", "days_since"] == 3 and bool(later.loc["地毯式消毒", "stale"])
    assert later.loc["地毯式消毒", "done_today"] == 0
    # A street sees its own streets' rows only.
    assert epidemic.work_modules(cur, dt.date(2020, 2, 11), "华阳路街道")["done"].tolist() == [60]


def test_key_points_findings_and_gcj02(store, tmp_path):
    path = write_xlsx(tmp_path / "重要点位.xlsx", [Sheet("重要点位", [
        POINT_HEADER,
        ["D01", "江苏路街道社区卫生服务中心", "社区卫生服务中心", "江苏路街道", "长宁区某路1号", 121.4300, 31.2210, None],
        ["D02", "某小区道口", "卡口", "江苏路街道", None, 121.43, 31.22, "GCJ02"],  # not one of the types
        ["D03", "某药房", "口罩发放点", "江苏路街道", None, 31.22, 121.43, None],  # swapped
        ["D04", "远处", "其他", "江苏路街道", None, 116.4, 39.9, "WGS84"],  # Beijing
        ["D01", "重复", None, "江苏路街道", None, 121.43, 31.22, None],
    ])])
    assert check_file(store, path) == [
        ("重要点位", 3, "类型", "卡口", "enum",
         "C3的“卡口”不是可选值：类型只能填 发热门诊、口罩发放点、道口卡口、集中隔离点、社区卫生服务中心、其他", E),
        ("重要点位", 4, "经度", "31.22", "swapped_coordinates",
         "F4：经纬度(31.22, 121.43)像是填反了（经度约121，纬度约31）：请交换两列", E),
        ("重要点位", 5, "经度", "116.4", "outside_shanghai", "F5：经纬度(116.4, 39.9)不在上海范围内：请核对", E),
        ("重要点位", 6, "点位编号", "D01", "duplicate_key",
         "A6：“D01”在本次上传中重复（与第2行相同），每个重要点位记录只能出现一次：请删除重复行", E),
    ]
    good = write_xlsx(tmp_path / "重要点位_好.xlsx", [Sheet("重要点位", [
        POINT_HEADER,
        ["D01", "社区卫生服务中心", "社区卫生服务中心", "江苏路街道", None, 121.4300, 31.2210, None],
        ["D02", "GPS点", None, "华阳路街道", None, 121.4250, 31.2190, "WGS84"],
    ])])
    commit_file(store, good)
    points = epidemic.key_points(store.cursor()).set_index("point_id")
    assert points.loc["D01", "crs"] == "GCJ02" and points.loc["D02", "point_type"] == "其他"  # the defaults
    assert (points.loc["D01", "lon_wgs"], points.loc["D01", "lat_wgs"]) == gcj02_to_wgs84(121.43, 31.221)
    assert (points.loc["D02", "lon_wgs"], points.loc["D02", "lat_wgs"]) == (121.425, 31.219)
    assert epidemic.key_points(store.cursor(), "华阳路街道")["point_id"].tolist() == ["D02"]


def test_rollback_restores_and_deletes_nothing(store, tmp_path):
    first = commit_file(store, write_xlsx(tmp_path / "a.xlsx", [
        Sheet("疫情发展", [EPI_HEADER, epi("2020-02-10", "全区", 10), epi("2020-02-11", "全区", 11)]),
        Sheet("工作进度", [WORK_HEADER, ["2020-02-11", "虹桥街道", "口罩预约发放", 1000, 300, "只", None]]),
        Sheet("重要点位", [POINT_HEADER, ["P1", "旧名", "发热门诊", "虹桥街道", None, 121.40, 31.20, None]]),
    ]))
    second = commit_file(store, write_xlsx(tmp_path / "b.xlsx", [
        Sheet("疫情发展", [EPI_HEADER, epi("2020-02-11", "全区", 12)]),
        Sheet("工作进度", [WORK_HEADER, ["2020-02-11", "虹桥街道", "口罩预约发放", 1000, 350, "只", "更正"]]),
        Sheet("重要点位", [POINT_HEADER, ["P1", "新名", "发热门诊", "虹桥街道", None, 121.40, 31.20, None]]),
    ]))
    cur = store.cursor()

    def state() -> tuple:
        return (cur.execute("select confirmed from epidemic where scope = '全区' order by report_date").fetchall(),
                cur.execute("select done, note from work_progress").fetchall(),
                cur.execute("select point_name from key_points").fetchall())

    assert state() == ([(10,), (12,)], [(350, "更正")], [("新名",)])
    rollback_batch(store, second, "测试员")
    assert state() == ([(10,), (11,)], [(300, None)], [("旧名",)])
    assert [cur.execute(f"select count(*) from raw_{k}").fetchall()[0][0]
            for k in ("epidemic", "work_progress", "key_points")] == [3, 2, 2]  # nothing deleted
    assert cur.execute("select batch_id, status from batches order by 1").fetchall() == [
        (first, "committed"), (second, "reverted")]


def test_feed_items_and_street_scope(store, tmp_path):
    commit_file(store, write_xlsx(tmp_path / "专项.xlsx", [
        Sheet("疫情发展", [EPI_HEADER, epi("2020-02-10", "全区", 10), epi("2020-02-11", "全区", 12),
                          epi("2020-02-10", "江苏路街道", 0), epi("2020-02-11", "江苏路街道", 1),
                          epi("2020-02-10", "虹桥街道", 0), epi("2020-02-11", "虹桥街道", 2),
                          epi("2020-02-11", "全国", 44653)]),
        Sheet("工作进度", [WORK_HEADER, ["2020-02-10", "江苏路街道", "地毯式消毒", 400, 100, "处", None],
                          ["2020-02-11", "江苏路街道", "地毯式消毒", 400, 180, "处", None]]),
        Sheet("重要点位", [POINT_HEADER, ["P1", "口罩发放点一", "口罩发放点", "虹桥街道", "某路1号", 121.40, 31.20, None]]),
    ]))
    cur = store.cursor()
    board = epidemic.board(cur, dt.date(2020, 2, 11), "江苏路街道")
    assert board["scope"].tolist() == ["全国", "全区", "江苏路街道"]  # no other street
    assert board.set_index("scope").loc["全区", "confirmed_new"] == 2
    assert epidemic.board(cur, dt.date(2020, 2, 11))["scope"].tolist() == ["全国", "全区", "江苏路街道", "虹桥街道"]
    titles = set(feed.events(cur, 50)["title"])
    assert {"全区 新增确诊 2 例", "江苏路街道 新增确诊 1 例", "虹桥街道 新增确诊 2 例",
            "江苏路街道 重要工作模块进展 1 项", "虹桥街道 新增重要点位 1 个"} <= titles
    street = set(feed.events(cur, 50, "江苏路街道")["title"])
    assert "全区 新增确诊 2 例" in street and not any("虹桥" in t for t in street)


def test_migration_on_a_database_that_holds_data(tmp_path):
    """0060 on a database built before it: the old data stays, the new tables come empty and work."""
    path = tmp_path / "old.duckdb"
    store = Store(path)
    cur = store.cursor()
    cur.execute("insert into meta values ('marker', 'kept')")
    for table in ("epidemic", "work_progress", "key_points"):
        cur.execute(f"drop view {table}")
        cur.execute(f"drop table latest_{table}")
        cur.execute(f"drop table raw_{table}")
    cur.execute("drop view epidemic_daily")
    cur.execute("drop view work_progress_daily")
    cur.execute("delete from schema_migrations where version = 60")
    store.close()
    store = Store(path)  # migrates again
    try:
        cur = store.cursor()
        assert cur.execute("select value from meta where key = 'marker'").fetchall() == [("kept",)]
        assert cur.execute("select count(*) from epidemic_daily").fetchall() == [(0,)]
        assert cur.execute("select name from schema_migrations where version = 60").fetchall() == [
            ("0060_epidemic_sheets",)]
    finally:
        store.close()


def test_preview_of_the_new_sheets_and_of_their_rollback(store, tmp_path):
    from workbooks import read_file

    from pipelines.batches.preview import preview_rollback, preview_uploads

    first = commit_file(store, write_xlsx(tmp_path / "a.xlsx", [
        Sheet("疫情发展", [EPI_HEADER, epi("2020-02-10", "全区", 10), epi("2020-02-11", "全区", 11)])]))
    upload = read_file(write_xlsx(tmp_path / "b.xlsx", [
        Sheet("疫情发展", [EPI_HEADER, epi("2020-02-11", "全区", 12), epi("2020-02-12", "全区", 12)]),
        Sheet("重要点位", [POINT_HEADER, ["P1", "点", "发热门诊", "虹桥街道", None, 121.40, 31.20, None]])]))
    preview = preview_uploads(store, [upload], today=dt.date(2020, 3, 1))
    changes = {s.kind: s.counts() for s in preview.files[0].sheets}
    assert changes == {"epidemic": {"new": 1, "changed": 1, "unchanged": 0, "removed": 0},
                       "key_points": {"new": 1, "changed": 0, "unchanged": 0, "removed": 0}}
    assert store.cursor().execute("select count(*) from raw_epidemic").fetchall() == [(2,)]  # nothing stored
    undo = preview_rollback(store, first)
    assert {s.kind: s.counts()["removed"] for s in undo.sheets} == {"epidemic": 2}
