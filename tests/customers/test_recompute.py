"""What a rebuild of the customer relations does besides computing C1 and C2
(``customers.rules.recompute``): a scoped rebuild (a few people, after a write) rebuilds just
them — unless the relations were last built for another day or another active window: then the
rest would be stale, and everyone is rebuilt; a whole rebuild records how long it took; every
rebuild tells the value chain (its paying organizations come from the relations)."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from clientmap.core import derived
from clientmap.customers import rules
from clientmap.customers.models import CustomerRelation, RecomputeState
from tests import factories as f

pytestmark = pytest.mark.django_db

DAY = date(2026, 6, 1)


@pytest.fixture
def two(home):
    """A team with two customers: ``a`` asked on DAY, ``b`` a hundred days before."""
    team = f.team()
    a, b = f.person(key="a"), f.person(key="b")
    f.request(a, team, opened=DAY)
    f.request(b, team, opened=DAY - timedelta(days=100))
    rules.recompute(as_of=DAY)
    return team, a, b


def _only(person) -> rules.Scope:
    return rules.Scope(person_ids=frozenset({person.pk}))


def _active(team, person) -> bool:
    return CustomerRelation.objects.get(team=team, person=person).active


def test_a_scoped_rebuild_on_another_day_rebuilds_everyone(two) -> None:
    team, a, b = two
    assert _active(team, a) and _active(team, b)
    later = DAY + timedelta(days=300)  # b's request is 400 days old, a's 300
    rules.recompute(_only(a), as_of=later)
    assert _active(team, a)
    assert not _active(team, b)  # not in the scope, lapsed all the same
    state = RecomputeState.objects.get()
    assert state.as_of == later


def test_a_scoped_rebuild_with_another_window_rebuilds_everyone(two, settings) -> None:
    team, a, b = two
    settings.CLIENTMAP = {**settings.CLIENTMAP, "ACTIVE_WINDOW_DAYS": 30}
    rules.recompute(_only(a), as_of=DAY)
    assert _active(team, a)
    assert not _active(team, b)  # 100 days old: outside the new 30-day window
    assert RecomputeState.objects.get().window_days == 30


def test_a_scoped_rebuild_on_the_same_day_rewrites_only_its_people(two) -> None:
    team, a, b = two
    CustomerRelation.objects.filter(person=b).delete()  # a row the scoped rebuild must not touch
    CustomerRelation.objects.filter(person=a).update(request_count=7)
    rules.recompute(_only(a), as_of=DAY)
    assert CustomerRelation.objects.get(person=a).request_count == 1  # a is rebuilt
    assert not CustomerRelation.objects.filter(person=b).exists()  # b is left as it was


def test_a_whole_rebuild_records_how_long_it_took(home) -> None:
    f.request(f.person(), f.team(), opened=DAY)
    started = time.perf_counter()
    rules.recompute(as_of=DAY)
    took = time.perf_counter() - started
    assert 0 <= RecomputeState.objects.get().seconds <= took


def test_every_rebuild_makes_the_value_chain_stale_for_every_process(two) -> None:
    """Another process's cached graph is dropped by the version of ``value_chain``, not by this
    process's signals: the rebuild bumps it in its transaction, scoped or whole."""
    team, a, b = two

    def version() -> int:
        return derived.versions()["value_chain"][0]

    before = version()
    rules.recompute(_only(a), as_of=DAY)
    scoped = version()
    assert scoped != before
    rules.recompute(as_of=DAY)
    assert version() != scoped
