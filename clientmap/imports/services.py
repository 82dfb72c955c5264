"""Import jobs shared by the web upload, the API and ``clientmap worker``.

A job is created from an uploaded file and run in the background: by a thread of the web process
(the default, right for one process on SQLite) or, with ``CLIENTMAP_IMPORT_RUNNER=worker``, by a
``clientmap worker`` process (several web workers on PostgreSQL; see docs/deployment.md). The
import itself runs in one transaction, so its progress is kept in Django's cache (use a shared
cache such as Redis when the worker is another process) and the outcome in the job row.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientmap.core.db import retrying
from clientmap.directory import inbox
from clientmap.directory.models import Message, Person
from clientmap.imports import mapping, workbook
from clientmap.imports.engine import ImportFailed
from clientmap.imports.errors import RowError
from clientmap.imports.models import ImportJob

MAX_UPLOAD = 2 * 1024**3  # 2 GiB


class JobError(Exception):
    """The upload cannot become a job (bad format, mapping, file)."""


def upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def create_job(
    *,
    user,
    filename: str,
    stream: BinaryIO | Any,
    format: str = "",
    mapping_text: str = "",
    check: bool = False,
    skip_invalid: bool = False,
) -> ImportJob:
    """Store the upload and create a queued job. Raises :class:`JobError` for bad requests."""
    fmt = (format or "").strip()
    name = PurePosixPath(filename or "upload").name
    if not mapping_text and not fmt:
        fmt = "workbook" if name.lower().endswith(".zip") else ""
    if not mapping_text and not fmt:
        raise JobError(
            "Say how to read this file: format workbook (a .zip of the workbook's CSV files), "
            "a preset (" + ", ".join(sorted(mapping.presets())) + ") or a mapping."
        )
    if fmt and fmt != "workbook" and fmt not in mapping.presets():
        raise JobError(f"Unknown format {fmt!r}.")
    if mapping_text:
        try:
            mapping.parse(_toml(mapping_text), "mapping")
        except mapping.MappingError as exc:
            raise JobError(str(exc)) from None
    job = ImportJob(
        created_by=user if getattr(user, "is_authenticated", False) else None,
        filename=name,
        format="" if mapping_text else fmt,
        mapping=mapping_text,
        check_only=check,
        skip_invalid=skip_invalid,
    )
    target = upload_dir() / f"{job.id}-{name}"
    size = 0
    with open(target, "wb") as fh:
        for chunk in _chunks(stream):
            size += len(chunk)
            if size > MAX_UPLOAD:
                fh.close()
                target.unlink(missing_ok=True)
                raise JobError("The file is larger than 2 GiB.")
            fh.write(chunk)
    job.path = str(target)
    job.size = size
    job.save()
    return job


def _chunks(stream) -> Any:
    if hasattr(stream, "chunks"):
        yield from stream.chunks()
        return
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            return
        yield chunk


def _toml(text: str) -> dict:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise mapping.MappingError(f"mapping: not valid TOML: {exc}") from None


def start(job: ImportJob) -> None:
    """Run the job in the background, as configured."""
    if settings.CLIENTMAP.get("IMPORT_RUNNER", "thread") == "worker":
        return  # ``clientmap worker`` picks it up
    transaction.on_commit(
        lambda: threading.Thread(target=_run_in_thread, args=(job.pk,), daemon=True).start()
    )


def _run_in_thread(job_id) -> None:
    try:
        run(job_id)
    finally:
        close_old_connections()


def claim_next() -> ImportJob | None:
    """Atomically take the oldest queued job (safe with several workers)."""
    with transaction.atomic():
        qs = ImportJob.objects.filter(status=ImportJob.Status.QUEUED).order_by("created_at")
        from django.db import connection

        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        job = qs.first()
        if job is None:
            return None
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.RUNNING, started_at=timezone.now()
        )
    return job if claimed else None


def progress_key(job_id) -> str:
    return f"clientmap:import:{job_id}"


def progress(job: ImportJob) -> dict:
    """What the job is doing now: bytes done of total, rows, step."""
    data = cache.get(progress_key(job.pk)) or {}
    if job.finished:
        data = {**data, "done": job.size, "total": job.size, "percent": 100}
    return {"done": 0, "total": job.size, "rows": 0, "step": "", "percent": 0, **data}


def _set_progress(job_id, **values) -> None:
    data = cache.get(progress_key(job_id)) or {}
    data.update(values)
    total = data.get("total") or 0
    if total:
        data["percent"] = min(99, int(100 * data.get("done", 0) / total))
    cache.set(progress_key(job_id), data, 24 * 3600)


def run(job_id) -> ImportJob:
    """Run one job to the end; the outcome (report or errors) is stored on the job."""
    updated = retrying(
        lambda: ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.RUNNING, started_at=timezone.now()
        )
    )
    job = retrying(lambda: ImportJob.objects.get(pk=job_id))
    if not updated and job.status != ImportJob.Status.RUNNING:
        return job
    started = time.perf_counter()
    _set_progress(job.pk, done=0, total=job.size, rows=0, step="reading")
    try:
        report = _import(job)
        job.status = ImportJob.Status.DONE
        job.report = {**report, "seconds": round(time.perf_counter() - started, 2)}
        job.errors = []
    except (ImportFailed, workbook.WorkbookError) as exc:
        job.status = ImportJob.Status.FAILED
        job.errors = [e.as_dict() for e in exc.errors]
    except (mapping.MappingError, zipfile.BadZipFile, OSError) as exc:
        job.status = ImportJob.Status.FAILED
        job.errors = [RowError(job.filename, None, None, None, str(exc)).as_dict()]
    except Exception as exc:  # noqa: BLE001 — a job must always end, and say why
        job.status = ImportJob.Status.FAILED
        job.errors = [
            RowError(job.filename, None, None, None, f"{type(exc).__name__}: {exc}").as_dict()
        ]
    job.finished_at = timezone.now()
    retrying(lambda: job.save(update_fields=["status", "report", "errors", "finished_at"]))
    _set_progress(job.pk, done=job.size, step=job.status)
    retrying(lambda: announce(job))
    return job


def announce(job: ImportJob, *, mail: bool = True) -> None:
    """Tell the person who started the import that it finished (inbox and/or e-mail)."""
    person = Person.objects.filter(user_id=job.created_by_id).first() if job.created_by_id else None
    if person is None:
        return
    from django.urls import reverse
    from django.utils.translation import override

    with override(person.language or None):
        if job.status == ImportJob.Status.DONE:
            subject = _("Import finished: %(file)s") % {"file": job.filename}
        else:
            subject = _("Import failed: %(file)s") % {"file": job.filename}
        inbox.tell(
            person,
            subject,
            kind=Message.Kind.IMPORT,
            url=reverse("imports:job", args=[job.pk]),
            mail=mail,
        )


def _import(job: ImportJob) -> dict:
    path = Path(job.path)
    if job.format == "workbook":
        folder = Path(tempfile.mkdtemp(prefix="clientmap-workbook-"))
        try:
            with zipfile.ZipFile(path) as zf:
                members = [m for m in zf.namelist() if m.lower().endswith(".csv")]
                if not members:
                    raise OSError("the .zip holds no CSV files")
                for member in members:
                    target = folder / PurePosixPath(member).name  # flatten, no path traversal
                    with zf.open(member) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst)
            done = [0]

            def step(name: str) -> None:
                done[0] += 1
                _set_progress(job.pk, step=name, done=int(job.size * done[0] / 10))

            report = workbook.import_workbook(
                folder, check=job.check_only, skip_invalid=job.skip_invalid, progress=step
            )
            return report.as_dict() | {"rejected": report.rejected}
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    m = mapping.parse(_toml(job.mapping), "mapping") if job.mapping else mapping.load(job.format)

    def on_progress(p: mapping.Progress) -> None:
        _set_progress(job.pk, done=p.done, total=p.total, rows=p.rows, step="reading")

    def on_step(name: str) -> None:
        _set_progress(job.pk, step=name)

    report = mapping.import_mapped(
        path,
        m,
        check=job.check_only,
        skip_invalid=job.skip_invalid,
        rejects=path.with_name(path.name + ".rejects.csv"),
        on_progress=on_progress,
        on_step=on_step,
        display_name=job.filename,
    )
    return report.as_dict()
