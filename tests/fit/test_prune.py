"""The history is pruned: daily recomputes for the last weeks, then the last one of each month."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from clientmap.fit import rules, selectors
from clientmap.fit.models import Recompute, Snapshot
from tests import factories as f

TODAY = date(2026, 6, 20)


def _history(orgs, days: int) -> dict[date, Recompute]:
    """A recompute per day for ``days`` days up to TODAY; the first account is in group 1 in odd
    months and in group 2 in even ones."""
    runs = {}
    for back in range(days, -1, -1):
        day = TODAY - timedelta(days=back)
        run = Recompute.objects.create(as_of=day, window_days=365, accounts=len(orgs))
        runs[day] = run
        moving = 1 if day.month % 2 else 2
        Snapshot.objects.bulk_create(
            [
                Snapshot(
                    recompute=run,
                    organization=o,
                    group=moving if i == 0 else 3,
                    computed_group=moving if i == 0 else 3,
                    wants_us=0.5,
                    we_want=0.5,
                )
                for i, o in enumerate(orgs)
            ]
        )
    return runs


@pytest.mark.django_db
def test_prune_keeps_recent_days_and_the_last_run_of_each_older_month(settings):
    settings.CLIENTMAP_FIT_KEEP_DAILY_DAYS = 45
    orgs = [f.org(key=f"prune-{i}") for i in range(3)]
    runs = _history(orgs, 150)
    cutoff = TODAY - timedelta(days=45)

    deleted = rules.prune(TODAY)

    kept = set(Recompute.objects.values_list("as_of", flat=True))
    recent = {d for d in runs if d >= cutoff}
    older_months = {(d.year, d.month) for d in runs if d < cutoff}
    last_of_month = {
        max(d for d in runs if d < cutoff and (d.year, d.month) == m) for m in older_months
    }
    assert kept == recent | last_of_month
    assert deleted == len(runs) - len(kept)
    # snapshots went with their recomputes; the kept ones are whole
    assert set(Snapshot.objects.values_list("recompute_id", flat=True)) == set(
        Recompute.objects.values_list("id", flat=True)
    )
    assert Snapshot.objects.count() == len(kept) * len(orgs)
    # what the history needs still answers: a baseline a month back, and the moves
    latest = selectors.latest()
    since, moved = selectors.moves(latest)
    assert since is not None and since.as_of <= TODAY - timedelta(days=30)
    assert [m["organization"].key for m in moved] == ["prune-0"]
    timeline = selectors.timeline(orgs[0].pk)
    assert timeline[0]["as_of"] == min(kept) and len(timeline) >= 4
    # pruning again removes nothing more
    assert rules.prune(TODAY) == 0


@pytest.mark.django_db
def test_a_recompute_prunes(five, settings):
    settings.CLIENTMAP_FIT_KEEP_DAILY_DAYS = 10
    month = (date.today().replace(day=1) - timedelta(days=40)).replace(day=1)
    first = Recompute.objects.create(as_of=month, window_days=365)
    second = Recompute.objects.create(as_of=month + timedelta(days=1), window_days=365)
    run = rules.recompute()
    assert set(Recompute.objects.values_list("pk", flat=True)) == {second.pk, run.pk}
    assert not Recompute.objects.filter(pk=first.pk).exists()
