"""The public reason of a wish: shown to customers when, and only when, the wish is declined."""

from __future__ import annotations

import pytest

from clientmap.voice import services
from clientmap.voice.models import Wish
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def wish(home):
    return services.submit_wish(f.person(), "Dark mode")


def test_declining_records_the_public_reason(wish):
    services.change_status(wish, Wish.Status.DECLINED, reason="Out of scope for this product")
    wish.refresh_from_db()
    assert wish.public_reason == "Out of scope for this product"


def test_an_internal_note_on_another_status_is_not_made_public(wish):
    services.change_status(wish, Wish.Status.PLANNED, reason="Budget from Q3, do not tell yet")
    wish.refresh_from_db()
    assert wish.public_reason == ""


def test_the_portal_shows_the_reason_only_while_declined(client, wish):
    client.force_login(f.user("reason-staff", staff=True))
    services.change_status(wish, Wish.Status.DECLINED, reason="Out of scope for this product")
    shown = '<p class="reason">Out of scope for this product</p>'
    assert shown in client.get(f"/voice/wishes/{wish.key}/").content.decode()
    services.change_status(wish, Wish.Status.PLANNED, reason="Reconsidered")
    assert shown not in client.get(f"/voice/wishes/{wish.key}/").content.decode()
