"""Deriving from empty (one INSERT per kind, indexes dropped and rebuilt) writes exactly the rows
of the one compound SELECT the other paths use, on a random world."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from clientmap.core import bulk
from clientmap.engagements.models import Request
from clientmap.experience import derive
from clientmap.experience.models import Touchpoint
from clientmap.valuechain.models import ImpactNotice
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
COLS = ", ".join(c for c in derive.COLUMNS if c != "derived")  # a boolean reads back typed


def _random_world(seed: int) -> None:
    rnd = random.Random(seed)
    teams = [f.team(key=f"t{seed}-{i}") for i in range(3)]
    services = [f.service(t) for t in teams]
    people = [f.person(f.org(key=f"o{seed}-{i}")) for i in range(8)]
    statuses = list(Request.Status.values)
    for _ in range(60):
        status = rnd.choice(statuses)
        opened = TODAY - timedelta(days=rnd.randrange(10, 400))
        accepted = opened + timedelta(days=rnd.randrange(0, 5)) if rnd.random() < 0.8 else None
        closed = (
            (accepted or opened) + timedelta(days=rnd.randrange(0, 60))
            if rnd.random() < 0.7
            else None
        )
        target = (accepted + timedelta(days=rnd.randrange(0, 30))) if accepted else None
        k = rnd.randrange(3)
        f.request(
            rnd.choice(people),
            teams[k],
            service=services[k] if rnd.random() < 0.8 else None,
            status=status,
            opened=opened,
            accepted=accepted,
            closed=closed,
            target=target if rnd.random() < 0.8 else None,
        )
    for i in range(5):
        ImpactNotice.objects.create(
            person=rnd.choice(people),
            service=rnd.choice(services) if rnd.random() < 0.7 else None,
            subject=f"notice {i}",
            sent_at=timezone.now() - timedelta(days=rnd.randrange(1, 50)),
        )
    Touchpoint.objects.create(person=people[0], kind="meeting", day=TODAY)  # recorded: stays


def _indexes() -> list[tuple[str, str]]:
    """The table's secondary indexes as (name, definition), the definition without the casts and
    parentheses PostgreSQL writes differently once it rebuilt an index from its own text."""
    return sorted(
        (name, re.sub(r"[()\s]", "", re.sub(r"::[a-z ]+(\[\])?", "", sql)))
        for name, sql in bulk.secondary_indexes(derive.TABLE)
    )


def _rows(sql: str) -> Counter:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return Counter(tuple(str(v) for v in row) for row in cursor.fetchall())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_from_empty_equals_the_compound_select(seed, monkeypatch) -> None:
    _random_world(seed)
    expected = _rows(f"SELECT {COLS} FROM ({derive._select()}) x")
    Touchpoint.objects.filter(derived=True).delete()
    monkeypatch.setattr(bulk, "THRESHOLD", 1)  # drop and rebuild the indexes even here
    indexes = _indexes()
    total = derive.derive()
    got = _rows(f"SELECT {COLS} FROM {derive.TABLE} WHERE derived = {derive._true()}")
    assert got == expected and total == sum(expected.values()) > 15
    assert _indexes() == indexes  # every index is back, with its columns and condition
    assert Touchpoint.objects.filter(derived=False).count() == 1
    # and deriving again (the difference path) changes nothing
    assert derive.derive() == total
    assert _rows(f"SELECT {COLS} FROM {derive.TABLE} WHERE derived = {derive._true()}") == got


def test_a_saved_request_is_derived_in_its_own_transaction(django_capture_on_commit_callbacks):
    """A request's promise is written with the request, not by a hook after the commit (a
    SIGKILL between the two lost it): inside the test's transaction, with no on-commit hook
    run, the saved request's touchpoints are already there and nothing is left for a hook."""
    team = f.team(key="tx-team")
    person = f.person(f.org(key="tx-org"))
    with django_capture_on_commit_callbacks(execute=False) as hooks:
        r = f.request(
            person,
            team,
            status="accepted",
            accepted=TODAY - timedelta(days=9),
            target=TODAY - timedelta(days=2),
        )
    assert list(Touchpoint.objects.filter(request=r).values_list("kind", "day")) == [
        ("due", r.target)
    ]
    r.status, r.closed = "fulfilled", TODAY
    with django_capture_on_commit_callbacks(execute=False) as more:
        r.save()
    assert list(Touchpoint.objects.filter(request=r).values_list("kind", "delay")) == [
        ("fulfilled", 2)
    ]
    assert hooks is not None and more is not None  # captured, never run


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_request_save_leaves_no_touchpoint() -> None:
    from django.db import transaction

    team = f.team(key="rb-team")
    person = f.person(f.org(key="rb-org"))
    with pytest.raises(RuntimeError), transaction.atomic():
        f.request(person, team, status="accepted", accepted=TODAY, target=TODAY)
        assert Touchpoint.objects.filter(kind="due").count() == 1
        raise RuntimeError("rolled back")
    assert not Touchpoint.objects.exists()
