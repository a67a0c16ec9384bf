"""Check and commit an upload as one batch: all of it or none of it, and never the same file twice; roll one back.

The public write path: commit_uploads and rollback_batch (transactions); write.py holds what they do inside one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.batches import scope
from pipelines.batches.write import revert_batch, write_batch
from pipelines.core.errors import RejectedUpload, StaleState, UserError
from pipelines.core.store import Store
from pipelines.ingest.findings import has_errors
from pipelines.ingest.read import Upload
from pipelines.ingest.validate import validate


@dataclass
class CheckResult:
    findings: pd.DataFrame
    data_version: int
    duplicate_of: int | None  # batch id of the same file, already committed

    @property
    def blocked(self) -> bool:
        return has_errors(self.findings) or self.duplicate_of is not None

    @property
    def warnings(self) -> int:
        return int((self.findings["severity"] == "warning").sum())

    @property
    def errors(self) -> int:
        return int((self.findings["severity"] == "error").sum())


def check_upload(store: Store, upload: Upload, today: dt.date | None = None, street: str | None = None) -> CheckResult:
    """Validate against the current state without writing anything."""
    cur = store.cursor()
    try:
        version = store.data_version(cur)
        findings = validate(cur, upload, today, street)
        duplicate = store.find_batch_by_hash(upload.sha256, cur)
        return CheckResult(findings, version, duplicate.batch_id if duplicate else None)
    finally:
        cur.close()


def commit_upload(store: Store, upload: Upload, actor: str, *, confirm_warnings: bool = False,
                  expected_version: int | None = None, today: dt.date | None = None,
                  street: str | None = None) -> int:
    """Store the upload as a new batch and return its id. See commit_uploads."""
    return commit_uploads(store, [upload], actor, confirm_warnings=confirm_warnings,
                          expected_version=expected_version, today=today, street=street)[0]


def commit_uploads(store: Store, uploads: list[Upload], actor: str, *, confirm_warnings: bool = False,
                   expected_version: int | None = None, today: dt.date | None = None,
                   street: str | None = None) -> list[int]:
    """Store several uploads, in this order, as one batch each, in one transaction: all of them or none.

    Each file is validated again inside the transaction against the state the files before it leave
    (a 企业名录 may name buildings from a 楼宇名录 uploaded with it): the state may have changed since
    the preview. `expected_version`, when given, refuses a commit whose preview was made against older data.
    `street`: the uploader's street (None: the district); a row of another street is an error finding.
    """
    kept: list[Path] = []
    rejected: tuple[Upload, pd.DataFrame] | None = None
    try:
        with store.transaction() as cur:
            if expected_version is not None and store.data_version(cur) != expected_version:
                raise StaleState("数据在您预览之后已被他人更新，本次未入库", "预览已按最新数据刷新，请重新核对后再提交")
            batch_ids: list[int] = []
            seen: dict[str, str] = {}
            for upload in uploads:
                duplicate = store.find_batch_by_hash(upload.sha256, cur)
                if duplicate is not None:
                    raise UserError(f"这个文件已经上传过（批次 {duplicate.batch_id}，{duplicate.file_name}），未重复入库")
                if upload.sha256 in seen:
                    raise UserError(f"{upload.file_name} 与 {seen[upload.sha256]} 是同一个文件，未重复入库")
                seen[upload.sha256] = upload.file_name
                findings = validate(cur, upload, today, street)
                if has_errors(findings):
                    rejected = (upload, findings)
                    raise RejectedUpload(f"{upload.file_name} 有 {int((findings['severity'] == 'error').sum())} "
                                         "个错误，未入库", findings)
                warnings = int((findings["severity"] == "warning").sum())
                if warnings and not confirm_warnings:
                    raise UserError(f"{upload.file_name} 有 {warnings} 个警告", "请确认警告后再提交")
                path, created = store.keep_raw_file(upload.sha256, upload.suffix, upload.content)
                if created:
                    kept.append(path)
                batch_ids.append(write_batch(store, cur, upload, actor, path.name))
            return batch_ids
    except BaseException:
        for path in kept:
            path.unlink(missing_ok=True)  # our own copy of a batch that never existed
        if rejected is not None:
            audit_rejection(store, actor, *rejected)
        raise
    finally:
        for path in kept:
            store.release_raw_file(path)


def audit_rejection(store: Store, actor: str, upload: Upload, findings: pd.DataFrame) -> None:
    """A refused upload leaves a trace: who, which file (name and hash), how many errors. Nothing else is kept."""
    errors = int((findings["severity"] == "error").sum())
    with store.transaction() as cur:
        store.audit(cur, actor, "upload.rejected", upload.file_name[:200], None,
                    {"file": upload.file_name[:200], "sha256": upload.sha256, "errors": errors,
                     "rules": sorted(set(findings.loc[findings["severity"] == "error", "rule"].astype(str)))})


def rollback_batch(store: Store, batch_id: int, actor: str, *, expected_version: int | None = None,
                   street: str | None = None) -> None:
    """Revert a batch (deleting nothing) and update what derives from it in the same transaction.

    `expected_version`, when given, refuses a rollback whose preview was made against older data.
    `street`: the user's street (None: the district); a batch not wholly within it is refused.
    """
    with store.transaction() as cur:
        scope.require_within(cur, batch_id, street)
        if expected_version is not None and store.data_version(cur) != expected_version:
            raise StaleState("数据在您预览撤销效果之后已被他人更新，本次未撤销", "撤销预览已按最新数据刷新，请重新核对后再确认")
        revert_batch(store, cur, batch_id, actor)
