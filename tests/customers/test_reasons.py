"""Why a person is nobody's customer: each public reason appears exactly when its case holds."""

from __future__ import annotations

from datetime import date

import pytest

from clientmap.customers import selectors
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = date.today()
PROSPECT = "Prospect only"
MANAGER = "Manager of a customer"
NOTHING = "No request agreed by any team"


def reasons(person) -> list[str]:
    return selectors.customer_of(person).reasons


def kinds(person) -> set[str]:
    found = set()
    for r in reasons(person):
        for label in (PROSPECT, MANAGER, NOTHING):
            if r.startswith(label):
                found.add(label)
    return found


@pytest.fixture
def team(home):
    return f.team(key="apps", name="Application team")


def test_a_customer_has_no_reason(team):
    p = f.person()
    f.request(p, team, opened=TODAY)
    assert reasons(p) == []


def test_a_prospect_is_told_which_teams_declined(team):
    p = f.person()
    f.request(p, team, status="declined", opened=TODAY)
    assert kinds(p) == {PROSPECT}
    assert "Application team" in reasons(p)[0]


def test_a_manager_of_a_customer_is_told_the_chain_stops(team):
    boss = f.person(name="Bea Boss")
    grand = f.person(name="Gus Grand")
    boss.manager = grand
    boss.save()
    worker = f.person(name="Wes Worker", manager=boss)
    f.request(worker, team, opened=TODAY)
    assert kinds(boss) == {MANAGER, NOTHING}
    assert "Wes Worker" in reasons(boss)[0]
    assert kinds(grand) == {MANAGER, NOTHING}  # the chain is followed upwards, not one step


def test_a_manager_of_a_prospect_only_is_not_called_a_manager_of_a_customer(team):
    boss = f.person()
    worker = f.person(manager=boss)
    f.request(worker, team, status="declined", opened=TODAY)
    assert kinds(boss) == {NOTHING}


def test_nobody_gets_the_plain_reason(team):
    assert kinds(f.person()) == {NOTHING}
