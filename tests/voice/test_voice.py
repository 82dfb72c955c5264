"""W1: one vote per person, merges, triage with notifications, coverage, attestation."""

from __future__ import annotations

import random
import threading

import pytest
from django.core import mail
from django.db import connection

from clientmap.catalog.models import Service
from clientmap.voice import selectors, services
from clientmap.voice.models import Attestation, Notification, StatusChange, Vote, Wish
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(home):
    return [f.person(email=f"p{i}@example.org") for i in range(6)]


def test_one_vote_per_person_and_exact_counts(people) -> None:
    wish = services.submit_wish(people[0], "Dark mode")
    assert services.vote(wish, people[1]) is True
    assert services.vote(wish, people[1]) is False  # the unique constraint says no
    services.vote(wish, people[2])
    wish.refresh_from_db()
    assert wish.vote_count == 2
    assert services.unvote(wish, people[1]) is True
    assert services.unvote(wish, people[1]) is False
    wish.refresh_from_db()
    assert wish.vote_count == 1 == Vote.objects.filter(wish=wish).count()


def test_concurrent_votes_are_never_lost_or_doubled(home) -> None:
    voters = [f.person() for _ in range(50)]
    wishes = [services.submit_wish(voters[0], f"Wish {i}") for i in range(10)]
    rnd = random.Random(7)
    plan = [(rnd.choice(wishes), rnd.choice(voters)) for _ in range(240)]
    chunks = [plan[i::8] for i in range(8)]
    errors: list[BaseException] = []

    def worker(chunk) -> None:
        try:
            for wish, person in chunk:
                services.vote(wish, person)
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    expected = {w.pk: len({p.pk for ww, p in plan if ww.pk == w.pk}) for w in wishes}
    for wish in Wish.objects.all():
        assert wish.vote_count == expected[wish.pk] == Vote.objects.filter(wish=wish).count()


def test_merge_moves_votes_and_counts_a_double_voter_once(people) -> None:
    a = services.submit_wish(people[0], "Export to Excel")
    b = services.submit_wish(people[1], "Excel export please")
    services.vote(a, people[2])
    services.vote(a, people[3])
    services.vote(b, people[3])  # voted on both
    services.vote(b, people[4])
    services.comment(b, people[4], "Needed for month end")
    survivor = services.merge(b, a)
    assert survivor.vote_count == 3
    assert set(Vote.objects.filter(wish=a).values_list("person", flat=True)) == {
        people[2].pk,
        people[3].pk,
        people[4].pk,
    }
    b.refresh_from_db()
    assert b.merged_into == a and b.vote_count == 0
    assert a.comments.count() == 1
    assert list(selectors.visible_wishes(f.user(staff=True))) == [a]
    with pytest.raises(ValueError):
        services.merge(a, a)


def test_status_changes_are_recorded_and_followers_told(people) -> None:
    wish = services.submit_wish(people[0], "Single sign-on")
    services.follow(wish, people[1])
    staff = f.user(staff=True)
    services.change_status(wish, Wish.Status.PLANNED, by=staff)
    change = StatusChange.objects.get(wish=wish)
    assert (change.old, change.new, change.by) == ("new", "planned", staff)
    assert Notification.objects.filter(wish=wish).count() == 2  # author and follower
    assert len(mail.outbox) == 2
    assert "planned" in mail.outbox[0].body


def test_delivery_asks_for_attestation_once_per_person(people) -> None:
    wish = services.submit_wish(people[0], "Mobile receipts")
    services.vote(wish, people[1])
    services.vote(wish, people[2])
    services.change_status(wish, Wish.Status.DELIVERED)
    asked = Attestation.objects.filter(wish=wish)
    assert asked.count() == 3
    token = asked.get(person=people[1]).link_token()
    assert services.attest(token, True, "Saves me an hour a week") is not None
    assert services.attest(token, False) is None  # the link works once
    services.attest(asked.get(person=people[2]).link_token(), False)
    figures = selectors.attestation()
    assert (figures["asked"], figures["answered"], figures["helped"]) == (3, 2, 1)
    assert figures["attestation_rate"] == 0.5
    services.change_status(wish, Wish.Status.IN_PROGRESS)
    services.change_status(wish, Wish.Status.DELIVERED)
    assert Attestation.objects.filter(wish=wish).count() == 3  # never asked twice


def test_coverage_with_known_answers(home, people) -> None:
    outsider = f.person(organization=f.org(key="acme"))
    live = Service.objects.create(key="s-live", name="Live", status="live")
    planned = Service.objects.create(key="s-plan", name="Planned", status="planned")
    w1 = services.submit_wish(people[0], "Covered by a live service")
    w1.covered_by.add(live)
    w2 = services.submit_wish(people[0], "Only planned")
    w2.covered_by.add(planned)
    w3 = services.submit_wish(outsider, "Marked covered")
    services.change_status(w3, Wish.Status.ALREADY_COVERED)
    services.submit_wish(outsider, "Nothing covers it")
    for p in people[:3]:
        services.vote(w1, p)
    services.vote(w2, people[0])
    cov = selectors.coverage()
    assert cov["all"]["wishes"] == 4 and cov["all"]["covered_wishes"] == 2
    assert cov["all"]["wish_share"] == 0.5
    assert cov["all"]["votes"] == 4 and cov["all"]["covered_votes"] == 3
    assert cov["internal"]["wishes"] == 2 and cov["internal"]["covered_wishes"] == 1
    assert cov["external"]["wish_share"] == 0.5


def test_external_people_never_see_another_organizations_private_wishes(home) -> None:
    acme, globex = f.org(key="acme"), f.org(key="globex")
    a, g = f.person(organization=acme), f.person(organization=globex)
    public = services.submit_wish(a, "Public")
    private = services.submit_wish(a, "Acme only", visibility=Wish.Visibility.ORGANIZATION)
    assert set(selectors.visible_wishes(f.user(person=a))) == {public, private}
    assert set(selectors.visible_wishes(f.user(person=g))) == {public}


@pytest.mark.parametrize(
    ("existing", "typed"),
    [
        ("Export expense reports to Excel", "excel export of expense report"),
        ("Exportar informes de gastos a Excel", "exportación de informes de gastos"),
        ("Exportar relatórios de despesas para Excel", "relatorio de despesas exportar"),
        ("Экспорт отчётов о расходах в Excel", "экспорт отчета о расходах"),
    ],
)
def test_similar_wishes_in_four_languages(home, existing, typed) -> None:
    author = f.person()
    target = services.submit_wish(author, existing)
    services.submit_wish(author, "Dark mode for the mobile app")
    services.submit_wish(author, "Single sign-on with the identity provider")
    found = selectors.similar(typed, Wish.objects.all())
    assert found and found[0] == target


def test_demand_is_weighted_by_who_votes(home) -> None:
    from datetime import date

    acme = f.org(key="acme")
    payer, employee, stranger = f.person(organization=acme), f.person(), f.person()
    team = f.team()
    f.request(payer, team, payment="cash", opened=date.today())  # external paying customer
    f.request(employee, team, opened=date.today())  # internal customer
    loud = services.submit_wish(stranger, "Many strangers")
    for _ in range(4):
        services.vote(loud, f.person())
    valued = services.submit_wish(stranger, "The paying customer's")
    services.vote(valued, payer)
    services.vote(valued, employee)
    ranked = list(selectors.with_demand(Wish.objects.all()).order_by("-demand"))
    demand = {w.title: w.demand for w in ranked}
    assert demand == {"Many strangers": 4, "The paying customer's": 5}
    assert ranked[0] == valued  # fewer votes, more weight


def test_filter_by_weighted_demand(client, home) -> None:
    from datetime import date

    payer = f.person(organization=f.org(key="acme"))
    f.request(payer, f.team(), payment="cash", opened=date.today())
    heavy = services.submit_wish(payer, "Heavy")
    services.vote(heavy, payer)
    light = services.submit_wish(payer, "Light")
    services.vote(light, f.person())
    client.force_login(f.user(staff=True))
    page = client.get("/voice/?min_demand=2")
    titles = [w.title for w in page.context["page"]]
    assert titles == ["Heavy"]
