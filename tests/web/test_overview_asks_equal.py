"""The overview's request figures read in one query (``engagements.overview.asks``) equal the
two queries over the stored figures they replace (``selectors.asks``) and the GROUP BY over
every request (``asks_from_requests``), on random worlds: team names that repeat (the key breaks
ties), teams that ask nothing, no request at all, and limits below and above the asking teams."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from clientmap.core import derived
from clientmap.engagements import overview, selectors
from clientmap.engagements.models import Request
from tests import factories as f

pytestmark = pytest.mark.django_db


def _check(limit: int) -> None:
    derived.ensure_current()
    got = overview.asks(limit=limit)
    assert got == selectors.asks(limit=limit)
    plain = selectors.asks_from_requests(limit=limit)
    assert {k: got[k] for k in ("total", "open", "recent", "team_count", "days")} == {
        k: plain[k] for k in ("total", "open", "recent", "team_count", "days")
    }
    assert [t["team__key"] for t in got["teams"]] == [t["team__key"] for t in plain["teams"]]


def test_no_request() -> None:
    f.team()
    _check(8)
    assert overview.asks()["teams"] == [] and overview.asks()["total"] == 0


@pytest.mark.parametrize("seed", range(5))
def test_equal_on_random_worlds(seed) -> None:
    rnd = random.Random(seed)
    people = [f.person() for _ in range(6)]
    teams = [f.team(name=f"T{i % 3}") for i in range(9)]  # names repeat; some never asked
    today = date.today()
    for _ in range(rnd.randrange(20, 60)):
        f.request(
            rnd.choice(people),
            rnd.choice(teams[:7]),
            status=rnd.choice(Request.Status.values),
            opened=today - timedelta(days=rnd.choice([1, 29, 30, 31, 200])),
        )
    for limit in (1, 3, 8, 20):
        _check(limit)


def test_ties_broken_by_name_then_key() -> None:
    person = f.person()
    status = sorted(selectors.OPEN)[0]
    for key in ("t-c", "t-a", "t-b", "t-d"):
        team = f.team(key=key, name="Z" if key == "t-d" else "Same")
        f.request(person, team, status=status, opened=date.today() - timedelta(days=2))
    _check(8)
    assert [t["team__key"] for t in overview.asks()["teams"]] == ["t-a", "t-b", "t-c", "t-d"]


def _check_served() -> None:
    derived.ensure_current()
    got = overview.served()["served"]
    assert got == selectors.service_levels()
    assert got == selectors.service_levels_from_requests()


def test_served_with_nothing_measured() -> None:
    person, team = f.person(), f.team()
    f.request(person, team, status=sorted(selectors.OPEN)[0], opened=date.today())
    _check_served()
    assert overview.served()["served"]["measured"] is False


@pytest.mark.parametrize("seed", range(5))
def test_served_equal_on_random_worlds(seed) -> None:
    rnd = random.Random(seed)
    people = [f.person() for _ in range(6)]
    teams = [f.team(name=f"T{i % 3}") for i in range(8)]  # names repeat; some never asked
    today = date.today()
    for _ in range(rnd.randrange(20, 60)):
        status = rnd.choice(Request.Status.values)
        closed = target = None
        if status in (Request.Status.FULFILLED, Request.Status.DECLINED):
            closed = today - timedelta(days=rnd.choice([0, 1, 89, 90, 91, 179, 180, 181, 300]))
            if rnd.random() < 0.8:
                target = closed + timedelta(days=rnd.choice([-3, 0, 4]))
        f.request(
            rnd.choice(people),
            rnd.choice(teams[:6]),
            status=status,
            opened=today - timedelta(days=400),
            closed=closed,
            target=target,
        )
    _check_served()
