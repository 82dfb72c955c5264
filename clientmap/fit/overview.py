"""The overview's fit block: key accounts (group 1) and the count per group, read from the counts
the recompute stores on its run (``Recompute.group_counts``) and the few overrides in force —
not from every snapshot of the run (``selectors.overview``, the reference it equals)."""

from __future__ import annotations

from django.utils import timezone

from clientmap.fit import rules
from clientmap.fit.models import Snapshot
from clientmap.fit.selectors import POLICY, SHORT, latest
from clientmap.fit.selectors import overview as from_every_snapshot

SHOWN = 10
GROUPS = (1, 2, 3, 4)


def block() -> dict:
    """Equal to ``selectors.overview()``: a placement's group is its override's in force today,
    else its computed group; the counts are the run's stored ones moved by those overrides, the
    key accounts the group 1 by revenue (an index scan) with the overridden accounts merged in."""
    run = latest()
    if run is None:
        return {"fit_counts": None, "fit_key": [], "fit_key_total": 0}
    stored = run.group_counts
    if not stored:  # a run without snapshots (or made before the counts were stored)
        return from_every_snapshot()
    counts = {g: int(stored.get(str(g), 0)) for g in GROUPS}
    overrides = rules.active_overrides(timezone.localdate())
    overridden = {}
    if overrides:
        overridden = {
            s.organization_id: s
            for s in Snapshot.objects.filter(
                recompute=run, organization_id__in=sorted(overrides)
            ).select_related("organization")
        }
    for org_id, s in overridden.items():
        if s.computed_group in counts:
            counts[s.computed_group] -= 1
        counts[overrides[org_id].group] += 1
    # only what the block shows (not each snapshot's parts and diagnosis)
    top = list(
        Snapshot.objects.filter(recompute=run, computed_group=1)
        .exclude(organization_id__in=sorted(overridden))
        .select_related("organization")
        .only("revenue", "organization_id", "organization__key", "organization__name")
        .order_by("-revenue", "organization_id")[:SHOWN]
    )
    top += [s for org_id, s in overridden.items() if overrides[org_id].group == 1]
    top.sort(key=lambda s: (-s.revenue, s.organization_id))
    return {
        "fit_counts": [(g, SHORT[g], POLICY[g], counts[g]) for g in GROUPS],
        "fit_key": [{"org": s.organization, "revenue": s.revenue} for s in top[:SHOWN]],
        "fit_key_total": counts[1],
    }
