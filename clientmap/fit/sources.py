"""What fit reads from the areas below it, behind one small adapter each.

Experience (satisfaction, promises kept) comes from ``clientmap.experience.selectors``; until
that area provides ``organization_experience`` (or when it has nothing for an organization),
the parts it feeds are *no data*, never zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Experience:
    answers: int = 0
    csat: float | None = None
    mean_score: float | None = None
    csat_trend: float | None = None
    promises_due: int = 0
    promises_kept: float | None = None
    median_delay_days: float | None = None


def experience(
    org_ids: Iterable[int] | None, *, as_of: date, window_days: int
) -> dict[int, Experience]:
    """Satisfaction and promises per organization id; {} while the experience area has none."""
    try:
        from clientmap.experience.selectors import organization_experience
    except ImportError:
        return {}
    raw = organization_experience(
        org_ids=None if org_ids is None else list(org_ids), as_of=as_of, window_days=window_days
    )
    out: dict[int, Experience] = {}
    for org_id, e in raw.items():
        out[int(org_id)] = Experience(
            answers=int(getattr(e, "answers", 0) or 0),
            csat=getattr(e, "csat", None),
            mean_score=getattr(e, "mean_score", None),
            csat_trend=getattr(e, "csat_trend", None),
            promises_due=int(getattr(e, "promises_due", 0) or 0),
            promises_kept=getattr(e, "promises_kept", None),
            median_delay_days=getattr(e, "median_delay_days", None),
        )
    return out
