"""The overview's fit block read from the counts stored on the run (``fit.overview.block``)
equals the block made from every snapshot (``fit.selectors.overview``), on random runs with
overrides of every kind — and the counts stay right through a recompute and an amend."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from clientmap.fit import overview, rules, selectors
from clientmap.fit.models import Override, Recompute, Snapshot
from tests import factories as f

pytestmark = pytest.mark.django_db


def _random_run(rnd: random.Random, accounts: int = 40) -> Recompute:
    orgs = [f.org() for _ in range(accounts + 5)]  # 5 without a snapshot
    run = Recompute.objects.create(as_of=timezone.localdate(), window_days=365, accounts=accounts)
    Snapshot.objects.bulk_create(
        Snapshot(
            recompute=run,
            organization=o,
            computed_group=rnd.choice([1, 1, 2, 3, 4, None]),
            # revenues repeat: the organization id breaks ties
            revenue=Decimal(rnd.choice([0, 100, 250, 1000, 1000, 99999])) + Decimal("0.25"),
        )
        for o in orgs[:accounts]
    )
    run.group_counts = rules.count_groups(run.pk)
    run.save()
    today = timezone.localdate()
    for o in rnd.sample(orgs, 15):  # some twice (the newest wins), some on no account
        for _ in range(rnd.choice([1, 1, 2])):
            Override.objects.create(
                organization=o,
                group=rnd.choice([1, 2, 3, 4]),
                reason="r",
                expires=today + timedelta(days=rnd.choice([-1, 0, 30])),  # expired, today, later
                cleared_at=timezone.now() if rnd.random() < 0.2 else None,
            )
    return run


@pytest.mark.parametrize("seed", range(6))
def test_block_equals_the_one_made_from_every_snapshot(seed) -> None:
    _random_run(random.Random(seed))
    assert overview.block() == selectors.overview()


def test_no_run_and_an_empty_run() -> None:
    empty = {"fit_counts": None, "fit_key": [], "fit_key_total": 0}
    assert overview.block() == selectors.overview() == empty
    Recompute.objects.create(as_of=timezone.localdate(), window_days=365)
    assert overview.block() == selectors.overview() == empty


def test_counts_follow_the_recompute_and_the_amend(five) -> None:
    run = rules.recompute()
    assert run.group_counts == rules.count_groups(run.pk) and sum(run.group_counts.values()) == 5
    assert overview.block() == selectors.overview()
    live = rules.recompute(live=True)
    # one snapshot gone behind the run's back: the amend of another account counts again
    Snapshot.objects.filter(recompute=live, organization=five["polite"]).delete()
    rules.amend(live, [five["friendly"].pk])
    live.refresh_from_db()
    assert live.group_counts == rules.count_groups(live.pk)
    assert sum(live.group_counts.values()) == 4
    assert overview.block() == selectors.overview()
