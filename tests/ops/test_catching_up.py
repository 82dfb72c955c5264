"""A page never waits for a whole rebuild of a derived table (issue 16, load: the overview's
first request of a day timed out rebuilding the customer relations of a 1M-request world).

With a worker running and a slow table (its last whole rebuild took longer than
``DERIVED_INLINE_SECONDS``), a read that would rebuild all of it queues the rebuild as one job
and is answered from the last complete build, saying so; the worker then brings it current.
Without a worker, for a fast table, or for the writer's own change, it is rebuilt at once.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from clientmap.core import derived, jobs
from clientmap.core.models import Job
from tests import factories as f

pytestmark = pytest.mark.django_db

NAME = "test_slow_table"


class Table:
    day = "2026-12-03"
    builds: list[tuple[str, bool]] = []


@pytest.fixture
def table():
    Table.day, Table.builds = "2026-12-03", []
    derived.register(
        NAME,
        refresh=lambda changes: Table.builds.append((Table.day, changes.everyone)),
        parameters=lambda: Table.day,
    )
    derived.rebuild(NAME)  # built once for today
    Table.builds.clear()
    yield Table
    derived._registry.pop(NAME, None)


@pytest.fixture
def staff(client, home):
    client.force_login(f.user("cu-staff", staff=True))
    return client


def slow(seconds: float = 30.0) -> None:
    derived._remember_seconds(NAME, seconds)


def worker_alive() -> None:
    jobs.beat("bench-host:1:x")


def test_a_new_day_is_read_from_the_last_build_while_a_job_rebuilds(staff, table, job_queue):
    slow()
    worker_alive()
    table.day = "2026-12-04"  # midnight: everything is to be rebuilt
    first = staff.get(reverse("api_tokens"))
    assert first.status_code == 200 and table.builds == []
    assert NAME in first["X-Clientmap-Catching-Up"]
    assert b"brought up to date in the background" in first.content
    again = staff.get(reverse("api_tokens"))
    assert NAME in again["X-Clientmap-Catching-Up"] and table.builds == []
    (job,) = Job.objects.filter(name="core.derived")  # one job for both reads
    assert job.params == {"name": NAME} and job.status == "queued"
    jobs.run(job.pk)  # what the worker does with it
    job.refresh_from_db()
    assert job.status == "done", job.error
    assert table.builds == [("2026-12-04", True)]
    job.refresh_from_db()
    assert job.status == "done"
    after = staff.get(reverse("api_tokens"))
    assert "X-Clientmap-Catching-Up" not in after and table.builds == [("2026-12-04", True)]


def test_a_change_for_everyone_goes_to_the_job_too(staff, table, job_queue):
    slow()
    worker_alive()
    from django.db import transaction

    with transaction.atomic():  # a write elsewhere, committed (its own process would rebuild)
        derived._bump(NAME, derived.EVERYTHING)
    r = staff.get(reverse("api_tokens"))
    assert NAME in r["X-Clientmap-Catching-Up"] and table.builds == []


@pytest.mark.parametrize("why", ["no worker", "a fast table", "a scoped change"])
def test_otherwise_the_read_rebuilds_at_once(staff, table, job_queue, why):
    if why != "a fast table":
        slow()
    if why != "no worker":
        worker_alive()
    if why == "a scoped change":
        derived._bump(NAME, derived.Changes(person_ids=frozenset({1})))
    else:
        table.day = "2026-12-04"
        if why == "a fast table":
            slow(0.01)
    r = staff.get(reverse("api_tokens"))
    assert "X-Clientmap-Catching-Up" not in r
    assert len(table.builds) == 1
    assert not Job.objects.filter(name="core.derived").exists()


def test_the_writers_own_change_is_rebuilt_at_once(
    table, job_queue, django_capture_on_commit_callbacks
):
    slow()
    worker_alive()
    token = derived._reading.set(set())  # inside a request
    try:
        with django_capture_on_commit_callbacks(execute=True):
            derived.mark_stale(NAME)  # brought current once the write commits
    finally:
        derived._reading.reset(token)
    assert table.builds == [("2026-12-03", True)]
    assert not Job.objects.filter(name="core.derived").exists()
