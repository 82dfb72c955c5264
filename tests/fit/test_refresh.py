"""How the placements are brought current (``fit.rules.refresh``): a change of a few accounts
amends today's live run for just them (their snapshots replaced, the others' kept); anything
else is a new live run as of today — unless there is nothing to place and nothing placed before
(no run is made for an empty database)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from clientmap.core import derived
from clientmap.fit import rules
from clientmap.fit.models import Intent, Rating, Recompute, Snapshot
from tests import factories as f

pytestmark = pytest.mark.django_db

EVERYONE = derived.Changes(everyone=True)


def _people(*people) -> derived.Changes:
    return derived.Changes(person_ids=frozenset(p.pk for p in people))


def test_nothing_to_place_and_nothing_placed_makes_no_run(home, experience) -> None:
    rules.refresh(EVERYONE)
    assert not Recompute.objects.exists()


def test_the_first_account_makes_the_first_run(home, experience) -> None:
    org = f.org(key="acme")
    Intent.objects.create(organization=org, date=timezone.localdate(), wants="renew")
    rules.refresh(EVERYONE)
    run = Recompute.objects.get()
    assert run.live and run.as_of == timezone.localdate() and run.accounts == 1


def test_a_run_is_made_even_when_no_account_is_left(home, experience) -> None:
    """The accounts placed before are no accounts any more: a new run says so (none placed)."""
    org = f.org(key="acme")
    Intent.objects.create(organization=org, date=timezone.localdate(), wants="renew")
    rules.recompute()
    Intent.objects.all().delete()
    rules.refresh(EVERYONE)
    latest = Recompute.objects.order_by("-id").first()
    assert Recompute.objects.count() == 2 and latest.accounts == 0
    assert not Snapshot.objects.filter(recompute=latest).exists()


def test_a_change_of_one_account_amends_only_its_snapshot(home, experience) -> None:
    today = timezone.localdate()
    acme, other = f.org(key="acme"), f.org(key="other")
    rater = f.person(home)
    for org in (acme, other):
        Rating.objects.create(organization=org, rater=rater, score=4, date=today)
    rules.refresh(EVERYONE)  # today's live run
    run = Recompute.objects.get()
    kept = Snapshot.objects.get(recompute=run, organization=other).pk
    before = Snapshot.objects.get(recompute=run, organization=acme).pk
    Rating.objects.create(organization=acme, rater=f.person(home), score=2, date=today)
    rules.refresh(_people(f.person(acme)))  # someone of acme changed
    assert Recompute.objects.get().pk == run.pk  # amended, not a new run
    assert Snapshot.objects.get(recompute=run, organization=other).pk == kept
    amended = Snapshot.objects.get(recompute=run, organization=acme)
    assert amended.pk != before and amended.parts["friendliness"]["v"] == 3.0


def test_a_change_on_another_day_places_everyone_again(home, experience, monkeypatch) -> None:
    today = timezone.localdate()
    acme = f.org(key="acme")
    Rating.objects.create(organization=acme, rater=f.person(home), score=4, date=today)
    rules.refresh(EVERYONE)
    tomorrow = today + timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: tomorrow)
    rules.refresh(_people(f.person(acme)))
    runs = list(Recompute.objects.order_by("id"))
    assert len(runs) == 2 and runs[1].as_of == tomorrow and runs[1].live


def test_an_amend_keeps_the_history_and_counts_the_accounts(home, experience) -> None:
    today = timezone.localdate()
    acme, other = f.org(key="acme"), f.org(key="other")
    for org in (acme, other):
        Rating.objects.create(organization=org, rater=f.person(home), score=4, date=today)
    kept = rules.recompute()  # a run kept as made (the daily job's)
    rules.refresh(EVERYONE)  # today's live run after it
    live = Recompute.objects.order_by("-id").first()
    assert live.pk != kept.pk and live.live and live.accounts == 2

    def amend(org) -> Recompute:
        rules.refresh(derived.Changes(organization_ids=frozenset({org.pk})))
        return Recompute.objects.get(pk=live.pk)

    Rating.objects.create(organization=acme, rater=f.person(home), score=1, date=today)
    assert amend(acme).accounts == 2  # still two accounts
    assert Snapshot.objects.filter(recompute=kept, organization=acme).exists()  # history kept
    assert Snapshot.objects.get(recompute=kept, organization=acme).parts["friendliness"]["v"] == 4
    newcomer = f.org(key="new")
    Rating.objects.create(organization=newcomer, rater=f.person(home), score=5, date=today)
    assert amend(newcomer).accounts == 3  # became an account
    Rating.objects.filter(organization=other).delete()
    assert amend(other).accounts == 2  # no account any more
    assert not Snapshot.objects.filter(recompute=live, organization=other).exists()
    assert Snapshot.objects.filter(recompute=kept, organization=other).exists()
    assert Recompute.objects.count() == 2
