"""Import jobs shared by the web upload, the API and ``clientmap worker``.

An upload becomes an :class:`ImportJob` (the file, the options, the report) run by the background
job ``imports.run`` (:mod:`clientmap.core.jobs`: a ``clientmap worker`` process takes it from the
database queue). The import itself runs in one transaction; its progress is reported through the
job, and its outcome is stored on the import job.
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
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientmap.core import jobs
from clientmap.core.db import retrying
from clientmap.core.models import Job
from clientmap.customers import rules
from clientmap.directory import inbox
from clientmap.directory.models import Message, Person
from clientmap.imports import mapping, workbook
from clientmap.imports.errors import ImportFailed, RowError
from clientmap.imports.models import ImportJob

MAX_UPLOAD = 2 * 1024**3  # 2 GiB
_progress = threading.local()  # the running import's progress, in this thread


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
    ignore_unknown: bool = False,
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
        ignore_unknown=ignore_unknown,
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


def job_key(job: ImportJob) -> str:
    """The idempotency key of the background job that runs this import."""
    return f"import:{job.pk}"


def start(job: ImportJob) -> None:
    """Queue the import as a background job (``clientmap worker`` runs it; see core.jobs)."""
    jobs.enqueue("imports.run", {"import_job": str(job.pk)}, key=job_key(job))


def retry(job: ImportJob) -> None:
    """Queue a failed import again (the user's *Retry*; ``clientmap jobs --retry`` does the same)."""
    if job.status != ImportJob.Status.FAILED:
        return
    jobs.enqueue("imports.run", {"import_job": str(job.pk)}, key=job_key(job), retry_failed=True)


def run_job(job: Job, progress: jobs.Progress) -> dict:
    """The ``imports.run`` job: run the import; a refused file ends the job as failed.

    The import commits, then its customer relations are rebuilt (a second transaction). A
    worker killed between the two leaves relations behind the data, and a retry that changes
    nothing would not rebuild them: so a retried import always rebuilds them all.
    """
    result = run(job.params["import_job"])
    if result.status == ImportJob.Status.FAILED:
        first = (result.errors or [{}])[0]
        raise jobs.Failed(first.get("message") or "The import failed.")
    if (job.params.get("retry") or job.attempts > 1) and not result.check_only:
        progress(step="recompute")
        rules.recompute()
    return {"import_job": str(result.pk), "status": result.status}


def job_committed(job: Job) -> dict | None:
    """The job's result if its import already committed (the worker died just after).

    The row is read with a lock: a killed worker's last COMMIT may still be landing on the
    PostgreSQL server when the reaper looks, and the lock waits for it to land or roll back."""
    with transaction.atomic():
        # by key only: a condition on the status would be tested on the old row, not waited for
        imp = ImportJob.objects.select_for_update().filter(pk=job.params.get("import_job")).first()
    if imp is None or imp.status != ImportJob.Status.DONE:
        return None
    return {"import_job": str(imp.pk), "status": imp.status}


def job_failed(job: Job, reason: str) -> None:
    """The job ended failed outside the import (its worker died): say so on the import."""
    ImportJob.objects.filter(
        pk=job.params.get("import_job"),
        status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING],
    ).update(
        status=ImportJob.Status.FAILED,
        errors=[RowError("", None, None, None, reason).as_dict()],
        finished_at=timezone.now(),
    )


def job_requeued(job: Job) -> None:
    """The job is queued again (retried, or its worker died): so is the import."""
    ImportJob.objects.filter(
        pk=job.params.get("import_job"),
        status__in=[ImportJob.Status.RUNNING, ImportJob.Status.FAILED],
    ).update(
        status=ImportJob.Status.QUEUED, errors=[], report={}, started_at=None, finished_at=None
    )


def progress(job: ImportJob) -> dict:
    """What the job is doing now: bytes done of total, rows, step."""
    bg = Job.objects.filter(key=job_key(job)).first()
    data = jobs.progress_of(bg) if bg else {}
    if job.finished:
        data = {**data, "done": job.size, "total": job.size, "percent": 100}
    return {"done": 0, "total": job.size, "rows": 0, "step": "", "percent": 0, **data}


def _set_progress(job_id, **values) -> None:
    data = dict(getattr(_progress, "data", {}) or {})
    data.update(values)
    total = data.get("total") or 0
    if total:
        data["percent"] = min(99, int(100 * data.get("done", 0) / total))
    _progress.data = data
    jobs.report(**data)


def run(job_id) -> ImportJob:
    """Run one job to the end; the outcome (report or errors) is stored on the job."""
    _progress.data = {}
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
        # The data, the job's outcome and its audit entry (the post_save hook) commit together:
        # a worker killed between them would leave imported data on a job still RUNNING, and the
        # retry would report (and audit) the rows as "unchanged" instead of created.
        with transaction.atomic():
            report = _import(job)
            job.status = ImportJob.Status.DONE
            job.report = {**report, "seconds": round(time.perf_counter() - started, 2)}
            job.errors = []
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "report", "errors", "finished_at"])
            announce(job)
        _set_progress(job.pk, done=job.size, step=job.status)
        return job
    except ImportFailed as exc:
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
                folder,
                check=job.check_only,
                skip_invalid=job.skip_invalid,
                progress=step,
                ignore_unknown=job.ignore_unknown,
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
