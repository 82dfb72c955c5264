"""The overview's "how well do we serve them" (the experience area adds satisfaction beside it)."""

from __future__ import annotations

from clientmap.engagements import selectors


def served() -> dict:
    return {"served": selectors.service_levels()}
