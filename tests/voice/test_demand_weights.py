"""W1's weighted demand: what the mutation run of voice/demand.py found untested (a prospect's
vote weighing as a customer's, the configured weights ignored)."""

from __future__ import annotations

from datetime import date

import pytest

from clientmap.core import derived
from clientmap.customers.models import CustomerRelation
from clientmap.engagements.models import Request
from clientmap.voice import selectors, services
from clientmap.voice.models import Wish
from tests import factories as f

pytestmark = pytest.mark.django_db


def _demand() -> dict[str, int]:
    derived.ensure_current()  # as every page and API call does (CurrentMiddleware)
    return {w.title: w.demand for w in selectors.with_demand(Wish.objects.all())}


def test_a_prospects_vote_weighs_as_anyone_elses(home) -> None:
    acme = f.org(key="acme")
    # the prospect's organization pays the team (through a colleague): C2 calls the relation
    # external paying, but a prospect is nobody's customer, so the vote weighs as anyone's
    prospect, payer = f.person(organization=acme), f.person(organization=acme)
    team = f.team()
    # a cash request the team declined: a prospect of the team, not a customer (C1)
    f.request(prospect, team, payment="cash", status=Request.Status.DECLINED, opened=date.today())
    f.request(payer, team, payment="cash", opened=date.today())
    derived.ensure_current()
    relation = CustomerRelation.objects.get(person=prospect, team=team)
    assert not relation.is_customer and relation.kind == "external_paying"
    wish = services.submit_wish(f.person(), "Wanted")
    services.vote(wish, prospect)
    other = services.submit_wish(f.person(), "Paid for")
    services.vote(other, payer)
    assert _demand() == {"Wanted": 1, "Paid for": 3}


def test_configured_weights_replace_the_defaults(home, settings) -> None:
    payer, employee, stranger = f.person(organization=f.org(key="acme")), f.person(), f.person()
    team = f.team()
    f.request(payer, team, payment="cash", opened=date.today())
    f.request(employee, team, opened=date.today())
    wish = services.submit_wish(stranger, "Weighed")
    for voter in (payer, employee, stranger):
        services.vote(wish, voter)
    assert _demand() == {"Weighed": 3 + 2 + 1}
    settings.CLIENTMAP = {
        **settings.CLIENTMAP,
        "VOICE_WEIGHTS": {"external_paying": 10, "customer": 5, "other": 0},
    }
    assert _demand() == {"Weighed": 10 + 5 + 0}


def test_a_wish_nobody_voted_for_has_no_demand(home) -> None:
    from clientmap.voice import demand

    services.submit_wish(f.person(), "Lonely")
    voted = services.submit_wish(f.person(), "Voted")
    services.vote(voted, f.person())
    assert _demand() == {"Lonely": 0, "Voted": 1}
    # the reference computation (every vote), not only the stored figure
    reference = {w.title: w.demand for w in demand.with_demand(Wish.objects.all())}
    assert reference == {"Lonely": 0, "Voted": 1}


def test_who_is_behind_a_wish_counts_its_voters_by_kind(home) -> None:
    from clientmap.voice import demand

    payer, employee = f.person(organization=f.org(key="acme")), f.person()
    strangers = [f.person(), f.person()]
    team = f.team()
    f.request(payer, team, payment="cash", opened=date.today())
    f.request(employee, team, opened=date.today())
    # a prospect (a declined request) has a relation but is nobody's customer: counted as none
    prospect = f.person()
    f.request(prospect, team, status=Request.Status.DECLINED, opened=date.today())
    strangers.append(prospect)
    wish = services.submit_wish(f.person(), "Behind")
    for voter in (payer, employee, *strangers):
        services.vote(wish, voter)
    derived.ensure_current()
    kind = CustomerRelation.objects.get(person=employee, team=team).kind
    assert demand.weights(wish) == {"external_paying": 1, kind: 1, "none": 3}
    assert demand.weights(services.submit_wish(f.person(), "Nobody")) == {}


def test_configured_group_weights_replace_the_defaults(settings) -> None:
    from clientmap.voice import demand

    assert demand.group_weights() == demand.DEFAULT_GROUP_WEIGHTS
    # settings read from the environment or JSON carry strings: keys and values are numbers
    settings.CLIENTMAP = {**settings.CLIENTMAP, "VOICE_GROUP_WEIGHTS": {"1": "5", 4: 2}}
    assert demand.group_weights() == {1: 5, 2: 0, 3: 1, 4: 2}
