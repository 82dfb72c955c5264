"""Requests as lists and as figures: the request list (filter, sort, page) and the overview's
"what do they ask of us" and "how well do we serve them" (set-based aggregates only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from clientmap.directory.models import Team
from clientmap.engagements.models import Request

OPEN = (Request.Status.SUBMITTED, Request.Status.ACCEPTED, Request.Status.IN_PROGRESS)
RECENT_DAYS = 30
WINDOW_DAYS = 90  # "how well served": the last 90 days against the 90 before
SORTS = {
    "key": "key",
    "opened": "opened",
    "target": "target",
    "closed": "closed",
    "team": "team__name",
    "status": "status",
    "requester": "requester__name",
}

ON_TIME = Q(status=Request.Status.FULFILLED, target__isnull=False, closed__lte=F("target"))
LATE = Q(status=Request.Status.FULFILLED, target__isnull=False, closed__gt=F("target"))
MEASURED = Q(status=Request.Status.FULFILLED, target__isnull=False, closed__isnull=False)


@dataclass
class RequestFilters:
    team: str = ""
    status: str = ""  # a status, or "open"
    timeliness: str = ""  # on_time, late
    since: int | None = None  # opened within this many days
    closed_since: int | None = None  # closed within this many days
    q: str = ""
    sort: str = "-opened"


def request_list(f: RequestFilters, today: date | None = None) -> QuerySet[Request]:
    today = today or timezone.localdate()
    qs = Request.objects.select_related("team", "requester", "service")
    if f.team:
        qs = qs.filter(team__key=f.team)
    if f.status == "open":
        qs = qs.filter(status__in=OPEN)
    elif f.status in Request.Status.values:
        qs = qs.filter(status=f.status)
    if f.timeliness == "on_time":
        qs = qs.filter(ON_TIME)
    elif f.timeliness == "late":
        qs = qs.filter(LATE)
    if f.since:
        qs = qs.filter(opened__gte=today - timedelta(days=f.since))
    if f.closed_since:
        qs = qs.filter(closed__gte=today - timedelta(days=f.closed_since), closed__lte=today)
    if f.q:
        qs = qs.filter(Q(key__icontains=f.q) | Q(title__icontains=f.q))
    field = SORTS.get(f.sort.lstrip("-"), "opened")
    desc = f.sort.startswith("-")
    return qs.order_by(
        F(field).desc(nulls_last=True) if desc else F(field).asc(nulls_last=True), "key"
    )


def asks(today: date | None = None, *, limit: int = 8) -> dict:
    """What customers ask: open requests and those opened in the last 30 days, per team."""
    today = today or timezone.localdate()
    since = today - timedelta(days=RECENT_DAYS)
    agg = Request.objects.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status__in=OPEN)),
        recent=Count("id", filter=Q(opened__gte=since)),
    )
    teams = list(
        Request.objects.values("team__key", "team__name")
        .annotate(
            open=Count("id", filter=Q(status__in=OPEN)),
            recent=Count("id", filter=Q(opened__gte=since)),
        )
        .filter(Q(open__gt=0) | Q(recent__gt=0))
        .order_by("-open", "-recent", "team__name")
    )
    top = max([t["open"] for t in teams] or [1]) or 1
    for t in teams:
        t["pct"] = round(100 * t["open"] / top)
    return {**agg, "days": RECENT_DAYS, "teams": teams[:limit], "team_count": len(teams)}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def service_levels(today: date | None = None) -> dict:
    """How well served: per team, the share of fulfilled requests with a target date that were
    closed by it — in the last 90 days, in the 90 days before, and the change (the trend)."""
    today = today or timezone.localdate()
    now_from = today - timedelta(days=WINDOW_DAYS)
    then_from = now_from - timedelta(days=WINDOW_DAYS)
    recent = Q(closed__gt=now_from, closed__lte=today)
    before = Q(closed__gt=then_from, closed__lte=now_from)
    rows = list(
        Request.objects.filter(MEASURED, closed__gt=then_from, closed__lte=today)
        .values("team__key", "team__name")
        .annotate(
            n=Count("id", filter=recent),
            on_time=Count("id", filter=recent & ON_TIME),
            n_before=Count("id", filter=before),
            on_time_before=Count("id", filter=before & ON_TIME),
        )
        .order_by("team__name")
    )
    total = {"n": 0, "on_time": 0, "n_before": 0, "on_time_before": 0}
    for r in rows:
        for k in total:
            total[k] += r[k]
        _levels(r)
    _levels(total)
    rows.sort(key=lambda r: (r["share"] is None, r["share"] or 0, r["team__name"]))
    return {
        "teams": rows,
        "total": total,
        "days": WINDOW_DAYS,
        "measured": Request.objects.filter(MEASURED).exists(),
    }


def _levels(r: dict) -> None:
    r["share"] = _share(r["on_time"], r["n"])
    r["share_before"] = _share(r["on_time_before"], r["n_before"])
    r["pct"] = round(100 * r["share"]) if r["share"] is not None else None
    r["pct_before"] = round(100 * r["share_before"]) if r["share_before"] is not None else None
    r["change"] = (
        r["pct"] - r["pct_before"] if r["pct"] is not None and r["pct_before"] is not None else None
    )


def team_keys(q: str, limit: int = 10) -> list[Team]:
    return list(
        Team.objects.filter(Q(key__icontains=q) | Q(name__icontains=q)).order_by("name")[:limit]
    )
