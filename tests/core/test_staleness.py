"""One staleness mechanism (clientmap/core/derived.py): a change of any input is seen by the next
read, through ``ensure_current`` — without relying on the writer's after-commit rebuild.

These tests run inside one rolled-back transaction, where ``on_commit`` never fires: only the
version row and the recorded scope written with the change can make the next read current.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction

from clientmap.core import derived
from clientmap.core.models import DerivedState, StaleScope
from clientmap.customers import selectors
from clientmap.customers.models import Kind
from clientmap.directory.models import TeamMembership
from clientmap.engagements.models import Involvement, Request
from clientmap.valuechain import graph as vc_graph
from clientmap.valuechain import selectors as vc
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = date.today()


def customers(team) -> dict[str, str]:
    """The next read: person key → kind, for the team's customers."""
    return {r.person.key: r.kind for r in selectors.team_customers(team)}


@pytest.fixture
def team(home):
    return f.team(key="apps")


def test_request_status_change_is_seen_by_the_next_read(team):
    p = f.person(key="p")
    r = f.request(p, team, status="submitted", opened=TODAY)
    assert customers(team) == {}
    r.status = Request.Status.ACCEPTED
    r.save()
    assert customers(team) == {"p": Kind.INTERNAL}
    r.delete()
    assert customers(team) == {}


def test_involvement_is_seen_by_the_next_read(team):
    p = f.person(key="p")
    v = f.involvement(p, team, "decides", date=TODAY)
    assert customers(team) == {"p": Kind.INTERNAL}
    v.role = Involvement.Role.SPECIFIES
    v.save()
    assert [r.basis for r in selectors.team_customers(team)] == ["S"]
    v.delete()
    assert customers(team) == {}


def test_membership_is_seen_by_the_next_read(team):
    p = f.person(key="p")
    f.request(p, team, opened=TODAY)
    assert customers(team) == {"p": Kind.INTERNAL}
    m = TeamMembership.objects.create(team=team, person=p)
    assert customers(team) == {}  # a team is not its own customer
    m.delete()
    assert customers(team) == {"p": Kind.INTERNAL}


def test_organization_payment_kind_is_seen_for_every_person_of_it(team):
    """C2: one person's paid request makes the whole organization paying — so a change to it
    must rebuild the relations of the organization's other people, not only the requester's."""
    acme = f.org(key="acme")
    payer, colleague = f.person(acme, key="payer"), f.person(acme, key="colleague")
    r = f.request(payer, team, opened=TODAY)
    f.request(colleague, team, opened=TODAY)
    assert customers(team) == {
        "payer": Kind.EXTERNAL_NONPAYING,
        "colleague": Kind.EXTERNAL_NONPAYING,
    }
    r.payment = Request.Payment.CASH
    r.save()
    assert customers(team) == {"payer": Kind.EXTERNAL_PAYING, "colleague": Kind.EXTERNAL_PAYING}
    r.payment = Request.Payment.CHARGEBACK
    r.save()
    assert set(customers(team).values()) == {Kind.EXTERNAL_NONPAYING}


def test_moving_a_person_to_another_organization_is_seen(home, team):
    acme = f.org(key="acme")
    p = f.person(acme, key="p")
    f.request(p, team, opened=TODAY)
    assert customers(team) == {"p": Kind.EXTERNAL_NONPAYING}
    p.organization = home
    p.save()
    assert customers(team) == {"p": Kind.INTERNAL}


@pytest.mark.parametrize("in_this_process", [True, False])
def test_consumes_edge_is_seen_by_the_next_read(home, monkeypatch, in_this_process):
    """V1: a new consumes edge makes a team reach a paying customer. Without this process's
    cache drop (``in_this_process`` false: the write came from another process), the version
    written with the edge still makes the next read rebuild the graph."""
    acme = f.org(key="acme")
    storage, app = f.team(key="storage"), f.team(key="app")
    disk = f.service(storage, key="disk")
    crm = f.service(app, key="crm")
    f.request(f.person(acme), app, payment="cash", opened=TODAY)
    assert vc.reach(storage)["reaches_paying_customer"] is False
    if not in_this_process:
        monkeypatch.setattr(vc_graph, "invalidate", lambda *a, **k: None)
    edge = f.consumes(crm, disk)
    assert vc.reach(storage)["reaches_paying_customer"] is True
    edge.delete()
    assert vc.reach(storage)["reaches_paying_customer"] is False


def test_paying_relations_reach_the_value_chain_on_the_next_read(home):
    acme = f.org(key="acme")
    app = f.team(key="app")
    f.service(app, key="crm")
    r = f.request(f.person(acme), app, payment="free", opened=TODAY)
    assert vc.reach(app)["reaches_paying_customer"] is False
    r.payment = Request.Payment.TRADE
    r.save()
    assert vc.reach(app)["reaches_paying_customer"] is True


def test_a_write_records_its_scope_and_a_read_consumes_it(team):
    derived.ensure_current()
    assert not StaleScope.objects.filter(name="customer_relations").exists()
    p = f.person(key="p")
    f.request(p, team, opened=TODAY)
    scope = StaleScope.objects.filter(name="customer_relations")
    assert list(scope.values_list("person_id", flat=True)) == [p.pk]
    state = DerivedState.objects.get(name="customer_relations")
    assert state.version != state.built
    derived.ensure_current()
    assert not scope.exists()
    state.refresh_from_db()
    assert state.is_current


def test_a_rolled_back_write_leaves_nothing_stale(team):
    derived.ensure_current()
    before = DerivedState.objects.get(name="customer_relations").version
    with pytest.raises(RuntimeError), transaction.atomic():
        f.request(f.person(), team, opened=TODAY)
        raise RuntimeError
    assert DerivedState.objects.get(name="customer_relations").version == before
    assert not StaleScope.objects.exists()


def test_deferred_marks_once(team):
    derived.ensure_current()
    with derived.deferred():
        for _ in range(3):
            f.request(f.person(), team, opened=TODAY)
        assert not StaleScope.objects.exists()
    assert StaleScope.objects.filter(name="customer_relations").count() == 3
    derived.ensure_current()
    assert len(customers(team)) == 3


def test_nothing_stale_costs_one_query(team, django_assert_num_queries):
    derived.ensure_current()
    with django_assert_num_queries(1):
        derived.ensure_current()


def test_a_new_day_rebuilds_everything(team, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    p = f.person(key="p")
    f.request(p, team, opened=TODAY)
    assert selectors.team_customers(team).get().active
    later = TODAY + timedelta(days=400)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: later)
    assert not selectors.team_customers(team).get().active


@pytest.mark.django_db(transaction=True)
def test_after_commit_the_writer_rebuilds_at_once(home):
    """The writer's own process rebuilds after the commit: the derived table itself (read
    without ``ensure_current``) is current."""
    from clientmap.customers.models import CustomerRelation

    team = f.team()
    with transaction.atomic():
        p = f.person()
        f.request(p, team, opened=TODAY)
        assert not CustomerRelation.objects.filter(person=p).exists()
    assert CustomerRelation.objects.filter(person=p, is_customer=True).exists()
    assert DerivedState.objects.get(name="customer_relations").is_current
