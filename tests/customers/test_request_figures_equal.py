"""The overview's request figures stored per team (``engagements.figures``) equal the GROUP BYs
over every request they replace (``asks_from_requests``, ``service_levels_from_requests``) on
random worlds — and stay equal after every write that changes them: a request made, closed,
moved to another team, deleted; a team or a requester deleted (cascade); a bulk load followed by
the whole rebuild of the relations (what the imports do)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from clientmap.core import derived
from clientmap.customers import rules
from clientmap.engagements import selectors
from clientmap.engagements.models import Request
from tests import factories as f


def _request(rnd: random.Random, people, teams, **kw) -> Request:
    today = date.today()
    opened = today - timedelta(days=rnd.choice([1, 10, 29, 30, 31, 60, 100, 200, 400]))
    status = kw.pop("status", rnd.choice(Request.Status.values))
    closed = target = None
    if status in (Request.Status.FULFILLED, Request.Status.DECLINED):
        closed = today - timedelta(days=rnd.choice([0, 1, 89, 90, 91, 179, 180, 181, 300]))
        if rnd.random() < 0.8:
            target = closed + timedelta(days=rnd.choice([-3, 0, 4]))
    return f.request(
        rnd.choice(people),
        rnd.choice(teams),
        status=status,
        opened=opened,
        closed=closed,
        target=target,
        **kw,
    )


def _world(seed: int):
    rnd = random.Random(seed)
    home = f.home_org()
    orgs = [home, f.org(), f.org()]
    people = [f.person(organization=rnd.choice(orgs)) for _ in range(12)]
    teams = [f.team(name=f"T{i % 3}") for i in range(6)]  # names repeat
    for _ in range(80):
        _request(rnd, people, teams)
    return rnd, people, teams


def _rows(teams: list[dict]) -> list[tuple]:
    return sorted(tuple(sorted(t.items())) for t in teams)


def _check_teams_in_order() -> None:
    derived.ensure_current()  # as every page does (CurrentMiddleware)
    fast, plain = selectors.asks(limit=100), selectors.asks_from_requests(limit=100)
    key = [(t["open"], t["recent"], t["team__name"]) for t in fast["teams"]]
    assert key == [(t["open"], t["recent"], t["team__name"]) for t in plain["teams"]]
    assert _rows(fast["teams"]) == _rows(plain["teams"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stored_request_figures_equal_the_queries_they_replace(seed) -> None:
    rnd, people, teams = _world(seed)
    rules.recompute()  # a whole rebuild, as after an import
    _check_teams_in_order()
    plain = selectors.asks_from_requests()
    assert selectors.asks() == plain and plain["total"] == 80
    assert selectors.service_levels() == selectors.service_levels_from_requests()
    _request(rnd, people, teams, status=Request.Status.SUBMITTED)
    _check_teams_in_order()
    moved = Request.objects.filter(team=teams[0]).first()
    moved.team = teams[1]
    moved.status = Request.Status.FULFILLED
    moved.closed = moved.target = date.today()
    moved.save()
    assert selectors.service_levels() == selectors.service_levels_from_requests()
    Request.objects.filter(team=teams[2]).first().delete()
    assert selectors.asks() == selectors.asks_from_requests()
    teams[3].delete()
    people[0].delete()
    assert selectors.asks() == selectors.asks_from_requests()
    assert selectors.service_levels() == selectors.service_levels_from_requests()
    # a bulk load (no signals) ends with the whole rebuild of the relations, as imports do
    Request.objects.bulk_create(
        [
            Request(
                key=f"bulk-{i}",
                requester=people[1],
                team=teams[4],
                status="submitted",
                opened=date.today(),
            )
            for i in range(5)
        ]
    )
    rules.recompute()
    assert selectors.asks() == selectors.asks_from_requests()


@pytest.mark.django_db
def test_another_day_is_computed_from_the_requests(home) -> None:
    person, team = f.person(), f.team()
    f.request(person, team, status=Request.Status.SUBMITTED, opened=date.today())
    later = date.today() + timedelta(days=40)  # the request is no longer recent then
    assert selectors.asks(later) == selectors.asks_from_requests(later)
    assert selectors.asks(later)["recent"] == 0 and selectors.asks()["recent"] == 1
