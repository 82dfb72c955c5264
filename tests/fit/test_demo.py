"""The demo has accounts in each of the four groups on first run."""

from __future__ import annotations

import pytest

from clientmap.fit import rules
from clientmap.fit.models import Snapshot
from clientmap.imports import demo

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_has_every_group():
    demo.load()
    run = rules.ensure_current()
    groups = set(Snapshot.objects.filter(recompute=run).values_list("group", flat=True))
    assert {1, 2, 3, 4} <= groups
    # the largest account by revenue is not a key account: revenue is never an axis
    top = Snapshot.objects.filter(recompute=run).order_by("-revenue").first()
    assert top.group != 1
