"""Known answers for CSAT, mean score, trend, response rate, promises kept and median delay."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from clientmap.customers import rules as customer_rules
from clientmap.engagements.models import Request
from clientmap.experience import derive, selectors
from clientmap.experience.models import Survey, Touchpoint
from clientmap.experience.selectors import OrgExperience, organization_experience
from tests import factories as f

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


def answer(person, team, score, days_ago, **kw):
    return Touchpoint.objects.create(
        key=kw.pop("key", None) or f"a-{Touchpoint.objects.count() + 1}",
        person=person,
        team=team,
        kind=Touchpoint.Kind.SURVEY,
        score=score,
        day=AS_OF - timedelta(days=days_ago),
        **kw,
    )


def promise(person, team, *, target_ago, closed_ago=None, status="fulfilled"):
    return f.request(
        person,
        team,
        status=status,
        opened=AS_OF - timedelta(days=400),
        accepted=AS_OF - timedelta(days=399),
        target=AS_OF - timedelta(days=target_ago),
        closed=None if closed_ago is None else AS_OF - timedelta(days=closed_ago),
    )


@pytest.fixture
def world(home):
    acme = f.org(key="acme", name="Acme")
    team = f.team(key="t1")
    other = f.team(key="t2")
    ann = f.person(acme, key="ann")
    bob = f.person(acme, key="bob")
    cat = f.person(home, key="cat")
    return {"acme": acme, "team": team, "other": other, "ann": ann, "bob": bob, "cat": cat}


def test_csat_mean_and_trend_known_answer(world) -> None:
    ann, bob, cat, team = world["ann"], world["bob"], world["cat"], world["team"]
    # Acme: recent 90 days: 5, 4, 2 (2/3 good); the 90 days before: 1, 5 (1/2 good);
    # older but inside the year: 3. Outside the window: 5 (ignored). Not a survey: ignored.
    for score, ago in ((5, 1), (4, 30), (2, 89), (1, 91), (5, 179), (3, 300), (5, 366)):
        answer(ann if ago % 2 else bob, team, score, ago)
    Touchpoint.objects.create(
        key="meet", person=ann, team=team, kind="meeting", score=None, day=AS_OF
    )
    answer(cat, team, 1, 5)  # another organization
    out = organization_experience(as_of=AS_OF)
    acme = out[world["acme"].pk]
    assert acme.answers == 6
    assert acme.csat == pytest.approx(3 / 6)
    assert acme.mean_score == pytest.approx((5 + 4 + 2 + 1 + 5 + 3) / 6)
    assert acme.csat_trend == pytest.approx(2 / 3 - 1 / 2)
    assert out[cat.organization_id].answers == 1
    assert out[cat.organization_id].csat == 0
    assert out[cat.organization_id].csat_trend is None  # nothing in the 90 days before


def test_promises_kept_and_median_delay_known_answer(world) -> None:
    ann, team = world["ann"], world["team"]
    promise(ann, team, target_ago=10, closed_ago=12)  # kept (early)
    promise(ann, team, target_ago=10, closed_ago=10)  # kept (on the day)
    promise(ann, team, target_ago=20, closed_ago=17)  # 3 days late
    promise(ann, team, target_ago=40, closed_ago=30)  # 10 days late
    promise(ann, team, target_ago=8, status="in_progress")  # overdue, 8 days so far
    promise(ann, team, target_ago=-5, status="accepted")  # not due yet
    promise(ann, team, target_ago=3, status="declined")  # no promise
    promise(ann, team, target_ago=3, status="submitted")  # never agreed: no promise
    promise(ann, team, target_ago=500, closed_ago=400)  # fulfilled before the window
    f.request(ann, team, status="fulfilled", closed=AS_OF, target=None)  # no target
    derive.derive()
    e = organization_experience(as_of=AS_OF)[world["acme"].pk]
    assert e.promises_due == 5
    assert e.promises_kept == pytest.approx(2 / 5)
    assert e.median_delay_days == 8  # of 3, 8, 10
    assert e.answers == 0 and e.csat is None and e.mean_score is None


def test_median_delay_of_an_even_count_and_none_when_all_kept(world) -> None:
    ann, bob, team = world["ann"], world["bob"], world["team"]
    promise(ann, team, target_ago=20, closed_ago=18)  # 2 late
    promise(ann, team, target_ago=20, closed_ago=15)  # 5 late
    derive.derive()
    assert organization_experience(as_of=AS_OF)[world["acme"].pk].median_delay_days == 3.5
    f.home_org()
    solo = f.org(key="solo")
    sam = f.person(solo)
    promise(sam, team, target_ago=5, closed_ago=6)
    derive.derive()
    e = organization_experience(as_of=AS_OF)[solo.pk]
    assert (e.promises_due, e.promises_kept, e.median_delay_days) == (1, 1.0, None)
    del bob


def test_org_filter_and_absent_organizations(world) -> None:
    answer(world["ann"], world["team"], 5, 1)
    answer(world["cat"], world["team"], 5, 1)
    out = organization_experience(org_ids=[world["acme"].pk], as_of=AS_OF)
    assert list(out) == [world["acme"].pk]
    assert isinstance(out[world["acme"].pk], OrgExperience)
    assert organization_experience(org_ids=[], as_of=AS_OF) == {}
    lonely = f.org()
    assert lonely.pk not in organization_experience(as_of=AS_OF)


def test_window_is_configurable(world) -> None:
    answer(world["ann"], world["team"], 5, 100)
    answer(world["ann"], world["team"], 1, 10)
    e = organization_experience(as_of=AS_OF, window_days=30)[world["acme"].pk]
    assert (e.answers, e.csat) == (1, 0)


def test_two_queries(world, django_assert_num_queries) -> None:
    answer(world["ann"], world["team"], 5, 1)
    promise(world["ann"], world["team"], target_ago=3, closed_ago=2)
    derive.derive()
    with django_assert_num_queries(2):
        organization_experience(as_of=AS_OF)


def test_response_rate_known_answer(world) -> None:
    ann, bob, team, other = world["ann"], world["bob"], world["team"], world["other"]
    now = timezone.now()

    def survey(person, t, days_ago, answered):
        sent = now - timedelta(days=days_ago)
        return Survey.objects.create(
            person=person,
            team=t,
            reason=Survey.Reason.SEGMENT,
            sent_at=sent,
            expires_at=sent + timedelta(days=30),
            answered_at=sent + timedelta(hours=1) if answered else None,
        )

    survey(ann, team, 1, True)
    survey(bob, team, 2, False)
    survey(ann, team, 3, False)
    survey(bob, team, 400, True)  # sent before the window
    survey(ann, other, 1, True)
    out = selectors.figures("team", as_of=timezone.localdate())
    assert out[team.pk].responses.sent == 3
    assert out[team.pk].responses.rate == pytest.approx(1 / 3)
    assert out[other.pk].responses.rate == 1


def test_figures_by_kind_use_the_relation_with_the_team(world) -> None:
    ann, cat, team = world["ann"], world["cat"], world["team"]
    f.request(ann, team, payment=Request.Payment.CASH, opened=AS_OF)
    customer_rules.recompute(as_of=AS_OF)
    answer(ann, team, 5, 1)
    answer(cat, team, 2, 1)
    bob = world["bob"]
    answer(bob, None, 4, 1)  # no team: Acme pays, so bob counts as external paying
    out = selectors.figures("kind", as_of=AS_OF)
    assert out["external_paying"].answers.answers == 2
    assert out["external_paying"].answers.csat == 1
    assert out["internal"].answers.csat == 0


def test_monthly_trend(world) -> None:
    ann, team = world["ann"], world["team"]
    answer(ann, team, 5, 0)  # 2026-06
    answer(ann, team, 1, 29)  # 2026-06-01
    answer(ann, team, 1, 31)  # 2026-05
    promise(ann, team, target_ago=40, closed_ago=35)  # due 2026-05-26, late
    derive.derive()
    out = selectors.figures("team", as_of=AS_OF, monthly=True)
    assert out[(team.pk, "2026-06")].answers.csat == 0.5
    assert out[(team.pk, "2026-05")].answers.csat == 0
    assert out[(team.pk, "2026-05")].promises.kept_share == 0


def test_cached_figures_follow_changes(world) -> None:
    t = answer(world["ann"], world["team"], 5, 1)
    assert selectors.figures("team", as_of=AS_OF)[world["team"].pk].answers.answers == 1
    answer(world["bob"], world["team"], 1, 1)
    assert selectors.figures("team", as_of=AS_OF)[world["team"].pk].answers.csat == 0.5
    t.delete()
    assert selectors.figures("team", as_of=AS_OF)[world["team"].pk].answers.csat == 0
