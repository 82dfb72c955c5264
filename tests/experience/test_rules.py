"""The X1 rules of ``clientmap.experience.rules`` on their own: the settings that tune surveys
(and their documented defaults), the median of the delays, the bounds of a day, and the customer
kind of an answer whose person has no relation with the team."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from clientmap.experience import rules, selectors
from clientmap.experience.models import Touchpoint
from tests import factories as f

AS_OF = date(2026, 6, 30)

SETTINGS = {
    "SURVEY_EXPIRY_DAYS": (rules.expiry_days, 30),
    "SURVEY_QUIET_DAYS": (rules.quiet_days, 30),
    "SURVEY_REMIND_AFTER_DAYS": (rules.remind_after_days, 7),
    "NEVER_ASKED_MONTHS": (rules.never_asked_months, 12),
    "ACTIVE_WINDOW_DAYS": (rules.window_days, 365),
}


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_each_setting_has_its_documented_default_and_can_be_changed(settings, name) -> None:
    read, default = SETTINGS[name]
    settings.CLIENTMAP = {k: v for k, v in settings.CLIENTMAP.items() if k != name}
    assert read() == default
    settings.CLIENTMAP = {**settings.CLIENTMAP, name: "45"}  # from the environment: a string
    assert read() == 45


@pytest.mark.parametrize(
    ("histogram", "expected"),
    [
        ({}, None),
        ({4: 1}, 4),
        ({3: 1, 8: 1, 10: 1}, 8),
        ({2: 1, 5: 1}, 3.5),
        ({1: 1, 2: 1, 3: 1, 10: 1}, 2.5),
        ({0: 2, 9: 1}, 0),  # a value counted twice is two delays
        ({1: 1, 6: 3}, 6),
        ({7: 4}, 7),
        ({5: 1, 1: 1}, 3),  # the order of the histogram does not matter
    ],
)
def test_median_of_the_delays(histogram, expected) -> None:
    assert rules.median(histogram) == expected


def test_a_day_runs_from_local_midnight_to_the_next() -> None:
    start, end = rules.day_bounds(AS_OF)
    assert timezone.is_aware(start)
    assert timezone.localtime(start).replace(tzinfo=None) == datetime(2026, 6, 30)
    assert end - start == timedelta(days=1)


@pytest.mark.django_db
def test_the_kind_of_an_answer_without_a_relation(home) -> None:
    """Internal for the home organization, external paying when the person's organization pays
    some team, else external non-paying."""
    team = f.team()
    payer, other = f.org(), f.org()
    f.request(f.person(payer), f.team(), payment="cash", opened=AS_OF)
    from clientmap.customers import rules as customer_rules

    customer_rules.recompute(as_of=AS_OF)
    for i, (person, score) in enumerate(
        [(f.person(home), 5), (f.person(payer), 4), (f.person(other), 1), (f.person(other), 2)]
    ):
        Touchpoint.objects.create(
            key=f"a-{i}",
            person=person,
            team=team,
            kind=Touchpoint.Kind.SURVEY,
            score=score,
            day=AS_OF,
        )
    out = selectors.figures("kind", as_of=AS_OF)
    assert {k: v.answers.answers for k, v in out.items()} == {
        "internal": 1,
        "external_paying": 1,
        "external_nonpaying": 2,
    }


@pytest.mark.django_db
def test_without_a_home_organization_nobody_is_internal() -> None:
    team = f.team()
    for i in range(3):
        Touchpoint.objects.create(
            key=f"a-{i}",
            person=f.person(f.org()),
            team=team,
            kind=Touchpoint.Kind.SURVEY,
            score=5,
            day=AS_OF,
        )
    out = selectors.figures("kind", as_of=AS_OF)
    assert {k: v.answers.answers for k, v in out.items()} == {"external_nonpaying": 3}
