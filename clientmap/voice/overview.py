"""The overview's "what do they ask of us": open and recent requests per team, and the most
wanted wishes with their weighted demand."""

from __future__ import annotations

from clientmap.engagements import selectors as requests
from clientmap.voice.models import Wish
from clientmap.voice.selectors import stored_demand

SHOWN = 5
CLOSED = (Wish.Status.DELIVERED, Wish.Status.DECLINED, Wish.Status.ALREADY_COVERED)


def asks() -> dict:
    open_wishes = Wish.objects.filter(merged_into__isnull=True).exclude(status__in=CLOSED)
    top = list(
        stored_demand(
            open_wishes.filter(visibility=Wish.Visibility.PUBLIC).select_related("team")
        ).order_by("-demand", "-vote_count", "key")[:SHOWN]
    )
    return {"asks": requests.asks(), "wishes": top, "open_wishes": open_wishes.count()}
