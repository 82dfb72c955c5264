"""The job layer around the Django tasks API: idempotency, retries, progress, reaper, periodic."""

from __future__ import annotations

import io
import json
import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clientmap.core import jobs
from clientmap.core.models import Job, WorkerBeat

pytestmark = pytest.mark.django_db(transaction=True)

CALLS: list[str] = []


@pytest.fixture
def counting_job():
    CALLS.clear()

    def fn(job, progress):
        progress(step="working", done=1, total=2)
        CALLS.append(job.key)
        return {"n": len(CALLS)}

    jobs.register("test.count", fn, max_attempts=3)
    yield "test.count"
    jobs.REGISTRY.pop("test.count", None)


@pytest.fixture
def flaky_job():
    CALLS.clear()

    def fn(job, progress):
        CALLS.append(job.key)
        if len(CALLS) < job.params.get("fail_times", 1) + 1:
            raise jobs.Transient("the mail relay is away")
        return {"ok": True}

    jobs.register("test.flaky", fn, max_attempts=3, backoff=10)
    yield "test.flaky"
    jobs.REGISTRY.pop("test.flaky", None)


def test_a_key_used_twice_runs_the_job_once(counting_job) -> None:
    first = jobs.enqueue(counting_job, key="invoice:42")
    second = jobs.enqueue(counting_job, key="invoice:42")
    assert first.pk == second.pk and Job.objects.count() == 1
    assert CALLS == ["invoice:42"]
    job = Job.objects.get()
    assert job.status == "done" and job.result == {"n": 1} and job.attempts == 1
    assert job.progress["step"] == "working" and job.progress["percent"] == 100


def test_a_task_delivered_twice_applies_once(counting_job, job_queue) -> None:
    job = jobs.enqueue(counting_job, key="k")
    jobs.run(job.pk)
    jobs.run(job.pk)  # the same task again (a redelivery): nothing happens
    assert CALLS == ["k"]
    assert Job.objects.get().attempts == 1


def test_the_worker_runs_queued_jobs_from_the_database_queue(counting_job, job_queue) -> None:
    jobs.enqueue(counting_job, key="a")
    jobs.enqueue(counting_job, key="b")
    assert Job.objects.filter(status="queued").count() == 2
    assert DBTaskResult.objects.filter(status="READY").count() == 2
    call_command("worker", "--batch")
    assert sorted(CALLS) == ["a", "b"]
    assert set(Job.objects.values_list("status", flat=True)) == {"done"}
    assert WorkerBeat.objects.exists()  # the worker said it was alive


def test_a_transient_error_is_retried_later_with_backoff(flaky_job, job_queue) -> None:
    job = jobs.enqueue(flaky_job, {"fail_times": 2}, key="send")
    before = timezone.now()
    job = jobs.run(job.pk)
    assert job.status == "queued" and "Attempt 1 of 3 failed" in job.error
    assert timedelta(seconds=9) < job.run_after - before < timedelta(seconds=12)
    task = DBTaskResult.objects.filter(status="READY").order_by("-enqueued_at").first()
    assert task.run_after is not None and abs((task.run_after - job.run_after).total_seconds()) < 1
    job = jobs.run(job.pk)
    assert job.status == "queued"
    assert timedelta(seconds=19) < job.run_after - timezone.now() < timedelta(seconds=21)
    job = jobs.run(job.pk)
    assert job.status == "done" and job.attempts == 3


def test_retries_stop_at_max_attempts_with_the_reason(flaky_job) -> None:
    job = jobs.enqueue(flaky_job, {"fail_times": 5}, key="send")
    job.refresh_from_db()
    assert job.status == "failed" and job.attempts == 3
    assert "the mail relay is away" in job.error and len(CALLS) == 3


def test_a_failed_job_is_queued_again_only_when_asked(flaky_job) -> None:
    job = jobs.enqueue(flaky_job, {"fail_times": 3}, key="once")
    assert Job.objects.get().status == "failed"
    jobs.enqueue(flaky_job, {"fail_times": 3}, key="once")
    assert Job.objects.get().status == "failed"
    jobs.enqueue(flaky_job, key="once", retry_failed=True)
    job = Job.objects.get(pk=job.pk)
    assert job.status == "done" and job.error == ""


def _running(name: str, worker: str, seen_ago: float) -> Job:
    seen = timezone.now() - timedelta(seconds=seen_ago)
    return Job.objects.create(
        name=name,
        key=f"{name}:{worker}:{seen_ago}",
        status="running",
        attempts=1,
        max_attempts=jobs.REGISTRY[name].max_attempts,
        worker=worker,
        started_at=seen,
        heartbeat_at=seen,
    )


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_the_reaper_requeues_a_job_whose_worker_process_is_gone(counting_job) -> None:
    import socket

    job = _running(counting_job, f"{socket.gethostname()}:{_dead_pid()}:x", seen_ago=1)
    reaped = jobs.reap()
    assert [j.pk for j in reaped] == [job.pk]
    job.refresh_from_db()
    # queued again and, with the immediate backend, run at once: attempt 2 of 3
    assert job.status == "done" and job.attempts == 2 and CALLS == [job.key]


def test_the_reaper_fails_a_job_with_no_attempts_left_and_says_why(counting_job) -> None:
    jobs.register("test.once", jobs.REGISTRY[counting_job].fn, max_attempts=1)
    try:
        job = _running("test.once", "elsewhere:123:x", seen_ago=10_000)
        jobs.reap()
        job.refresh_from_db()
        assert job.status == "failed"
        assert "no sign of life" in job.error and "Retry it" in job.error
        assert CALLS == []
    finally:
        jobs.REGISTRY.pop("test.once", None)


def test_the_reaper_leaves_live_jobs_alone(counting_job) -> None:
    import socket

    mine = _running(counting_job, f"{socket.gethostname()}:{os.getpid()}:x", seen_ago=5)
    elsewhere = _running(counting_job, "other-host:1:x", seen_ago=5)
    assert jobs.reap() == []
    assert {j.status for j in Job.objects.filter(pk__in=[mine.pk, elsewhere.pk])} == {"running"}


def test_periodic_jobs_are_queued_once_per_day(counting_job) -> None:
    jobs.register("test.daily", jobs.REGISTRY[counting_job].fn, periodic="daily")
    try:
        # Mid-day, so that "five minutes later" is the same day whenever the suite runs.
        now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
        jobs.enqueue_periodic(now)
        jobs.enqueue_periodic(now + timedelta(minutes=5))
        assert Job.objects.filter(name="test.daily").count() == 1
        jobs.enqueue_periodic(now + timedelta(days=1))
        assert Job.objects.filter(name="test.daily").count() == 2
        assert Job.objects.filter(name="customers.recompute").count() == 2  # the lapse check
    finally:
        jobs.REGISTRY.pop("test.daily", None)


def test_clientmap_periodic_runs_the_daily_rebuild(capsys) -> None:
    call_command("periodic", "--run")
    job = Job.objects.get(name="customers.recompute")
    assert job.status == "done" and "relations" in job.result
    assert job.key in capsys.readouterr().out


def test_clientmap_jobs_lists_jobs_as_json_and_retries(flaky_job, capsys) -> None:
    jobs.enqueue(flaky_job, {"fail_times": 3}, key="mail/5 «x»")
    capsys.readouterr()
    call_command("jobs", "--json")
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["key"] == "mail/5 «x»" and rows[0]["status"] == "failed"
    assert "mail relay" in rows[0]["error"]
    call_command("jobs", "--retry", "mail/5 «x»")
    assert "done" in capsys.readouterr().out
    assert Job.objects.get().status == "done"


def test_progress_of_a_running_job_on_sqlite_is_read_from_its_file(
    counting_job, settings, tmp_path
) -> None:
    settings.DATA_DIR = tmp_path
    job = _running(counting_job, "w:1:x", seen_ago=0)
    p = jobs.Progress(job)
    p.data = {"step": "requests", "done": 5, "total": 10}
    p.write_file()
    assert jobs.progress_of(job)["step"] == "requests"
    job.status = "done"
    assert "step" not in jobs.progress_of(job)


def test_an_import_whose_worker_died_shows_failed_with_the_reason_and_can_be_retried(
    client, tmp_path, job_queue
) -> None:
    """Issue 10, defect 7: a crashed upload no longer stays "running" forever."""
    import socket

    from clientmap.engagements.models import Request
    from clientmap.imports.models import ImportJob
    from tests import factories as f
    from tests.imports.test_jobs import workbook_zip

    client.force_login(f.user("boss", staff=True))
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        "/imports/",
        {"file": SimpleUploadedFile("demo.zip", workbook_zip(tmp_path)), "format": "workbook"},
    )
    imp = ImportJob.objects.get()
    # A worker took it and was killed (SIGKILL, OOM): both rows say running, its process is gone.
    ImportJob.objects.filter(pk=imp.pk).update(status="running", started_at=timezone.now())
    Job.objects.filter(key=f"import:{imp.pk}").update(
        status="running", attempts=1, worker=f"{socket.gethostname()}:{_dead_pid()}:x"
    )
    page = client.get(f"/imports/{imp.pk}/")
    imp.refresh_from_db()
    assert imp.status == "failed"
    assert "stopped" in imp.errors[0]["message"] and b"stopped" in page.content
    assert b"Retry this import" in page.content
    assert Request.objects.count() == 0
    client.post(f"/imports/{imp.pk}/retry/")
    imp.refresh_from_db()
    assert imp.status == "queued"
    call_command("worker", "--batch")
    imp.refresh_from_db()
    assert imp.status == "done" and Request.objects.count() > 0


def test_an_import_and_its_outcome_commit_together(tmp_path, monkeypatch) -> None:
    """A worker killed after the import's data but before its job says "done" would leave the
    data on a job still running; the retry then reported (and audited) every row "unchanged".
    The data, the job's outcome and its audit entry are one transaction: stopped at the last
    moment (the outcome's save), nothing of the import is left."""
    from clientmap.core.models import AuditEvent
    from clientmap.engagements.models import Request
    from clientmap.imports import services
    from clientmap.imports.models import ImportJob
    from tests.imports.test_jobs import workbook_zip

    imp = services.create_job(
        user=None, filename="w.zip", stream=io.BytesIO(workbook_zip(tmp_path)), format="workbook"
    )
    real_save = ImportJob.save

    def killed_when_done(self, *args, **kwargs):
        if self.status == ImportJob.Status.DONE:
            raise KeyboardInterrupt  # as abrupt as SIGKILL: no handler of ours runs
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(ImportJob, "save", killed_when_done)
    ImportJob.objects.filter(pk=imp.pk).update(status=ImportJob.Status.QUEUED)
    with pytest.raises(KeyboardInterrupt):
        services.run(imp.pk)
    assert Request.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="import.").exists()
    monkeypatch.setattr(ImportJob, "save", real_save)
    ImportJob.objects.filter(pk=imp.pk).update(status=ImportJob.Status.QUEUED)
    done = services.run(imp.pk)
    assert done.status == "done" and Request.objects.count() > 0
    (event,) = AuditEvent.objects.filter(action="import.done")
    assert event.after["counts"]["requests"]["created"] == Request.objects.count()


def test_a_job_killed_after_its_import_committed_is_done_not_failed(tmp_path, job_queue) -> None:
    """The worker died between the import's commit and marking its job done: the reaper finds
    the work committed and marks the job done — not failed with "nothing was kept", and not
    imported again."""
    import socket

    from clientmap.core.models import AuditEvent
    from clientmap.imports import services
    from tests.imports.test_jobs import workbook_zip

    imp = services.create_job(
        user=None, filename="w.zip", stream=io.BytesIO(workbook_zip(tmp_path)), format="workbook"
    )
    services.start(imp)
    assert services.run(imp.pk).status == "done"  # committed …
    Job.objects.filter(key=services.job_key(imp)).update(  # … and then the worker was killed
        status="running", attempts=1, worker=f"{socket.gethostname()}:{_dead_pid()}:x"
    )
    (job,) = jobs.reap()
    assert job.status == "done" and job.error == ""
    assert job.result["import_job"] == str(imp.pk) and "stopped" in job.result["note"]
    imp.refresh_from_db()
    assert imp.status == "done"
    assert AuditEvent.objects.filter(action="import.done").count() == 1
