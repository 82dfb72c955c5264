"""Imports in the audit log: every finished import job (web or API upload) is recorded, and
every import made with ``clientmap import`` (:func:`command_import`)."""

from __future__ import annotations

from django.db.models.signals import post_save

from clientmap.core import audit
from clientmap.imports.models import ImportJob


def _job_saved(sender, instance: ImportJob, update_fields=None, **kwargs) -> None:
    if not instance.finished or (update_fields is not None and "status" not in update_fields):
        return
    report = instance.report or {}
    audit.record(
        instance.created_by,
        f"import.{instance.status}",
        instance,
        object_key=f"{instance.filename} ({instance.pk})",
        after={
            "format": instance.format or "mapping",
            "check_only": instance.check_only,
            "counts": report.get("counts") or report.get("files"),
            "errors": len(instance.errors or []),
        },
    )


def command_import(report, path, fmt: str) -> None:
    """An import made by ``clientmap import`` (call it in the import's transaction)."""
    if report is None or report.checked_only:
        return
    audit.record(
        None,
        "import.done",
        object_type="import",
        object_key=str(path)[-200:],
        actor=audit.command_actor(),
        after={
            "format": fmt,
            "via": "cli",
            "check_only": False,
            "counts": report.counts,
            "rejected": report.rejected,
            "errors": 0,
        },
    )


def connect() -> None:
    post_save.connect(_job_saved, sender=ImportJob, dispatch_uid="clientmap.audit.import")
