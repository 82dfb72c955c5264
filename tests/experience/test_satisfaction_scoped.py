"""The stored satisfaction table rebuilds only the groups a change touches (experience.store):
after every kind of input change, on a random world, the next read rebuilds just those groups,
and what it stores equals a whole rebuild's table; the change shows in the figures at once."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from clientmap.catalog.models import Service
from clientmap.core import derived
from clientmap.customers import rules as customer_rules
from clientmap.directory.models import Person
from clientmap.engagements.models import Request
from clientmap.experience import derive, services, store, tokens
from clientmap.experience.models import SatisfactionChange, SatisfactionRow, Survey, Touchpoint
from tests import factories as f
from tests.experience.test_satisfaction_table import world

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
FIELDS = [f.name for f in SatisfactionRow._meta.fields if f.name != "id"]  # every stored column


def _table() -> list[tuple]:
    return sorted(
        (tuple(str(v) for v in row) for row in SatisfactionRow.objects.values_list(*FIELDS)),
    )


@pytest.fixture
def scoped(monkeypatch):
    """Counts the whole rebuilds ``ensure_current`` makes (a scoped one makes none)."""
    calls = []
    whole = store.rebuild

    def counting() -> int:
        calls.append(1)
        return whole()

    monkeypatch.setattr(store, "rebuild", counting)
    return calls


def _read(calls: list, *, whole: bool = False) -> list[tuple]:
    """The next read, then the check against a whole rebuild; returns the table read."""
    derived.ensure_current()  # the relations, after a request or a person changed
    before = len(calls)
    assert store.ensure_current() is True
    assert (len(calls) > before) is whole, "whole rebuild" if whole else "scoped"
    assert not SatisfactionChange.objects.exists()
    got = _table()
    assert got == _whole()
    return got


def _whole() -> list[tuple]:
    from django.db import transaction

    with transaction.atomic():
        made = []
        for by in store.SCOPED:
            made += store.rows(by)
        made += store._kind_rows(r for r in made if r.by == "team")
        SatisfactionRow.objects.all().delete()
        SatisfactionRow.objects.bulk_create(made)
    return _table()


def _row(by: str, group: str, kind: str = "") -> SatisfactionRow:
    return SatisfactionRow.objects.get(by=by, group=group, customer_kind=kind)


@pytest.mark.parametrize("seed", [3, 11])
def test_every_change_rebuilds_its_groups_only_and_equals_a_whole_rebuild(
    home, scoped, seed
) -> None:
    rnd = random.Random(seed)
    teams = world(25, seed=seed)
    people = list(Person.objects.exclude(organization=home).order_by("pk"))
    assert len(_table()) > 50

    # an answer, to a random team: that team's row has one answer more on the next read
    p, t = rnd.choice(people), rnd.choice(teams)
    n = _row("team", t.key).answers
    tp = Touchpoint.objects.create(person=p, team=t, kind="survey", score=5, day=TODAY)
    _read(scoped)
    assert _row("team", t.key).answers == n + 1
    assert _row("organization", p.organization.key).answers >= 1

    # the answer moved to another team and rescored; then an answer with no team or service
    other = next(x for x in teams if x != t)
    tp.team, tp.score = other, 1
    tp.save()
    _read(scoped)
    assert _row("team", t.key).answers == n
    Touchpoint.objects.create(person=p, kind="survey", score=2, day=TODAY - timedelta(days=3))
    _read(scoped)
    assert SatisfactionRow.objects.get(by="team", group="", customer_kind="").answers == 1

    # deleted
    tp.delete()
    _read(scoped)

    # a meeting is no figure: nothing to rebuild
    Touchpoint.objects.create(person=p, team=t, kind="meeting", day=TODAY)
    assert store.ensure_current() is False

    # a survey sent, then answered through its link (a conditional UPDATE, then the answer)
    q = rnd.choice(people)
    now = timezone.now()
    s = Survey.objects.create(
        person=q, team=t, reason="segment", sent_at=now, expires_at=now + timedelta(days=9)
    )
    _read(scoped)
    sent = _row("team", t.key).sent
    outcome, _ = services.answer(tokens.make(s.pk), "4")
    assert outcome == services.Outcome.RECORDED
    _read(scoped)
    assert _row("team", t.key).sent == sent
    assert _row("team", t.key).answered >= 1
    s.delete()
    _read(scoped)
    assert _row("team", t.key).sent == sent - 1

    # a request delivered late (its promise derived again for it alone, as after a save)
    r = Request.objects.filter(status=Request.Status.FULFILLED).order_by("pk").first()
    due = _row("team", r.team.key).due
    kept = _row("team", r.team.key).kept
    Request.objects.filter(pk=r.pk).update(target=r.closed - timedelta(days=40))
    derive.derive(request_ids=[r.pk])
    _read(scoped)
    assert _row("team", r.team.key).due == due
    assert _row("team", r.team.key).kept <= kept

    # a paying request: the requester's organization pays, its people's kinds change
    r.payment = Request.Payment.CASH
    r.save()
    derive.derive(request_ids=[r.pk])
    _read(scoped)

    # a person moves to another organization
    mover = rnd.choice(people)
    gone_from = mover.organization
    mover.organization = f.org(key=f"moved-{seed}", name="Moved")
    mover.save()
    _read(scoped)
    assert SatisfactionRow.objects.filter(by="organization", group=f"moved-{seed}").exists()
    assert gone_from.key  # (its row is whatever is left of it: compared with the whole above)

    # renamed: a team (its services' rows show its key), a service, an organization
    t.name, t.key = "Renamed team", f"renamed-{seed}"
    t.save()
    _read(scoped)
    assert _row("team", f"renamed-{seed}").name == "Renamed team"
    assert SatisfactionRow.objects.filter(by="service", team_key=f"renamed-{seed}").exists()
    sv = Service.objects.filter(team=other).first()
    sv.name = "Renamed service"
    sv.save()
    org = people[0].organization
    org.name = "Renamed org"
    org.save()
    _read(scoped)
    assert _row("organization", org.key).name == "Renamed org"

    # a whole rebuild of the relations (an import, a new day): everything
    customer_rules.recompute()
    _read(scoped, whole=True)
    # and an organization deleted
    lone = f.org(key=f"lone-{seed}")
    lone.delete()
    _read(scoped, whole=True)


def test_more_groups_than_worth_it_rebuild_whole(home, scoped, monkeypatch) -> None:
    teams = world(6)
    monkeypatch.setattr(store, "MAX_GROUPS", 2)
    p = Person.objects.exclude(organization=home).first()
    Touchpoint.objects.create(person=p, team=teams[1], kind="survey", score=3, day=TODAY)
    _read(scoped, whole=True)
