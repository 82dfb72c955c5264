"""Requests as lists and as figures: the request list (filter, sort, page) and the overview's
"what do they ask of us" and "how well do we serve them" (set-based aggregates only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
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
    # the status tested through an expression that no index answers: the planner then walks
    # the newest first (the index on opened) and stops at the page, rather than taking every
    # team's requests of that status (the (team, status) index) and sorting them all — SQLite
    # does the latter even with statistics. A team filter still uses the (team, status) index.
    if f.status == "open":
        qs = qs.alias(status_text=Coalesce("status", Value(""))).filter(status_text__in=OPEN)
    elif f.status in Request.Status.values:
        qs = qs.alias(status_text=Coalesce("status", Value(""))).filter(status_text=f.status)
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
    # empty values last; a column that is never empty is ordered plainly, so that the newest
    # first (the default) walks the index on (opened desc, key) and stops at the page
    nulls_last = True if _nullable(field) else None
    return qs.order_by(
        F(field).desc(nulls_last=nulls_last) if desc else F(field).asc(nulls_last=nulls_last),
        "key",
    )


def _nullable(path: str) -> bool:
    model, field = Request, None
    for part in path.split("__"):
        field = model._meta.get_field(part)
        if field.null:
            return True
        model = field.related_model or model
    return False


class RequestPaginator(Paginator):
    """A paginator told its count when the stored figures know it (``stored_count``)."""

    def __init__(self, object_list, per_page, *, count: int | None = None, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        if count is not None:
            self.__dict__["count"] = count  # ``Paginator.count`` is a cached property


def stored_count(f: RequestFilters, today: date | None = None) -> int | None:
    """How many requests ``f`` lists, from the stored per-team figures when they know it: every
    request, the open ones, those opened in the last 30 days — of all teams or of one. None for
    any other filter (the list counts itself)."""
    from django.db.models import Sum
    from django.db.models.functions import Coalesce

    if f.timeliness or f.closed_since or f.q or f.status not in ("", "open"):
        return None
    if f.since not in (None, RECENT_DAYS) or (f.since and f.status):
        return None
    column = "recent" if f.since else ("open" if f.status else "total")
    # "the last 30 days" are the stored rows' only when they were built today
    rows = _stored(today or timezone.localdate()) if f.since else _stored(None)
    if rows is None:
        return None
    if f.team:
        rows = rows.filter(team__key=f.team)
    return rows.aggregate(n=Coalesce(Sum(column), 0))["n"]


def _stored(today: date | None):
    """The stored per-team figures (``engagements.figures``) when they answer for ``today``
    (None: today, as last built), else None (the caller computes from the requests)."""
    from clientmap.engagements.models import TeamRequestFigures

    rows = TeamRequestFigures.objects.all()
    if today is not None and rows.exclude(as_of=today).exists():
        return None
    return rows


def asks(today: date | None = None, *, limit: int = 8) -> dict:
    """What customers ask: open requests and those opened in the last 30 days, per team — read
    from the stored figures (two small queries)."""
    from django.db.models import Max, Sum
    from django.db.models.functions import Coalesce

    rows = _stored(today)
    if rows is None:
        return asks_from_requests(today, limit=limit)
    asking = Q(open__gt=0) | Q(recent__gt=0)
    agg = rows.aggregate(
        all_total=Coalesce(Sum("total"), 0),
        all_open=Coalesce(Sum("open"), 0),
        all_recent=Coalesce(Sum("recent"), 0),
        team_count=Count("pk", filter=asking),
        top=Max("open", filter=asking),
    )
    teams = list(
        rows.filter(asking)
        .order_by("-open", "-recent", "team__name", "team__key")
        .values("team__key", "team__name", "open", "recent")[:limit]
    )
    top = agg["top"] or 1
    for t in teams:
        t["pct"] = round(100 * t["open"] / top)
    return {
        "total": agg["all_total"],
        "open": agg["all_open"],
        "recent": agg["all_recent"],
        "days": RECENT_DAYS,
        "teams": teams,
        "team_count": agg["team_count"],
    }


def asks_from_requests(today: date | None = None, *, limit: int = 8) -> dict:
    """``asks`` computed by grouping every request (the reference the stored figures equal)."""
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
        .order_by("-open", "-recent", "team__name", "team__key")
    )
    top = max([t["open"] for t in teams] or [1]) or 1
    for t in teams:
        t["pct"] = round(100 * t["open"] / top)
    return {**agg, "days": RECENT_DAYS, "teams": teams[:limit], "team_count": len(teams)}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def service_levels(today: date | None = None) -> dict:
    """How well served: per team, the share of fulfilled requests with a target date that were
    closed by it — in the last 90 days, in the 90 days before, and the change (the trend) —
    read from the stored figures."""
    rows = _stored(today)
    if rows is None:
        return service_levels_from_requests(today)
    teams = list(
        rows.filter(Q(n__gt=0) | Q(n_before__gt=0))
        .values("team__key", "team__name", "n", "on_time", "n_before", "on_time_before")
        .order_by("team__name", "team__key")
    )
    # a team with a measured request in either window has a measured request: ask only if none
    return _served(teams, bool(teams) or rows.filter(measured__gt=0).exists())


def service_levels_from_requests(today: date | None = None) -> dict:
    """``service_levels`` computed from every request (the reference)."""
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
        .order_by("team__name", "team__key")
    )
    return _served(rows, Request.objects.filter(MEASURED).exists())


def _served(rows: list[dict], measured: bool) -> dict:
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
        "measured": measured,
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
