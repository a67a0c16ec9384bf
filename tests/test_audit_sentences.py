"""The audit reads as Chinese sentences (issue 15): who did what to which building, batch or user, and why —
names, not codes, no JSON; times to the second."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from pipelines.auth import audit
from pipelines.batches.commit import rollback_batch
from pipelines.core.store import open_store
from pipelines.grading import grade


@pytest.fixture
def store(sample_db_path, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copy(sample_db_path, path)
    return open_store(path)


def test_writes_read_as_sentences_with_names(store):
    cur = store.cursor()
    building, name = cur.execute("select building_id, building_name from buildings order by 1 limit 1").fetchall()[0]
    batch, file_name = cur.execute("select batch_id, file_name from batches order by batch_id desc limit 1"
                                   ).fetchall()[0]
    rollback_batch(store, batch, "analyst")
    grade.set_override(store, building, "高", "群众举报人员聚集", dt.date(2020, 2, 19), None, "leader")
    frame = audit.list_readable(cur)
    users = dict(cur.execute("select username, display_name from users").fetchall())
    said = frame["说明"].tolist()
    assert said[0] == (f"{users['leader']} 将 {name} 的风险等级调整为 高（原 "
                       f"{said[0].split('（原 ')[1].split('）')[0]}），自 2020-02-19 起长期有效；理由：群众举报人员聚集")
    assert said[1] == f"{users['analyst']} 撤销批次 {batch}（{file_name}），数据保留可追溯"
    assert frame["操作人"].tolist()[:2] == [users["leader"], users["analyst"]]
    uploads = frame[frame["操作"] == "上传入库"]["说明"]
    assert uploads.str.contains("入库为批次").all() and uploads.str.contains(" 行").all()
    assert not frame["说明"].str.contains(r'[{}"]', regex=True).any()  # no JSON left
    assert (frame["时间"].dt.microsecond == 0).all()


def test_logins_and_users_read_as_sentences():
    known = {"users": {"li": "李四"}, "buildings": {}, "batches": {}}
    assert audit.sentence("login.failed", "（大屏令牌）", "token", None, '{"via": "token", "reason": "bad_token"}',
                          known) == "大屏链接失败：大屏链接的令牌无效或已吊销"
    assert audit.sentence("login.failed", "li", "li", None, {"reason": "wrong_password", "failed_attempts": 2},
                          known) == "以 李四（li） 登录失败：密码错误（连续第 2 次）"
    assert audit.sentence("user.update", "boss", "li", {"role": "analyst", "street": None},
                          {"role": "leader", "street": "虹桥街道"}, known) == \
        "boss 修改了用户 李四（li）：角色由“分析员”改为“领导”；街道由“（空）”改为“虹桥街道”"
    assert audit.sentence("config.save", "li", "grading v2", {"version": 1},
                          {"version": 2, "note": "阈值下调", "moved": 12}, known) == \
        "李四 保存评分配置版本 2（原为版本 1），全部楼宇重新评级，改变了 12 个楼宇日评级；说明：阈值下调"
