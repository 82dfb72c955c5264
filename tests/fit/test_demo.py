"""The demo has accounts in each of the four groups on first run."""

from __future__ import annotations

import pytest

from clientmap.core import derived
from clientmap.fit import selectors
from clientmap.fit.models import Snapshot
from clientmap.imports import demo

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_has_every_group():
    demo.load()
    derived.ensure_current()
    run = selectors.latest()
    groups = set(Snapshot.objects.filter(recompute=run).values_list("group", flat=True))
    assert {1, 2, 3, 4} <= groups
    # the largest account by revenue is not a key account: revenue is never an axis
    top = Snapshot.objects.filter(recompute=run).order_by("-revenue").first()
    assert top.group != 1
