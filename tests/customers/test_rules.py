"""Every clause of C1 (who is a customer) and C2 (internal / external / paying)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.test import override_settings

from clientmap.customers import rules, selectors
from clientmap.customers.models import CustomerRelation, Kind
from clientmap.engagements.models import Involvement, Request
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)


def relation(team, person) -> CustomerRelation | None:
    rules.recompute(as_of=TODAY)
    return CustomerRelation.objects.filter(team=team, person=person).first()


@pytest.fixture
def t(home):
    return f.team(key="apps", name="Application team")


# --- C1 R: a request counts only when the team agreed to fulfil it -------------------------


@pytest.mark.parametrize("status", ["accepted", "in_progress", "fulfilled"])
def test_agreed_request_makes_a_customer(t, status):
    p = f.person()
    f.request(p, t, status=status, opened=TODAY)
    rel = relation(t, p)
    assert rel.is_customer and rel.basis == "R" and rel.request_count == 1


@pytest.mark.parametrize("status", ["submitted", "declined", "withdrawn"])
def test_declined_or_never_accepted_request_makes_a_prospect(t, status):
    p = f.person()
    f.request(p, t, status=status, opened=TODAY)
    rel = relation(t, p)
    assert rel is not None and not rel.is_customer
    assert rel.basis == "" and rel.prospect_request_count == 1
    assert selectors.customer_of(p).is_customer is False


def test_prospect_becomes_customer_once_another_request_is_agreed(t):
    p = f.person()
    f.request(p, t, status="declined", opened=TODAY - timedelta(days=10))
    f.request(p, t, status="accepted", opened=TODAY)
    rel = relation(t, p)
    assert rel.is_customer and rel.request_count == 1 and rel.prospect_request_count == 1


def test_paid_or_free_both_count_for_r(t):
    free, paid = f.person(), f.person()
    f.request(free, t, payment="free", opened=TODAY)
    f.request(paid, t, payment="chargeback", opened=TODAY)
    assert relation(t, free).is_customer and relation(t, paid).is_customer


# --- C1 D / S / I: involvement roles ---------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "letter"), [("decides", "D"), ("specifies", "S"), ("implements", "I")]
)
def test_each_involvement_role_makes_a_customer(t, role, letter):
    p = f.person()
    f.involvement(p, t, role, date=TODAY)
    rel = relation(t, p)
    assert rel.is_customer and rel.basis == letter and rel.involvement_count == 1


def test_bases_accumulate(t):
    p = f.person()
    f.request(p, t, opened=TODAY)
    f.involvement(p, t, "decides", date=TODAY)
    f.involvement(p, t, "implements", date=TODAY)
    assert relation(t, p).basis == "RDI"


# --- what does not make a customer -----------------------------------------------------------


def test_manager_chain_stops_where_involvement_stops(t):
    cio = f.person(name="CIO")
    director = f.person(name="Director", manager=cio)
    boss = f.person(name="Boss", manager=director)
    user = f.person(name="Applications director", manager=boss)
    f.request(user, t, opened=TODAY)
    f.involvement(cio, t, "decides", date=TODAY)  # the CIO signs: involved herself
    rules.recompute(as_of=TODAY)
    assert relation(t, user).is_customer
    assert relation(t, cio).basis == "D"
    assert relation(t, boss) is None and relation(t, director) is None
    answer = selectors.customer_of(boss)
    assert not answer.is_customer
    assert any("Manager of a customer" in reason for reason in answer.reasons)


def test_end_user_without_request_or_involvement_is_nobodys_customer(t):
    end_user = f.person()
    colleague = f.person()
    f.request(colleague, t, opened=TODAY)
    assert relation(t, end_user) is None
    answer = selectors.customer_of(end_user)
    assert not answer.is_customer and not answer.prospects
    assert any("No request agreed" in reason for reason in answer.reasons)


def test_relying_on_a_teams_service_does_not_make_a_customer(t):
    """Consumption edges (relying on a service) never create customer relations by themselves."""
    svc = f.service(team=t)
    consumer_unit = f.unit()
    f.consumes(consumer_unit, svc)
    f.person(unit=consumer_unit)
    rules.recompute(as_of=TODAY)
    assert not CustomerRelation.objects.exists()


def test_core_product_team_customers_are_the_people_who_specify_its_work(home):
    core = f.team(key="core-dev", name="Core developers")
    sales = f.team(key="sales-eng")
    buyer_org = f.org()
    buyer = f.person(organization=buyer_org)
    f.request(buyer, sales, payment="cash", opened=TODAY)  # the buyer deals with sales, not core
    pm, lead, architect = f.person(), f.person(), f.person()
    for p in (pm, lead, architect):
        f.involvement(p, core, "specifies", date=TODAY)
    rules.recompute(as_of=TODAY)
    rels = CustomerRelation.objects.filter(team=core, is_customer=True)
    assert {r.person_id for r in rels} == {pm.id, lead.id, architect.id}
    assert {(r.kind, r.basis) for r in rels} == {(Kind.INTERNAL, "S")}


# --- C2: internal, external paying, external non-paying -------------------------------------


@pytest.mark.parametrize("payment", ["chargeback", "internal", "free"])
def test_chargeback_and_internal_budget_stay_internal(t, payment):
    p = f.person()  # home organization
    f.request(p, t, payment=payment, opened=TODAY)
    assert relation(t, p).kind == Kind.INTERNAL


def test_home_person_paying_cash_is_still_internal(t):
    p = f.person()
    f.request(p, t, payment="cash", opened=TODAY)
    assert relation(t, p).kind == Kind.INTERNAL


@pytest.mark.parametrize("payment", ["cash", "trade"])
def test_cash_or_trade_from_another_organization_is_external_paying(t, payment):
    acme = f.org()
    buyer = f.person(organization=acme)
    f.request(buyer, t, payment=payment, opened=TODAY)
    assert relation(t, buyer).kind == Kind.EXTERNAL_PAYING


def test_approver_and_end_users_of_a_paying_account_are_external_paying(t):
    acme = f.org()
    buyer, approver, end_user = (f.person(organization=acme) for _ in range(3))
    f.request(buyer, t, payment="cash", opened=TODAY)
    f.involvement(approver, t, "decides", date=TODAY)
    f.request(end_user, t, payment="free", opened=TODAY)
    rules.recompute(as_of=TODAY)
    assert relation(t, approver).kind == Kind.EXTERNAL_PAYING
    assert relation(t, end_user).kind == Kind.EXTERNAL_PAYING


def test_paying_is_per_team(t):
    acme = f.org()
    other_team = f.team()
    buyer = f.person(organization=acme)
    f.request(buyer, t, payment="cash", opened=TODAY)
    f.request(buyer, other_team, payment="free", opened=TODAY)
    assert relation(t, buyer).kind == Kind.EXTERNAL_PAYING
    assert relation(other_team, buyer).kind == Kind.EXTERNAL_NONPAYING


@pytest.mark.parametrize("payment", ["free", "chargeback", "internal"])
def test_another_organization_without_payment_is_external_nonpaying(t, payment):
    partner = f.org()
    p = f.person(organization=partner)
    f.request(p, t, payment=payment, opened=TODAY)
    assert relation(t, p).kind == Kind.EXTERNAL_NONPAYING


def test_declined_cash_request_does_not_make_an_organization_paying(t):
    acme = f.org()
    buyer, user = f.person(organization=acme), f.person(organization=acme)
    f.request(buyer, t, payment="cash", status="declined", opened=TODAY)
    f.request(user, t, payment="free", opened=TODAY)
    assert relation(t, user).kind == Kind.EXTERNAL_NONPAYING


def test_payment_outside_the_window_no_longer_makes_paying(t):
    acme = f.org()
    buyer, user = f.person(organization=acme), f.person(organization=acme)
    f.request(buyer, t, payment="cash", opened=TODAY - timedelta(days=500))
    f.request(user, t, payment="free", opened=TODAY)
    assert relation(t, user).kind == Kind.EXTERNAL_NONPAYING


# --- active and lapsed -----------------------------------------------------------------------


def test_relation_lapses_after_the_window(t):
    old, recent = f.person(), f.person()
    f.request(old, t, opened=TODAY - timedelta(days=366))
    f.involvement(recent, t, "implements", date=TODAY - timedelta(days=365))
    assert relation(t, old).active is False
    assert relation(t, recent).active is True


def test_request_evidence_date_is_its_latest_known_date(t):
    p = f.person()
    f.request(
        p,
        t,
        opened=TODAY - timedelta(days=700),
        accepted=TODAY - timedelta(days=600),
        closed=TODAY - timedelta(days=30),
    )
    rel = relation(t, p)
    assert rel.active and rel.last_evidence == TODAY - timedelta(days=30)


@override_settings(CLIENTMAP={"ACTIVE_WINDOW_DAYS": 30})
def test_window_is_configurable(t):
    p = f.person()
    f.request(p, t, opened=TODAY - timedelta(days=31))
    assert relation(t, p).active is False


def test_first_and_last_evidence_span_requests_and_involvements(t):
    p = f.person()
    f.request(p, t, opened=TODAY - timedelta(days=90))
    f.involvement(p, t, "specifies", date=TODAY - timedelta(days=10))
    f.request(p, t, status="declined", opened=TODAY)  # prospect evidence is not customer evidence
    rel = relation(t, p)
    assert rel.first_evidence == TODAY - timedelta(days=90)
    assert rel.last_evidence == TODAY - timedelta(days=10)


# --- explainable and kept current ------------------------------------------------------------


def test_every_relation_is_explained_by_its_evidence(t):
    p = f.person()
    r = f.request(p, t, key="REQ-1", opened=TODAY - timedelta(days=3))
    f.involvement(p, t, "decides", date=TODAY, source="contract")
    f.request(p, t, key="REQ-2", status="declined", opened=TODAY)
    items = selectors.evidence(t, p)
    assert [(i.kind, i.basis, i.counts) for i in items] == [
        ("request", "", False),
        ("involvement", "D", True),
        ("request", "R", True),
    ]
    assert {i.date for i in items if i.kind == "request" and i.counts} == {r.opened}


def test_one_person_can_be_member_of_one_team_and_customer_of_another(home):
    dba = f.person()
    database_team = f.team(members=[dba])
    storage = f.team()
    f.request(dba, storage, opened=date.today())
    rules.recompute()
    rel = CustomerRelation.objects.get(person=dba)
    assert rel.team == storage and rel.kind == Kind.INTERNAL
    assert not CustomerRelation.objects.filter(team=database_team).exists()


def test_a_team_is_not_its_own_customer(home):
    dev = f.person()
    team = f.team(members=[dev])
    f.involvement(dev, team, "implements", date=TODAY)
    f.request(dev, team, opened=TODAY)
    assert relation(team, dev) is None
    outsider = f.person()
    f.involvement(outsider, team, "implements", date=TODAY)
    assert relation(team, outsider).basis == "I"


@pytest.mark.django_db(transaction=True)
def test_relations_follow_every_change_without_explicit_recompute(home):
    t = f.team()
    acme = f.org()
    p = f.person(organization=acme)
    r = f.request(p, t, status="submitted")
    assert not CustomerRelation.objects.get(person=p).is_customer
    r.status = Request.Status.ACCEPTED
    r.save()
    assert CustomerRelation.objects.get(person=p).kind == Kind.EXTERNAL_NONPAYING
    r.payment = Request.Payment.CASH
    r.save()
    assert CustomerRelation.objects.get(person=p).kind == Kind.EXTERNAL_PAYING
    p.organization = home
    p.save()
    assert CustomerRelation.objects.get(person=p).kind == Kind.INTERNAL
    r.delete()
    assert not CustomerRelation.objects.filter(person=p).exists()
    Involvement.objects.create(person=p, team=t, role="specifies", date=date.today())
    assert CustomerRelation.objects.get(person=p).basis == "S"


@pytest.mark.django_db(transaction=True)
def test_deferred_recompute_rebuilds_once_at_the_end(home):
    t = f.team()
    with transaction.atomic(), rules.deferred_recompute():
        people = [f.person() for _ in range(3)]
        for p in people:
            f.request(p, t)
        assert not CustomerRelation.objects.exists()
    assert CustomerRelation.objects.filter(team=t, is_customer=True).count() == 3


def test_scoped_recompute_matches_a_full_one(t):
    acme = f.org()
    people = [f.person(organization=acme) for _ in range(4)] + [f.person() for _ in range(3)]
    for i, p in enumerate(people):
        f.request(p, t, payment="cash" if i == 0 else "free", opened=TODAY)
    rules.recompute(as_of=TODAY)
    full = sorted(CustomerRelation.objects.values_list("person_id", "kind", "basis_r"))
    CustomerRelation.objects.all().delete()
    rules.recompute(rules.EVERYONE, as_of=TODAY)
    rules.recompute(rules.scope_for_person(people[0].pk, acme.pk), as_of=TODAY)
    assert sorted(CustomerRelation.objects.values_list("person_id", "kind", "basis_r")) == full


def test_ensure_current_recomputes_on_a_new_day(t, monkeypatch):
    from django.utils import timezone

    from clientmap.core import derived

    p = f.person()
    f.request(p, t, opened=TODAY)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    derived.ensure_current()
    assert CustomerRelation.objects.get(person=p).active
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY + timedelta(days=400))
    derived.ensure_current()
    assert not CustomerRelation.objects.get(person=p).active
