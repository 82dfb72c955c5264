"""C1's activity window: its default, and a change of it seen by the next read without an explicit
recompute (what the mutation run of customers/rules.py found untested)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from clientmap.core import derived
from clientmap.customers import rules
from clientmap.customers.models import CustomerRelation
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_window_is_a_year_unless_configured(settings) -> None:
    settings.CLIENTMAP = {k: v for k, v in settings.CLIENTMAP.items() if k != "ACTIVE_WINDOW_DAYS"}
    assert rules.window_days() == 365
    settings.CLIENTMAP = {**settings.CLIENTMAP, "ACTIVE_WINDOW_DAYS": 30}
    assert rules.window_days() == 30


def test_a_new_window_is_seen_by_the_next_read(home, settings) -> None:
    team, person = f.team(), f.person()
    f.request(person, team, opened=timezone.localdate() - timedelta(days=100))
    derived.ensure_current()
    assert CustomerRelation.objects.get(team=team, person=person).active is True
    settings.CLIENTMAP = {**settings.CLIENTMAP, "ACTIVE_WINDOW_DAYS": 30}
    derived.ensure_current()  # what every page does first: nothing marked stale, the window moved
    assert CustomerRelation.objects.get(team=team, person=person).active is False
