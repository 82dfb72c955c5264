"""Background jobs: the Django tasks API, plus what the product needs around it.

The queue is ``django_tasks`` (the backport of Django 6's ``django.tasks``; upgrading is a change
of import) with the ``django_tasks_db`` database backend, so jobs need no service beyond the
database, SQLite or PostgreSQL. ``clientmap worker`` runs the library's worker.

Around the library, this module adds:

- **a registry**: upper apps register their concrete jobs (``register("imports.run", fn)``) in
  their ``AppConfig.ready()``; this module, in core, knows none of them;
- **idempotency keys**: :func:`enqueue` with a key that already names a job returns that job and
  enqueues nothing; a task delivered twice runs its job once (the claim is one conditional
  ``UPDATE``);
- **retries with backoff**: a job raising :class:`Transient` (or a database
  ``OperationalError``: a lost connection, a deadlock, a locked SQLite file) is queued again
  after ``backoff * 2**(attempt-1)`` seconds, up to its ``max_attempts``;
- **progress** in our own :class:`~clientmap.core.models.Job` row (and, on SQLite, where an import
  holds the only write lock, in a small file beside the database), shown by the UI and
  ``clientmap jobs``;
- **a reaper** (:func:`reap`): a job left RUNNING by a worker that died (its process is gone, or
  it gave no sign of life for ``JOB_STALE_SECONDS``) is queued again while it has attempts left,
  else marked failed with the reason, so the user can retry it;
- **periodic jobs**: :func:`enqueue_periodic`, called by ``clientmap periodic`` from cron or a
  systemd timer, enqueues each periodic job once per period (the period is in its key).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import (
    DatabaseError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import F
from django.utils import timezone
from django_tasks import task, task_backends

from clientmap.core.db import retrying
from clientmap.core.models import Job, WorkerBeat

logger = logging.getLogger("clientmap.jobs")

Status = Job.Status


class Transient(Exception):
    """Raise from a job for an error worth retrying (a service briefly away)."""


class Failed(Exception):
    """Raise from a job to end it as failed with this message (no retry)."""


@dataclass(frozen=True)
class JobType:
    name: str
    fn: Callable[[Job, Progress], dict | None]
    max_attempts: int = 3
    backoff: float = 5.0
    periodic: str = ""  # "", "hourly" or "daily"
    on_failed: Callable[[Job, str], None] | None = None
    on_requeued: Callable[[Job], None] | None = None
    # Did the job's own transaction commit? (its worker may die between that and marking the
    # job done): then the reaper marks it done with this result instead of redoing or failing it.
    committed: Callable[[Job], dict | None] | None = None


REGISTRY: dict[str, JobType] = {}


def register(
    name: str,
    fn: Callable[[Job, Progress], dict | None],
    *,
    max_attempts: int = 3,
    backoff: float = 5.0,
    periodic: str = "",
    on_failed: Callable[[Job, str], None] | None = None,
    on_requeued: Callable[[Job], None] | None = None,
    committed: Callable[[Job], dict | None] | None = None,
) -> None:
    """Make ``fn(job, progress) -> result dict`` runnable as the job ``name``.

    ``committed(job)`` answers the job's result when its work already committed (else None)."""
    if periodic not in ("", "hourly", "daily"):
        raise ValueError(f"periodic must be '', 'hourly' or 'daily', not {periodic!r}")
    REGISTRY[name] = JobType(
        name, fn, max_attempts, backoff, periodic, on_failed, on_requeued, committed
    )


def job_type(name: str) -> JobType:
    try:
        return REGISTRY[name]
    except KeyError:
        raise LookupError(f"No job is registered as {name!r}.") from None


# --- enqueueing ---------------------------------------------------------------------------------


def enqueue(
    name: str,
    params: dict | None = None,
    *,
    key: str = "",
    retry_failed: bool = False,
) -> Job:
    """Queue the job ``name``; with a ``key`` already used, return that job and queue nothing.

    ``retry_failed`` queues again a job of that key that failed (a user's *Retry*).
    """
    jt = job_type(name)
    key = key or f"{name}:{timezone.now().isoformat()}:{os.urandom(6).hex()}"
    with transaction.atomic():
        job, created = Job.objects.get_or_create(
            key=key,
            defaults={"name": name, "params": params or {}, "max_attempts": jt.max_attempts},
        )
        if not created:
            if not (retry_failed and job.status == Status.FAILED):
                return job
            Job.objects.filter(pk=job.pk, status=Status.FAILED).update(
                status=Status.QUEUED,
                # the job can tell a retry (e.g. to rebuild what a crash may have left behind)
                params={**(params if params is not None else job.params), "retry": True},
                attempts=0,
                error="",
                progress={},
                result={},
                started_at=None,
                finished_at=None,
                run_after=None,
            )
            job.refresh_from_db()
            if jt.on_requeued:
                jt.on_requeued(job)
        pk = job.pk
        transaction.on_commit(lambda: _dispatch(pk))
    return job


def _dispatch(job_id, run_after: datetime | None = None) -> None:
    """Hand the job to the tasks backend (the worker, or at once with the immediate backend)."""
    t = execute
    if run_after is not None and task_backends[t.backend].supports_defer:
        t = t.using(run_after=run_after)
    result = t.enqueue(str(job_id))
    retrying(lambda: Job.objects.filter(pk=job_id).update(task_id=str(result.id)[:64]))


@task()
def execute(job_id: str) -> str:
    """The one task of the tasks API: run our job ``job_id`` (see :func:`run`)."""
    return run(job_id).status


# --- running ------------------------------------------------------------------------------------

_local = threading.local()
_running: dict[str, Progress] = {}  # job id → progress, for the heartbeat thread
_running_lock = threading.Lock()
_worker_id = ""


def worker_id() -> str:
    """This process's name as a worker: host:pid (and the worker command's random suffix)."""
    return _worker_id or f"{socket.gethostname()}:{os.getpid()}"


def set_worker_id(value: str) -> None:
    global _worker_id
    _worker_id = value


def run(job_id) -> Job:
    """Run the job once if it is queued; otherwise (done, failed, running elsewhere) do nothing."""
    now = timezone.now()
    claimed = retrying(
        lambda: Job.objects.filter(pk=job_id, status=Status.QUEUED).update(
            status=Status.RUNNING,
            attempts=F("attempts") + 1,
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
            worker=worker_id()[:100],
        )
    )
    job = retrying(lambda: Job.objects.get(pk=job_id))
    if not claimed:
        return job
    jt = REGISTRY.get(job.name)
    if jt is None:
        return _fail(job, f"No job is registered as {job.name!r}.")
    progress = Progress(job)
    with _running_lock:
        _running[str(job.pk)] = progress
    _local.progress = progress
    try:
        result = jt.fn(job, progress) or {}
    except Failed as exc:
        return _fail(job, str(exc), jt)
    except Exception as exc:  # noqa: BLE001 — a job always ends, and says why
        reason = f"{type(exc).__name__}: {exc}"
        if is_transient(exc) and job.attempts < job.max_attempts:
            return _retry_later(job, jt, reason)
        logger.exception("job %s failed", job.key)
        return _fail(job, reason, jt)
    finally:
        _local.progress = None
        with _running_lock:
            _running.pop(str(job.pk), None)
        progress.forget_file()
    job.status = Status.DONE
    job.result = result
    job.progress = {**progress.data, "percent": 100}
    job.finished_at = timezone.now()
    job.error = ""
    retrying(
        lambda: Job.objects.filter(pk=job.pk, status=Status.RUNNING).update(
            status=job.status,
            result=job.result,
            progress=job.progress,
            finished_at=job.finished_at,
            error="",
        )
    )
    return job


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt: our :class:`Transient`, or the database being briefly away."""
    return isinstance(exc, Transient | OperationalError)


def backoff_seconds(jt: JobType, attempt: int) -> float:
    return jt.backoff * 2 ** max(0, attempt - 1)


def _retry_later(job: Job, jt: JobType, reason: str) -> Job:
    delay = backoff_seconds(jt, job.attempts)
    when = timezone.now() + timedelta(seconds=delay)
    message = (
        f"Attempt {job.attempts} of {job.max_attempts} failed ({reason}); next at {when:%H:%M:%S}."
    )
    retrying(
        lambda: Job.objects.filter(pk=job.pk).update(
            status=Status.QUEUED, run_after=when, error=message
        )
    )
    job.refresh_from_db()
    if jt.on_requeued:
        jt.on_requeued(job)
    _dispatch(job.pk, run_after=when)
    return job


def _fail(job: Job, reason: str, jt: JobType | None = None) -> Job:
    job.status = Status.FAILED
    job.error = reason
    job.finished_at = timezone.now()
    retrying(
        lambda: Job.objects.filter(pk=job.pk).update(
            status=Status.FAILED, error=reason, finished_at=job.finished_at
        )
    )
    if jt and jt.on_failed:
        jt.on_failed(job, reason)
    return job


# --- progress -----------------------------------------------------------------------------------


def _progress_dir() -> Path:
    return Path(settings.DATA_DIR) / "jobs"


def _uses_files() -> bool:
    """SQLite has one writer: while a job writes, its progress goes to a file beside the data."""
    return connection.vendor == "sqlite"


class Progress:
    """What a running job is doing: ``progress(done=…, total=…, step=…)``."""

    def __init__(self, job: Job) -> None:
        self.job_id = str(job.pk)
        self.data: dict[str, Any] = {}
        self._written = 0.0

    def __call__(self, **values: Any) -> None:
        self.data.update(values)
        if _uses_files() and time.monotonic() - self._written > 0.5:
            self.write_file()

    def path(self) -> Path:
        return _progress_dir() / f"{self.job_id}.json"

    def write_file(self) -> None:
        self._written = time.monotonic()
        try:
            folder = _progress_dir()
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{self.job_id}.tmp"
            tmp.write_text(json.dumps(self.data, default=str))
            tmp.replace(self.path())
        except OSError:
            pass

    def forget_file(self) -> None:
        self.path().unlink(missing_ok=True)


def report(**values: Any) -> None:
    """Record progress of the job running in this thread (nothing when none is)."""
    progress = getattr(_local, "progress", None)
    if progress is not None:
        progress(**values)


def progress_of(job: Job) -> dict:
    """The job's last known progress (its row, or its file while it runs on SQLite)."""
    data = dict(job.progress or {})
    if job.status == Status.RUNNING:
        try:
            data.update(json.loads((_progress_dir() / f"{job.pk}.json").read_text()))
        except (OSError, ValueError):
            pass
    return data


def _last_sign_of_life(job: Job) -> datetime | None:
    seen = [t for t in (job.heartbeat_at, job.started_at) if t]
    try:
        mtime = (_progress_dir() / f"{job.pk}.json").stat().st_mtime
        seen.append(datetime.fromtimestamp(mtime, tz=timezone.get_current_timezone()))
    except OSError:
        pass
    return max(seen) if seen else None


# --- heartbeat ----------------------------------------------------------------------------------


def beat(wid: str) -> None:
    """Say this worker, and the jobs it runs, are alive (and flush their progress)."""
    now = timezone.now()
    with _running_lock:
        running = dict(_running)
    if _uses_files():
        for progress in running.values():
            progress.write_file()
        if running:
            return  # the running job holds SQLite's write lock; its file is the heartbeat
    for job_id, progress in running.items():
        Job.objects.filter(pk=job_id, status=Status.RUNNING).update(
            heartbeat_at=now, progress=progress.data
        )
    host, _, rest = wid.partition(":")
    WorkerBeat.objects.update_or_create(
        worker_id=wid[:100],
        defaults={"host": host[:255], "pid": os.getpid(), "last_seen": now},
    )


class Heartbeat(threading.Thread):
    """A daemon thread of ``clientmap worker``: heartbeat every second, reaper every 30."""

    def __init__(self, wid: str, every: float = 1.0, reap_every: float = 30.0) -> None:
        super().__init__(name="clientmap-heartbeat", daemon=True)
        self.wid = wid
        self.every = every
        self.reap_every = reap_every
        self.stopped = threading.Event()

    def run(self) -> None:
        last_reap = time.monotonic()
        while not self.stopped.wait(self.every):
            try:
                beat(self.wid)
                if time.monotonic() - last_reap > self.reap_every:
                    last_reap = time.monotonic()
                    reap()
            except DatabaseError:
                logger.warning("heartbeat failed", exc_info=True)
            finally:
                close_old_connections()


def last_worker_seen() -> datetime | None:
    """When a worker last gave a sign of life (for ``/healthz``)."""
    seen = WorkerBeat.objects.order_by("-last_seen").values_list("last_seen", flat=True).first()
    if _uses_files():
        try:
            mtimes = [p.stat().st_mtime for p in _progress_dir().glob("*.json")]
        except OSError:
            mtimes = []
        if mtimes:
            t = datetime.fromtimestamp(max(mtimes), tz=timezone.get_current_timezone())
            seen = max(t, seen) if seen else t
    return seen


# --- the reaper ---------------------------------------------------------------------------------


def stale_seconds() -> int:
    return int(settings.CLIENTMAP.get("JOB_STALE_SECONDS", 120))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def why_dead(job: Job, now: datetime | None = None) -> str:
    """Why the RUNNING ``job`` has no live worker ("" while it may still be running)."""
    now = now or timezone.now()
    host, _, rest = (job.worker or "").partition(":")
    pid_text = rest.split(":", 1)[0]
    if host == socket.gethostname() and pid_text.isdigit():
        pid = int(pid_text)
        if pid != os.getpid() and not _pid_alive(pid):
            return f"The worker running this job (process {pid} on {host}) stopped."
    seen = _last_sign_of_life(job)
    if seen is None or (now - seen).total_seconds() > stale_seconds():
        since = f" since {seen:%Y-%m-%d %H:%M:%S %Z}" if seen else ""
        return f"Its worker ({job.worker or 'unknown'}) has given no sign of life{since}."
    return ""


def reap(now: datetime | None = None) -> list[Job]:
    """Requeue (or, with no attempts left, fail) every RUNNING job whose worker is gone."""
    from django_tasks_db.models import DBTaskResult

    reaped = []
    for job in Job.objects.filter(status=Status.RUNNING):
        reason = why_dead(job, now)
        if not reason:
            continue
        jt = REGISTRY.get(job.name)
        if job.task_id:
            DBTaskResult.objects.filter(pk=job.task_id, status="RUNNING").update(
                status="FAILED", finished_at=timezone.now()
            )
        done = jt.committed(job) if jt is not None and jt.committed else None
        if done is not None:
            # killed after its work committed, before it was marked done: it is done
            Job.objects.filter(pk=job.pk, status=Status.RUNNING).update(
                status=Status.DONE,
                result={**done, "note": f"{reason} Its work had been committed."},
                finished_at=timezone.now(),
                error="",
            )
        elif jt is not None and job.attempts < job.max_attempts:
            updated = Job.objects.filter(pk=job.pk, status=Status.RUNNING).update(
                status=Status.QUEUED,
                error=f"{reason} Queued again (attempt {job.attempts + 1} of {job.max_attempts}).",
            )
            if updated:
                job.refresh_from_db()
                if jt.on_requeued:
                    jt.on_requeued(job)
                _dispatch(job.pk)
        else:
            message = (
                f"{reason} Nothing of it was kept: its work runs in one transaction. Retry it."
            )
            if Job.objects.filter(pk=job.pk, status=Status.RUNNING).exists():
                _fail(job, message, jt)
        (_progress_dir() / f"{job.pk}.json").unlink(missing_ok=True)
        job.refresh_from_db()
        reaped.append(job)
    return reaped


# --- periodic jobs ------------------------------------------------------------------------------


def period_key(jt: JobType, now: datetime) -> str:
    local = timezone.localtime(now)
    stamp = f"{local:%Y-%m-%d}" if jt.periodic == "daily" else f"{local:%Y-%m-%dT%H}"
    return f"periodic:{jt.name}:{stamp}"


def enqueue_periodic(now: datetime | None = None) -> list[Job]:
    """Queue each periodic job once for its current period (safe to call as often as you like)."""
    now = now or timezone.now()
    return [
        enqueue(jt.name, key=period_key(jt, now))
        for jt in sorted(REGISTRY.values(), key=lambda j: j.name)
        if jt.periodic
    ]


def as_dict(job: Job) -> dict[str, Any]:
    """A job as ``clientmap jobs --json`` and the API show it."""
    return {
        "id": str(job.pk),
        "name": job.name,
        "key": job.key,
        "status": job.status,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "progress": progress_of(job),
        "result": job.result,
        "error": job.error,
        "worker": job.worker,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def reap_key(key: str) -> bool:
    """Reap the job of this key if it is RUNNING with no live worker; True when it was."""
    job = Job.objects.filter(key=key, status=Status.RUNNING).first()
    if job is None or not why_dead(job):
        return False
    return bool(reap())
