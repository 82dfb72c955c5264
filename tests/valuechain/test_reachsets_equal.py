"""The reach sets (``valuechain.reachsets``) equal the live computation they replace: for every
service (impact: counts, the direct customers listed, the recipients, their rows, pages and
languages) and every team (reach: customers reached), on random worlds — with the sets' people
stored (a large set) and read through the join (a small one) — and after each kind of write
(a consumes edge, a membership, a request, an involvement, an organization that starts paying,
a person renamed or given an e-mail address, a person deleted)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import pytest

from clientmap.catalog.models import Consumption, Service
from clientmap.core import derived
from clientmap.directory.models import Person, Team, TeamMembership
from clientmap.engagements.models import Request
from clientmap.valuechain import impact, notices, reached, reachsets
from clientmap.valuechain.graph import SERVICE, TEAM, load_graph
from clientmap.valuechain.models import ReachSet, ReachSetPerson
from clientmap.valuechain.reach import reach
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = date.today()


def _world(rnd: random.Random):
    people, teams = f.random_world(
        rnd, people=40, teams=7, requests=160, person_name=lambda i: f"N{i % 6}"
    )
    for p in people:
        p.email = rnd.choice(["", f"{p.key}@example.org"])
        p.language = rnd.choice(["", "es", "ru", "xx"])
        p.save()
    services = [f.service(t) for t in teams for _ in range(2)]
    pairs = {tuple(rnd.sample(range(len(services)), 2)) for _ in range(10)}
    for a, b in sorted(pairs):
        f.consumes(services[b], services[a])
    units = [f.unit() for _ in range(2)]
    for u in units:
        f.consumes(u, rnd.choice(services))
    for t in rnd.sample(teams, 3):
        t.unit = rnd.choice(units)
        t.save()
    return people, teams, services


def _live_recipients(team_ids, lapsed):
    return list(notices.recipients(team_ids, include_lapsed=lapsed).values_list("pk", flat=True))


def _check() -> None:
    """Every service's and every team's stored answers equal the live ones."""
    g = load_graph()
    for service in Service.objects.all():
        node = g.node(SERVICE, service.pk)
        order, pred = g.bfs([node])
        teams = g.of_type(order, TEAM)
        assert impact.direct_customers(g, pred, teams, limit=5) == impact.live_direct_customers(
            g, pred, teams, limit=5
        ), service.key
        assert impact.direct_customers(g, pred, teams, limit=500) == (
            impact.live_direct_customers(g, pred, teams, limit=500)
        ), service.key
        if len(teams):
            assert reachsets.find(g, teams) is not None, service.key
        assert reached.customer_counts(g, teams) == reached.live_customer_counts(g, teams)
        audience = notices.audience(service, g)
        team_ids = sorted(int(x) for x in g.db_id[teams])
        assert audience.team_ids == team_ids
        for lapsed in (False, True):
            live = _live_recipients(team_ids, lapsed)
            assert list(audience.people(include_lapsed=lapsed).values_list("pk", flat=True)) == live
            assert audience.count(include_lapsed=lapsed) == len(live)
            assert audience.languages(include_lapsed=lapsed) == notices.languages(
                notices.recipients(team_ids, include_lapsed=lapsed)
            )
            for offset, limit in ((0, 3), (3, 4), (0, 500)):
                stored = audience.rows(include_lapsed=lapsed, limit=limit, offset=offset)
                plain = notices.recipient_rows(
                    team_ids, include_lapsed=lapsed, limit=limit, offset=offset
                )
                assert [(r["person"].pk, r["kind"], r["last"], r["lapsed"]) for r in stored] == [
                    (r["person"].pk, r["kind"], r["last"], r["lapsed"]) for r in plain
                ]
    for team in Team.objects.all():
        node = g.node(TEAM, team.pk)
        sources = np.concatenate([[node], g.services_of_team(node)]).astype(np.int64)
        order, _pred = g.bfs(sources)
        teams = g.of_type(order, TEAM)
        assert reached.customer_counts(g, teams) == reached.live_customer_counts(g, teams)
        one = np.asarray([node])
        assert reached.customer_counts(g, one) == reached.live_customer_counts(g, one)
        assert reach(team, graph=g)["customers_reached"] == reached.live_customer_counts(g, teams)


@pytest.fixture(params=["stored", "joined"])
def large(request, monkeypatch):
    """Every set's people stored (``LARGE`` 0), or none (every set read through the join)."""
    monkeypatch.setattr(reachsets, "LARGE", 0 if request.param == "stored" else 10**9)
    return request.param


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reach_sets_equal_the_live_answers(seed, large) -> None:
    _world(random.Random(seed))
    derived.ensure_current()
    assert ReachSet.objects.exists()
    assert ReachSet.objects.filter(stored=True).exists() == (large == "stored")
    _check()


def test_every_team_reached_is_read_without_a_join(large) -> None:
    rnd = random.Random(5)
    people, teams, services = _world(rnd)
    root = f.service(teams[0])
    for s in services:
        if not Consumption.objects.filter(provider=root, consumer_service=s).exists():
            f.consumes(s, root)
    derived.ensure_current()
    g = load_graph()
    node = g.node(SERVICE, root.pk)
    order, _pred = g.bfs([node])
    stored = reachsets.find(g, g.of_type(order, TEAM))
    assert stored is not None and reachsets.every_team(g, stored)
    _check()


def _writes(rnd, people, teams, services):
    """One of each kind of write, each followed by a check."""
    yield (
        "consumes",
        lambda: Consumption.objects.get_or_create(
            provider=services[0], consumer_service=services[-1]
        ),
    )
    yield (
        "membership",
        lambda: TeamMembership.objects.get_or_create(team=teams[0], person=people[0]),
    )
    yield (
        "request",
        lambda: f.request(people[1], teams[2], status="accepted", payment="free", opened=TODAY),
    )
    yield (
        "lapsed request",
        lambda: f.request(
            people[2], teams[3], status="fulfilled", opened=TODAY - timedelta(days=800)
        ),
    )
    yield "involvement", lambda: f.involvement(people[3], teams[1], "decides", date=TODAY)
    outsider = next(p for p in people if not p.organization.is_home)
    yield (
        "organization pays",
        lambda: f.request(outsider, teams[4], status="accepted", payment="cash", opened=TODAY),
    )

    def rename():
        p = Person.objects.get(pk=people[5].pk)
        p.name = "A first name"
        p.email = "new@example.org"
        p.language = "pt"
        p.save()

    yield "person renamed", rename
    yield "request deleted", lambda: Request.objects.filter(requester=people[1]).first().delete()
    yield "person deleted", lambda: Person.objects.get(pk=people[6].pk).delete()


@pytest.mark.parametrize("seed", [4, 6])
def test_reach_sets_follow_every_kind_of_write(seed, large) -> None:
    rnd = random.Random(seed)
    people, teams, services = _world(rnd)
    derived.ensure_current()
    _check()
    for name, write in _writes(rnd, people, teams, services):
        write()
        try:
            _check()  # load_graph brings every derived table current first
        except AssertionError as exc:
            raise AssertionError(f"after: {name}") from exc


def test_a_scoped_change_rewrites_only_its_people(monkeypatch) -> None:
    monkeypatch.setattr(reachsets, "LARGE", 0)
    rnd = random.Random(8)
    people, teams, _services = _world(rnd)
    derived.ensure_current()
    whole, scoped = [], []
    monkeypatch.setattr(reachsets, "rebuild", lambda g=None: whole.append(g))
    real = reachsets.refresh_people
    monkeypatch.setattr(reachsets, "refresh_people", lambda *a: scoped.append(a) or real(*a))
    home = next(p for p in people if p.organization.is_home)
    f.request(home, teams[0], status="accepted", payment="free", opened=TODAY)
    derived.ensure_current()
    # the sets themselves were kept (a person's change), their people brought current
    assert whole == [] and scoped == [(frozenset({home.pk}), frozenset())]
    assert ReachSetPerson.objects.filter(person=home).exists()
    _check()
