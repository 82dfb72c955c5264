"""The overview's "what do they ask of us": open and recent requests per team, and the most
wanted wishes with their weighted demand."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models.functions import Coalesce

from clientmap.engagements import overview as requests
from clientmap.voice import tally
from clientmap.voice.models import Wish

SHOWN = 5
CLOSED = tally.CLOSED


@dataclass(frozen=True)
class Team:
    key: str
    name: str


@dataclass(frozen=True)
class TopWish:
    """What the overview shows of a most wanted wish (read as values, not as model objects)."""

    pk: int
    key: str
    title: str
    vote_count: int
    demand: int
    team: Team | None


def asks() -> dict:
    """Open requests per team (stored figures), the most wanted open public wishes and how many
    wishes are open.

    The count is stored (``voice.tally``: one primary-key read). The most wanted walk the index
    on (demand, votes, key) in order and stop at the fifth open public wish: the "not merged"
    test is written so that no planner picks the merged_into index instead (SQLite, without
    statistics, would, and then sort every open wish)."""
    unmerged = Wish.objects.alias(merged_id=Coalesce("merged_into", 0)).filter(merged_id=0)
    rows = (
        unmerged.exclude(status__in=CLOSED)
        .filter(visibility=Wish.Visibility.PUBLIC)
        .order_by("-weighted_demand", "-vote_count", "key")
        .values_list(
            "pk", "key", "title", "vote_count", "weighted_demand", "team__key", "team__name"
        )[:SHOWN]
    )
    top = [
        TopWish(pk, key, title, votes, demand, Team(t_key, t_name) if t_key is not None else None)
        for pk, key, title, votes, demand, t_key, t_name in rows
    ]
    return {"asks": requests.asks(), "wishes": top, "open_wishes": tally.open_wishes()}
