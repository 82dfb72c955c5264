"""The overview's "what do they ask of us": open and recent requests per team, and the most
wanted wishes with their weighted demand."""

from __future__ import annotations

from django.db.models.functions import Coalesce

from clientmap.engagements import overview as requests
from clientmap.voice import tally
from clientmap.voice.models import Wish
from clientmap.voice.selectors import stored_demand

SHOWN = 5
CLOSED = tally.CLOSED


def asks() -> dict:
    """Open requests per team (stored figures), the most wanted open public wishes and how many
    wishes are open.

    The count is stored (``voice.tally``: one primary-key read). The most wanted walk the index
    on (demand, votes, key) in order and stop at the fifth open public wish: the "not merged"
    test is written so that no planner picks the merged_into index instead (SQLite, without
    statistics, would, and then sort every open wish)."""
    unmerged = Wish.objects.alias(merged_id=Coalesce("merged_into", 0)).filter(merged_id=0)
    top = list(
        stored_demand(
            unmerged.exclude(status__in=CLOSED)
            .filter(visibility=Wish.Visibility.PUBLIC)
            .select_related("team")
        ).order_by("-demand", "-vote_count", "key")[:SHOWN]
    )
    return {"asks": requests.asks(), "wishes": top, "open_wishes": tally.open_wishes()}
