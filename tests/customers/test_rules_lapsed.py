"""C2 for a lapsed relation: it keeps the kind it had when it was last active — paying when the
organization paid the team within the window before the relation's last evidence (a customer of
1998 who paid cash stays a lapsed *paying* customer, not "external non-paying"); a payment older
than that, or a request that paid nothing, does not make it paying.

Also: a scope of more people than a scoped rebuild is worth is rebuilt in full, with the same
relations (customers/rules.py ``_MAX_SCOPE_IDS``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from clientmap.core import derived
from clientmap.customers import rules
from clientmap.customers.models import CustomerRelation, Kind
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)
LONG_AGO = TODAY - timedelta(days=3000)  # far outside the 365-day window


def kind_of(team, person) -> str:
    rules.recompute(as_of=TODAY)
    rel = CustomerRelation.objects.get(team=team, person=person)
    assert rel.active is False  # every relation of these tests has lapsed
    return rel.kind


@pytest.fixture
def t(home):
    return f.team(key="apps", name="Application team")


def test_a_lapsed_customer_who_paid_cash_stays_external_paying(t):
    p = f.person(organization=f.org())
    f.request(p, t, payment="cash", opened=LONG_AGO)
    assert kind_of(t, p) == Kind.EXTERNAL_PAYING


def test_a_lapsed_colleague_of_a_payer_in_the_same_window_is_external_paying(t):
    acme = f.org()
    buyer, user = f.person(organization=acme), f.person(organization=acme)
    f.request(buyer, t, payment="trade", opened=LONG_AGO)
    f.request(user, t, payment="free", opened=LONG_AGO + timedelta(days=200))
    assert kind_of(t, user) == Kind.EXTERNAL_PAYING


def test_a_lapsed_customer_whose_organization_paid_only_long_before_is_nonpaying(t):
    acme = f.org()
    buyer, user = f.person(organization=acme), f.person(organization=acme)
    f.request(buyer, t, payment="cash", opened=LONG_AGO - timedelta(days=400))
    f.request(user, t, payment="free", opened=LONG_AGO)
    assert kind_of(t, user) == Kind.EXTERNAL_NONPAYING


def test_a_lapsed_customer_who_never_paid_is_external_nonpaying(t):
    p = f.person(organization=f.org())
    f.request(p, t, payment="free", opened=LONG_AGO)
    assert kind_of(t, p) == Kind.EXTERNAL_NONPAYING


def test_a_lapsed_home_customer_who_paid_cash_stays_internal(t):
    p = f.person()
    f.request(p, t, payment="cash", opened=LONG_AGO)
    assert kind_of(t, p) == Kind.INTERNAL


def test_an_active_relation_is_paying_only_for_a_payment_inside_the_window(t):
    acme = f.org()
    buyer, user = f.person(organization=acme), f.person(organization=acme)
    f.request(buyer, t, payment="cash", opened=TODAY - timedelta(days=400))
    f.request(user, t, payment="free", opened=TODAY - timedelta(days=100))
    rules.recompute(as_of=TODAY)
    rel = CustomerRelation.objects.get(team=t, person=user)
    # The payment is inside the window before the user's last evidence, but the relation is
    # active: only a payment inside the window before today counts.
    assert rel.active and rel.kind == Kind.EXTERNAL_NONPAYING


def test_a_scope_too_large_for_a_scoped_rebuild_is_rebuilt_in_full(t, monkeypatch):
    people = [f.person(organization=f.org()) for _ in range(3)]
    for p in people:
        f.request(p, t, payment="cash", opened=TODAY)
    rules.recompute(as_of=TODAY)
    full = sorted(CustomerRelation.objects.values_list("person_id", "kind", "active"))
    CustomerRelation.objects.all().delete()
    monkeypatch.setattr(rules, "_MAX_SCOPE_IDS", 2)
    scope = rules.Scope(person_ids=frozenset(p.pk for p in people))
    assert rules.recompute(scope, as_of=TODAY) == 3
    assert sorted(CustomerRelation.objects.values_list("person_id", "kind", "active")) == full
    # A full rebuild records what it was built for (the day and the window): nothing is stale.
    version, built, built_for = derived.versions()[rules.TABLE]
    assert built == version and built_for == f"{TODAY.isoformat()}/365"


# --- a full rebuild writes only the difference, and the difference is right -------------------


def test_a_full_rebuild_drops_a_relation_whose_evidence_is_gone(t):
    p = f.person()
    r = f.request(p, t, opened=TODAY)
    rules.recompute(as_of=TODAY)
    assert CustomerRelation.objects.count() == 1
    # Deleted behind the signals' back (as a raw bulk delete would): the next full rebuild
    # drops the relation it no longer finds.
    from clientmap.engagements.models import Request

    Request.objects.filter(pk=r.pk)._raw_delete(Request.objects.db)
    rules.recompute(as_of=TODAY)
    assert not CustomerRelation.objects.exists()


def test_a_full_rebuild_turns_a_prospect_into_a_customer_in_place(t):
    p = f.person()
    r = f.request(p, t, status="submitted", opened=TODAY)
    rules.recompute(as_of=TODAY)
    before = CustomerRelation.objects.get(team=t, person=p)
    assert not before.is_customer
    from clientmap.engagements.models import Request

    Request.objects.filter(pk=r.pk).update(status="accepted")  # no signal: the rebuild finds it
    rules.recompute(as_of=TODAY)
    after = CustomerRelation.objects.get(team=t, person=p)
    assert after.pk == before.pk  # updated, not deleted and inserted again
    assert after.is_customer and after.basis == "R" and after.prospect_request_count == 0


def test_an_empty_scope_rebuilds_nothing(t):
    f.request(f.person(), t, opened=TODAY)
    assert rules.recompute(rules.Scope(), as_of=TODAY) == 0
    assert not CustomerRelation.objects.exists()
