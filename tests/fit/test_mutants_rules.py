"""K1's facts and runs in the cases the scenario tests leave open (written for the mutants of
``clientmap.fit.rules`` they let live: scripts/mutation.sh fit)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clientmap.fit import config, rules
from clientmap.fit.models import Intent
from tests import factories as f
from tests.fit.conftest import AS_OF

pytestmark = pytest.mark.django_db

CFG = {**config.DEFAULTS, "window_days": 100.0}


@pytest.fixture
def acme(home, experience):
    return f.org(key="acme", name="Acme")


def _facts(org) -> rules.Facts:
    return rules.collect([org.pk], AS_OF, CFG)[org.pk]


def test_of_two_intents_said_the_same_day_the_one_recorded_last_counts_even_after_an_edit(
    acme,
) -> None:
    # Said the same day: the one recorded last (the higher id) wins. Editing the first one later
    # (its source noted) does not make it the latest — on PostgreSQL an updated row moves to
    # the end of the table, so only the tie-break by id keeps the answer.
    day = AS_OF - timedelta(days=5)
    first = Intent.objects.create(organization=acme, date=day, wants=Intent.Wants.EXPAND)
    Intent.objects.create(organization=acme, date=day, wants=Intent.Wants.LEAVE)
    assert _facts(acme).intent == "leave"
    first.source = "call notes, 5 days ago"
    first.save()
    assert _facts(acme).intent == "leave"
