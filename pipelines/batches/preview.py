"""What an upload or a rollback would change, found by doing it and rolling it back.

Inside Store.dry_run (a transaction that always ends in ROLLBACK) the real write runs: the same
validation, the same write.write_batch with its AFTER_WRITE hooks (grades recompute), or the same
Store.revert. Comparing the current-state views before and after gives rows new / changed / unchanged /
removed per sheet and the buildings whose risk grade moves. Nothing stored changes, not even a sequence.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from pipelines.batches import scope
from pipelines.batches.write import revert_batch, write_batch
from pipelines.core import settings
from pipelines.core.contract import SHEET_BY_KIND, SHEETS, SheetSpec
from pipelines.core.errors import UserError
from pipelines.core.store import Store, read_sql
from pipelines.grading import grade
from pipelines.ingest.findings import has_errors
from pipelines.ingest.read import Upload
from pipelines.ingest.validate import validate

PREVIEW_ACTOR = "（预览）"
MAX_CHANGE_ROWS = 2_000  # changed records listed value by value; the counts are always complete
GRADE_RANK = {"低": 0, "中": 1, "高": 2}
CHANGE_LABELS = {"new": "新增", "changed": "变更", "unchanged": "未变", "removed": "移除"}
NAME_FIELDS = ("building_name", "company_name")

Progress = Callable[[str], None]


# -- results ----------------------------------------------------------------------------------

@dataclass
class SheetChanges:
    """One sheet kind: how many records a write adds, changes, leaves as they were, or takes away."""

    kind: str
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    changes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CHANGE_COLUMNS))
    truncated: bool = False  # more changed records than listed
    blanked: dict[str, int] = field(default_factory=dict)  # column label -> stored values the write empties
    missing: list[str] = field(default_factory=list)  # labels of columns the upload does not have at all

    @property
    def label(self) -> str:
        return SHEET_BY_KIND[self.kind].label

    def counts(self) -> dict[str, int]:
        return {"new": self.new, "changed": self.changed, "unchanged": self.unchanged, "removed": self.removed}


CHANGE_COLUMNS = ["记录", "名称", "列", "原值", "新值"]


@dataclass
class GradeChanges:
    """Buildings whose current grade (on the latest graded day) a write would move (only those)."""

    frame: pd.DataFrame  # 楼宇编号, 楼宇名称, 原等级, 新等级, 变化
    up: int
    down: int
    new: int
    gone: int
    day_before: dt.date | None = None  # the latest graded day before the write
    day_after: dt.date | None = None  # and after it (an upload of a new day moves it)

    def message(self, subject: str) -> str:
        parts = []
        if self.up:
            parts.append(f"{self.up} 栋楼宇风险等级上调")
        if self.down:
            parts.append(f"{self.down} 栋下调" if self.up else f"{self.down} 栋楼宇风险等级下调")
        if self.new:
            parts.append(f"{self.new} 栋楼宇新增评级")
        if self.gone:
            parts.append(f"{self.gone} 栋楼宇不再评级")
        if not parts:
            return f"{subject}不会改变任何楼宇的风险等级"
        return f"{subject}将使 " + "、".join(parts)


@dataclass
class FilePreview:
    upload: Upload
    findings: pd.DataFrame
    duplicate_of: int | None = None  # batch id of the same file, already stored
    same_as: str | None = None  # an earlier file of this selection with the same content
    sheets: list[SheetChanges] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return int((self.findings["severity"] == "error").sum())

    @property
    def warnings(self) -> int:
        return int((self.findings["severity"] == "warning").sum())

    @property
    def readings(self) -> int:
        """Cells read from another notation (已按…理解), merged ranges filled, hidden sheets skipped."""
        return int((self.findings["severity"] == "info").sum())

    @property
    def skipped(self) -> bool:
        """Not stored again: the same content is already in (or earlier in this selection)."""
        return self.duplicate_of is not None or self.same_as is not None


@dataclass
class Preview:
    """The effect of committing a selection of files, in the order they would be committed."""

    files: list[FilePreview]
    data_version: int  # the state the preview was made against: commit_uploads(expected_version=...)
    grades: GradeChanges

    @property
    def to_commit(self) -> list[Upload]:
        return [f.upload for f in self.files if not f.skipped]

    @property
    def errors(self) -> int:
        return sum(f.errors for f in self.files if not f.skipped)

    @property
    def warnings(self) -> int:
        return sum(f.warnings for f in self.files if not f.skipped)

    @property
    def blocked(self) -> bool:
        return self.errors > 0 or not self.to_commit


@dataclass
class RollbackPreview:
    batch_id: int
    file_name: str
    sheets: list[SheetChanges]
    data_version: int
    grades: GradeChanges


# -- uploads ----------------------------------------------------------------------------------

def order_uploads(uploads: list[Upload]) -> list[Upload]:
    """The order to commit a selection in: 楼宇名录 before 企业名录 before the reports that name them."""
    rank = {spec.kind: i for i, spec in enumerate(SHEETS)}

    def first_kind(upload: Upload) -> int:
        return min((rank[k] for k in upload.sheets), default=len(rank))

    return sorted(uploads, key=first_kind)


def preview_uploads(store: Store, uploads: list[Upload], today: dt.date | None = None,
                    progress: Progress | None = None, street: str | None = None) -> Preview:
    """Check each file against the state the files before it leave, then show what committing all would change.

    Files are taken in commit order (order_uploads). A file with errors is not written, so files after it
    are checked without it, as a commit (which refuses any error) would never store it either.
    """
    step = progress or (lambda _text: None)
    today = today or settings.today()
    files: list[FilePreview] = []
    with store.dry_run() as cur:
        version = store.data_version(cur)
        grades_before = _grades(cur)
        seen: dict[str, str] = {}
        for upload in order_uploads(uploads):
            step(f"检查 {upload.file_name}")
            findings = validate(cur, upload, today, street)
            duplicate = store.find_batch_by_hash(upload.sha256, cur)
            preview = FilePreview(upload, findings, duplicate.batch_id if duplicate else None, seen.get(upload.sha256))
            seen.setdefault(upload.sha256, upload.file_name)
            files.append(preview)
            if preview.skipped or has_errors(findings):
                continue
            step(f"预览 {upload.file_name}")
            kinds = list(upload.sheets)
            for kind in kinds:
                _keys_from(cur, SHEET_BY_KIND[kind], f"stg_{kind}")
                _snapshot(cur, SHEET_BY_KIND[kind], "before")
            write_batch(store, cur, upload, PREVIEW_ACTOR, "preview")
            preview.sheets = [_compare(cur, SHEET_BY_KIND[kind], upload) for kind in kinds]
        grades = _grade_changes(grades_before, _grades(cur))
    return Preview(files, version, grades)


# -- rollback ---------------------------------------------------------------------------------

def preview_rollback(store: Store, batch_id: int, street: str | None = None) -> RollbackPreview:
    """What reverting a batch would change: its records fall back to the previous batch's, or go.
    A street user (street) may preview only a batch wholly within their street."""
    with store.dry_run() as cur:
        scope.require_within(cur, batch_id, street)
        version = store.data_version(cur)
        rows = cur.execute("select file_name, sheets, status from batches where batch_id = ?", [batch_id]).fetchall()
        if not rows:
            raise UserError(f"批次 {batch_id} 不存在")
        file_name, sheets_json, status = rows[0]
        if status != "committed":
            raise UserError(f"批次 {batch_id}（{file_name}）已经撤销过")
        kinds = [k for k in json.loads(sheets_json) if k in SHEET_BY_KIND]
        grades_before = _grades(cur)
        for kind in kinds:
            spec = SHEET_BY_KIND[kind]
            keys = ", ".join(f'"{k}"' for k in spec.key)
            cur.execute(f"create or replace temp table preview_keys_{kind} as "
                        f"select distinct {keys} from raw_{kind} where batch_id = ?", [batch_id])
            _snapshot(cur, spec, "before")
        revert_batch(store, cur, batch_id, PREVIEW_ACTOR)
        sheets = [_compare(cur, SHEET_BY_KIND[kind]) for kind in kinds]
        grades = _grade_changes(grades_before, _grades(cur))
    return RollbackPreview(batch_id, file_name, sheets, version, grades)


# -- comparing the current state before and after ----------------------------------------------
# Table and column names below come from the contract (code), never from an upload.

def _keys_from(cur: duckdb.DuckDBPyConnection, spec: SheetSpec, source: str) -> None:
    keys = ", ".join(f'"{k}"' for k in spec.key)
    present = " and ".join(f'"{k}" is not null' for k in spec.key)
    cur.execute(f"create or replace temp table preview_keys_{spec.kind} as "
                f"select distinct {keys} from {source} where {present}")


def _snapshot(cur: duckdb.DuckDBPyConnection, spec: SheetSpec, when: str) -> None:
    """The current-state rows of the keys in preview_keys_<kind>, as they are now."""
    on = " and ".join(f'v."{k}" = k."{k}"' for k in spec.key)
    cur.execute(f"create or replace temp table preview_{when}_{spec.kind} as "
                f"select v.* exclude (batch_id) from {spec.kind} v semi join preview_keys_{spec.kind} k on {on}")


def diff_sql(spec: SheetSpec) -> str:
    """Each key of the write, its values before and after, and whether it is new, changed, unchanged or removed."""
    others = [f.name for f in spec.fields if f.name not in spec.key]
    keys = ", ".join(f'coalesce(a."{k}", b."{k}") as "{k}"' for k in spec.key)
    pairs = ",\n        ".join(f'b."{c}" as "{c}__before", a."{c}" as "{c}__after"' for c in others)
    same = " and ".join(f'a."{c}" is not distinct from b."{c}"' for c in others)
    on = " and ".join(f'a."{k}" = b."{k}"' for k in spec.key)
    first = spec.key[0]
    return f"""
with before as (select * from preview_before_{spec.kind}),
after as (select * from preview_after_{spec.kind}),
joined as (
    select
        {keys},
        {pairs},
        case when b."{first}" is null then 'new'
             when a."{first}" is null then 'removed'
             when {same} then 'unchanged'
             else 'changed' end as change
    from after a full outer join before b on {on}
),
final as (
    select * from joined
)
select * from final
"""


def _compare(cur: duckdb.DuckDBPyConnection, spec: SheetSpec, upload: Upload | None = None) -> SheetChanges:
    _snapshot(cur, spec, "after")
    cur.execute(f"create or replace temp view preview_diff_{spec.kind} as {diff_sql(spec)}")
    counts = dict(cur.execute(f"select change, count(*) from preview_diff_{spec.kind} group by all").fetchall())
    result = SheetChanges(spec.kind, **{k: int(counts.get(k, 0)) for k in CHANGE_LABELS})
    others = [f for f in spec.fields if f.name not in spec.key]
    emptied = cur.execute("select " + ", ".join(
        f'count(*) filter (where "{f.name}__before" is not null and "{f.name}__after" is null)' for f in others)
        + f" from preview_diff_{spec.kind} where change = 'changed'").fetchall()[0]
    result.blanked = {f.label: int(n) for f, n in zip(others, emptied, strict=True) if n}
    if upload is not None and spec.kind in upload.sheets:
        present = set().union(*upload.sheets[spec.kind].present.values())
        result.missing = [f.label for f in others if f.name not in present]
    order = ", ".join(f'"{k}"' for k in spec.key)
    listed = cur.execute(f"select * from preview_diff_{spec.kind} where change in ('changed', 'removed') "
                         f"order by {order} limit {MAX_CHANGE_ROWS + 1}")
    names = [d[0] for d in listed.description]
    rows = [dict(zip(names, r, strict=True)) for r in listed.fetchall()]
    result.truncated = len(rows) > MAX_CHANGE_ROWS
    result.changes = _long_changes(spec, rows[:MAX_CHANGE_ROWS])
    return result


def _long_changes(spec: SheetSpec, rows: list[dict]) -> pd.DataFrame:
    """Changed values side by side, one line per changed cell (a removed record is one line)."""
    others = [f for f in spec.fields if f.name not in spec.key]
    lines = []
    for row in rows:
        record = " / ".join(show_value(row[k]) for k in spec.key)
        name = next((row.get(f"{n}__after") or row.get(f"{n}__before") for n in NAME_FIELDS
                     if f"{n}__before" in row), None) or ""
        if row["change"] == "removed":
            lines.append((record, name, "（整条记录）", "有", "撤销后没有"))
            continue
        for f in others:
            before, after = row[f"{f.name}__before"], row[f"{f.name}__after"]
            if before != after and not (before is None and after is None):
                lines.append((record, name, f.label, show_value(before), show_value(after)))
    return pd.DataFrame(lines, columns=CHANGE_COLUMNS)


def show_value(value: object) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return str(value)


# -- grades -----------------------------------------------------------------------------------

def _grades(cur: duckdb.DuckDBPyConnection) -> tuple[dt.date | None, pd.DataFrame]:
    """Every building's current grade: on the latest graded day, overrides applied (grade.grades_on)."""
    day = grade.latest_graded_day(cur)
    if day is None:
        return None, pd.DataFrame({"building_id": [], "building_name": [], "grade": []}, dtype=object)
    return day, grade.grades_on(cur, day)[["building_id", "building_name", "grade"]]


def _grade_changes(before: tuple[dt.date | None, pd.DataFrame],
                   after: tuple[dt.date | None, pd.DataFrame]) -> GradeChanges:
    (day_before, before), (day_after, after) = before, after
    merged = before.merge(after, on="building_id", how="outer", suffixes=("_before", "_after"))
    merged = merged.astype(object).where(merged.notna(), None)
    lines, counts = [], {"up": 0, "down": 0, "new": 0, "gone": 0}
    for row in merged.itertuples(index=False):
        old, new = row.grade_before, row.grade_after
        if old == new:
            continue
        if old is None:
            direction = "new"
        elif new is None:
            direction = "gone"
        else:
            direction = "up" if GRADE_RANK.get(new, -1) > GRADE_RANK.get(old, -1) else "down"
        counts[direction] += 1
        label = {"up": "上调", "down": "下调", "new": "新增评级", "gone": "不再评级"}[direction]
        lines.append((row.building_id, row.building_name_after or row.building_name_before, old or "—", new or "—",
                      label))
    frame = pd.DataFrame(lines, columns=["楼宇编号", "楼宇名称", "原等级", "新等级", "变化"])
    order = {"上调": 0, "下调": 1, "新增评级": 2, "不再评级": 3}
    frame = frame.sort_values(["变化", "楼宇编号"], key=lambda s: s.map(order) if s.name == "变化" else s,
                              kind="stable").reset_index(drop=True)
    return GradeChanges(frame, **counts, day_before=day_before, day_after=day_after)


# -- the batch list ---------------------------------------------------------------------------

BATCH_COLUMNS = ["批次", "文件", "上传人", "上传时间", "各表行数", "状态"]


def batch_list(cur: duckdb.DuckDBPyConnection, street: str | None = None) -> pd.DataFrame:
    """Every batch (of a street user: those wholly within their street), newest first, as the 数据上传 page
    shows it (times in Shanghai)."""
    rows = cur.execute(read_sql("queries/batch_list.sql")).fetchall()
    lines = []
    for batch_id, file_name, by, at, status, sheets, reverted_by, reverted_at, streets in rows:
        if not scope.within(streets, street):
            continue
        counts = "、".join(f"{SHEET_BY_KIND[k].label} {v['rows']:,} 行" if k in SHEET_BY_KIND else f"{k} {v['rows']} 行"
                          for k, v in json.loads(sheets).items())
        shown = f"已撤销（{reverted_by}，{_local(reverted_at)}）" if status == "reverted" else "已入库"
        lines.append((batch_id, file_name, by, _local(at), counts, shown))
    return pd.DataFrame(lines, columns=BATCH_COLUMNS)


def committed_batches(cur: duckdb.DuckDBPyConnection, street: str | None = None) -> list[tuple[int, str]]:
    """(batch id, file name) of the batches this scope may roll back, newest first."""
    return [(int(b), f) for b, f, streets in cur.execute(
        "select batch_id, file_name, streets from batches where status = 'committed' order by batch_id desc"
    ).fetchall() if scope.within(streets, street)]


def _local(moment: dt.datetime | None) -> str:
    """A Shanghai time (batch_list.sql converts) as 2026年11月24日 09:30."""
    if moment is None:
        return ""
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"
