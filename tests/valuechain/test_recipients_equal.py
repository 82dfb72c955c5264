"""The impact page's recipients and direct customers (a semi-join; no team list when every team
is reached) equal the per-person EXISTS they replace, for every team, some teams and one."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.db.models import Exists, OuterRef

from clientmap.customers import rules
from clientmap.customers.models import CustomerRelation
from clientmap.directory.models import Person, Team
from clientmap.engagements.models import Request
from clientmap.valuechain import notices
from tests import factories as f


def _plain(team_ids, include_lapsed):
    relation = CustomerRelation.objects.filter(
        person=OuterRef("pk"), is_customer=True, team_id__in=team_ids
    )
    if not include_lapsed:
        relation = relation.filter(active=True)
    return list(
        Person.objects.filter(Exists(relation))
        .exclude(email="")
        .order_by("name", "pk")
        .values_list("pk", flat=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2])
def test_recipients_equal_the_exists_they_replace(seed) -> None:
    rnd = random.Random(seed)
    orgs = [f.home_org(), f.org(), f.org()]
    people = [
        f.person(
            organization=rnd.choice(orgs),
            name=f"N{i % 5}",
            email=rnd.choice(["", f"p{i}@example.org"]),
        )
        for i in range(30)
    ]
    teams = [f.team() for _ in range(5)]
    for _ in range(80):
        f.request(
            rnd.choice(people),
            rnd.choice(teams),
            status=rnd.choice(Request.Status.values),
            opened=date.today() - timedelta(days=rnd.choice([5, 800])),
        )
    rules.recompute()
    every = list(Team.objects.values_list("pk", flat=True))
    for team_ids in (every, every[:3], every[1:2], []):
        for lapsed in (False, True):
            fast = notices.recipients(team_ids, include_lapsed=lapsed)
            assert list(fast.values_list("pk", flat=True)) == _plain(team_ids, lapsed)
            rows = notices.recipient_rows(team_ids, include_lapsed=lapsed, limit=7)
            assert [r["person"].pk for r in rows] == _plain(team_ids, lapsed)[:7]
            for r in rows:
                rels = CustomerRelation.objects.filter(
                    person=r["person"], is_customer=True, team_id__in=team_ids
                )
                assert r["lapsed"] == (not rels.filter(active=True).exists())
