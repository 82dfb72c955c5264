"""The overview's wishes (``voice.overview.asks``), read in index order, equal the query they
replace, on random wish lists: every status and visibility, merged ones, demand and votes that
tie (the key breaks ties)."""

from __future__ import annotations

import random

import pytest

from clientmap.voice import overview
from clientmap.voice.models import Wish
from tests import factories as f

pytestmark = pytest.mark.django_db


def _reference() -> tuple[list[Wish], int]:
    open_wishes = Wish.objects.filter(merged_into__isnull=True).exclude(status__in=overview.CLOSED)
    top = list(
        open_wishes.filter(visibility=Wish.Visibility.PUBLIC)
        .select_related("team")
        .order_by("-weighted_demand", "-vote_count", "key")[: overview.SHOWN]
    )
    return top, open_wishes.count()


@pytest.mark.parametrize("seed", range(4))
def test_open_wishes_equal_the_query_they_replace(seed) -> None:
    rnd = random.Random(seed)
    author = f.person()
    team = f.team()
    wishes = [
        Wish.objects.create(
            key=f"w{rnd.randrange(10**6)}-{i}",
            author=author,
            title=f"wish {i}",
            team=team if rnd.random() < 0.5 else None,
            status=rnd.choice(Wish.Status.values),
            visibility=rnd.choice(Wish.Visibility.values),
        )
        for i in range(40)
    ]
    for w in wishes:
        Wish.objects.filter(pk=w.pk).update(
            weighted_demand=rnd.choice([0, 3, 3, 7]), vote_count=rnd.choice([0, 1, 1, 2])
        )
    for w in rnd.sample(wishes, 8):
        Wish.objects.filter(pk=w.pk).update(merged_into=rnd.choice(wishes))
    got = overview.asks()
    top, count = _reference()
    assert [w.pk for w in got["wishes"]] == [w.pk for w in top]
    shown = [
        (w.key, w.title, w.vote_count, w.demand, w.team and (w.team.key, w.team.name))
        for w in got["wishes"]
    ]
    assert shown == [
        (w.key, w.title, w.vote_count, w.weighted_demand, w.team and (w.team.key, w.team.name))
        for w in top
    ]
    assert got["open_wishes"] == count
