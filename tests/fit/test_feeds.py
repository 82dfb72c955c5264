"""The group feeds what was waiting for it: the alert ranking (V2) and wish demand (W1)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clientmap.core import hooks
from clientmap.customers import rules as customer_rules
from clientmap.fit import rules
from clientmap.voice import selectors as voice
from clientmap.voice import services as wishes
from clientmap.voice.models import Wish
from tests import factories as f
from tests.fit.conftest import AS_OF


@pytest.mark.django_db
def test_alert_ranking_reads_the_group_and_revenue(five):
    from clientmap.valuechain import feed

    rules.recompute(as_of=AS_OF)
    groups = feed.fit_group_by_organization()
    assert groups[five["friendly"].pk] == 1 and groups[five["debtor"].pk] == 4
    assert feed.revenue_by_organization()[five["polite"].pk] > 0


@pytest.mark.django_db
def test_wish_demand_weighs_key_accounts_more(five):
    """Same kind of voter (external paying customer of the same team): the key account's vote
    weighs its group's extra; group 4's does not."""
    team = five["team"]
    key_voter = f.person(five["friendly"])
    gone_voter = f.person(five["debtor"])
    for p in (key_voter, gone_voter):
        f.request(p, team, payment="cash", opened=AS_OF - timedelta(days=2))
    customer_rules.recompute()
    rules.recompute(as_of=AS_OF)
    author = f.person(f.home_org())
    a = wishes.submit_wish(author, "Export to spreadsheet")
    b = wishes.submit_wish(author, "Dark mode everywhere")
    wishes.vote(a, key_voter)
    wishes.vote(b, gone_voter)
    demand = {w.pk: w.demand for w in voice.with_demand(Wish.objects.all())}
    base = voice.demand_weights()["external_paying"]
    assert demand[b.pk] == base + voice.group_weights()[4]
    assert demand[a.pk] == base + voice.group_weights()[1] > demand[b.pk]


@pytest.mark.django_db
def test_no_recompute_no_extra_weight(db):
    assert hooks.demand_weight_cases(None, voice.demand_weights()) == []
