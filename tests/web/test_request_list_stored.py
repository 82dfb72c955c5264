"""The request list's count read from the stored per-team figures equals the list's own count,
and its order (newest first on an index) is the order it had with empty values last."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from clientmap.engagements import selectors
from clientmap.engagements.models import Request
from tests import factories as f

pytestmark = pytest.mark.django_db

STATUSES = [s for s, _label in Request.Status.choices]


@pytest.fixture
def world():
    rng = random.Random(15)
    today = timezone.localdate()
    teams = [f.team(key=f"rt-{i}", name=f"Team {i}") for i in range(4)]
    people = [f.person(key=f"rp-{i}") for i in range(5)]
    for i in range(120):
        opened = today - timedelta(days=rng.randrange(0, 90))
        f.request(
            rng.choice(people),
            rng.choice(teams[:3]),  # the fourth team has no request
            key=f"R-{i:03d}",
            status=rng.choice(STATUSES),
            opened=opened,
            closed=opened + timedelta(days=3) if rng.random() < 0.5 else None,
        )
    from clientmap.customers import rules

    rules.recompute()
    return teams


FILTERS = [
    {},
    {"status": "open"},
    {"since": selectors.RECENT_DAYS},
    {"team": "rt-0"},
    {"team": "rt-1", "status": "open"},
    {"team": "rt-2", "since": selectors.RECENT_DAYS},
    {"team": "rt-3"},
    {"team": "no-such-team", "status": "open"},
]


@pytest.mark.parametrize(
    "filters", FILTERS, ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()) or "all"
)
def test_stored_count_equals_the_lists_count(world, filters) -> None:
    rf = selectors.RequestFilters(**filters)
    stored = selectors.stored_count(rf)
    assert stored is not None
    assert stored == selectors.request_list(rf).count()


@pytest.mark.parametrize(
    "filters",
    [{"status": "accepted"}, {"since": 5}, {"status": "open", "since": 30}, {"q": "R-00"}],
)
def test_other_filters_count_themselves(world, filters) -> None:
    assert selectors.stored_count(selectors.RequestFilters(**filters)) is None


@pytest.mark.parametrize("sort", ["-opened", "opened", "-closed", "closed", "status", "-team"])
@pytest.mark.parametrize("status", ["", "open", "fulfilled"])
def test_the_order_is_unchanged(world, sort, status) -> None:
    rf = selectors.RequestFilters(sort=sort, status=status)
    field = selectors.SORTS[sort.lstrip("-")]
    expr = F(field).desc(nulls_last=True) if sort.startswith("-") else F(field).asc(nulls_last=True)
    reference = Request.objects.all()
    if status == "open":
        reference = reference.filter(status__in=selectors.OPEN)
    elif status:
        reference = reference.filter(status=status)
    got = list(selectors.request_list(rf).values_list("key", flat=True))
    assert got == list(reference.order_by(expr, "key").values_list("key", flat=True))
