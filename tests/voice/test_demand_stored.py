"""The weighted demand stored on the wish (``voice.store``) equals the query it replaces
(``demand.with_demand``, every vote weighed) on random small worlds — and stays equal after
every write that changes it: votes, unvotes, merges, a voter's relations changing kind, a voter
deleted, a fit placement run and an override set and cleared, the weights configured."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.db.models import F

from clientmap.core import derived
from clientmap.directory.models import Person
from clientmap.engagements.models import Request
from clientmap.voice import selectors, services
from clientmap.voice.models import Vote, Wish
from tests import factories as f


def _world(seed: int):
    rnd = random.Random(seed)
    home = f.home_org()
    orgs = [home, home, *[f.org() for _ in range(3)]]
    people = [f.person(organization=rnd.choice(orgs)) for _ in range(24)]
    teams = [f.team() for _ in range(4)]
    today = date.today()
    for _ in range(40):
        f.request(
            rnd.choice(people),
            rnd.choice(teams),
            status=rnd.choice(Request.Status.values),
            payment=rnd.choice(Request.Payment.values),
            opened=today - timedelta(days=rnd.choice([3, 200, 900])),
        )
    authors = [f.person(organization=home) for _ in range(2)]  # nobody deleted is an author
    wishes = [services.submit_wish(rnd.choice(authors), f"Wish {i}") for i in range(8)]
    for _ in range(50):
        services.vote(rnd.choice(wishes), rnd.choice(people))
    return rnd, people, teams, wishes


def _reference() -> dict[int, int]:
    return dict(selectors.with_demand(Wish.objects.all()).values_list("pk", "demand"))


def _check() -> None:
    derived.ensure_current()  # as every page and API call does (CurrentMiddleware)
    reference = _reference()
    stored = dict(Wish.objects.values_list("pk", "weighted_demand"))
    assert stored == reference
    assert dict(selectors.stored_demand(Wish.objects.all()).values_list("pk", "demand")) == stored
    assert any(reference.values())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stored_demand_equals_the_query_it_replaces(seed, settings) -> None:
    rnd, people, teams, wishes = _world(seed)
    _check()
    for _ in range(10):  # votes and unvotes
        wish, person = rnd.choice(wishes), rnd.choice(people)
        if not services.vote(wish, person):
            services.unvote(wish, person)
    _check()
    # a voter becomes a paying customer (a new request): their votes weigh more
    voter = Person.objects.get(pk=Vote.objects.order_by("id").values_list("person", flat=True)[0])
    f.request(voter, teams[0], payment="cash", opened=date.today())
    _check()
    # and stops being one: the request declined (its relations are rebuilt, scoped)
    Request.objects.filter(requester=voter).update(status=Request.Status.DECLINED)
    Request.objects.filter(requester=voter).first().save()
    _check()
    services.merge(wishes[1], wishes[0])
    _check()
    people[2].delete()  # a voter deleted: their votes go by cascade
    _check()
    settings.CLIENTMAP = {
        **settings.CLIENTMAP,
        "VOICE_WEIGHTS": {"external_paying": 7, "customer": 4, "other": 1},
    }
    _check()


@pytest.mark.django_db(transaction=True)
def test_stored_demand_follows_fit_groups(settings) -> None:
    from clientmap.fit import rules as fit_rules
    from clientmap.fit import services as fit_services

    # every group weighs extra, so the run changes the weights whatever group it finds
    settings.CLIENTMAP = {**settings.CLIENTMAP, "VOICE_GROUP_WEIGHTS": {1: 2, 2: 5, 3: 1, 4: 4}}
    _rnd, people, _teams, _wishes = _world(4)
    from clientmap.fit.models import Recompute

    _check()  # the world's writes marked the placements stale: this first read placed them
    assert Recompute.objects.exists()
    fit_rules.recompute()  # a placement run by hand (the CLI, the daily job)
    _check()
    org = next(p.organization for p in people if not p.organization.is_home)
    fit_services.override(org, group=1, reason="key account", expires=date.today())
    _check()
    fit_services.clear(org)
    _check()


@pytest.mark.django_db
def test_sorting_by_demand_reads_the_stored_column(home) -> None:
    """The list and the API order by the column (an index scan), not by weighing votes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    stranger = f.person()
    low, high = services.submit_wish(stranger, "Low"), services.submit_wish(stranger, "High")
    services.vote(high, f.person())
    services.vote(high, f.person())
    services.vote(low, f.person())
    with CaptureQueriesContext(connection) as ctx:
        ranked = list(selectors.stored_demand(Wish.objects.all()).order_by("-demand"))
    assert [w.title for w in ranked] == ["High", "Low"] and ranked[0].demand == 2
    assert "voice_vote" not in ctx.captured_queries[0]["sql"]
    # never below zero, never drifting: an unvote takes back exactly what the vote added
    services.unvote(high, ranked[0].votes.first().person)
    assert Wish.objects.filter(pk=high.pk, weighted_demand=F("vote_count")).exists()


def _wish_updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith('UPDATE "voice_wish"')]


@pytest.mark.django_db(transaction=True)
def test_a_single_account_write_reweighs_only_its_voters_wishes(settings) -> None:
    """A write that places one account again (fit amends today's run) brings the stored
    demand equal to the reference again by recomputing the wishes that account's people voted
    on — never every wish (the amend used to set off a rebuild of all of them)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clientmap.fit import selectors as fit_selectors
    from clientmap.fit.models import Intent, Rating

    settings.CLIENTMAP = {**settings.CLIENTMAP, "VOICE_GROUP_WEIGHTS": {1: 2, 2: 5, 3: 1, 4: 4}}
    _rnd, people, _teams, _wishes = _world(4)
    _check()  # the first read placed the accounts
    voters = Vote.objects.values_list("person__organization_id", flat=True)
    placed = fit_selectors.current()
    org = next(o for o in sorted(set(voters)) if o in placed)
    before = placed[org].group
    with CaptureQueriesContext(connection) as ctx:
        for i in range(3):  # the customer says they are leaving, staff rate them badly
            Intent.objects.create(
                organization_id=org, date=date.today(), wants="leave", source=f"call {i}"
            )
            Rating.objects.create(organization_id=org, rater=people[i], score=1, date=date.today())
        derived.ensure_current()
    assert fit_selectors.current()[org].group != before  # the account moved group
    updates = _wish_updates(ctx.captured_queries)
    assert updates and all('WHERE "voice_wish"."id" IN' in sql for sql in updates), updates
    _check()
