"""Experience API, mounted at /api/experience (staff and team members; writes are staff only).

Answers are readable (``GET /answers?since=…``) so another tool can react to them."""

from datetime import date, datetime

from django.db.models import ExpressionWrapper, F, IntegerField
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from clientmap.catalog.models import Service
from clientmap.core.api_auth import STAFF
from clientmap.core.api_support import MAX_LIMIT, MAX_OFFSET
from clientmap.core.roles import is_staff
from clientmap.customers.models import Kind
from clientmap.directory.models import Organization, Person, Team
from clientmap.engagements.models import Request
from clientmap.experience import derive, report, rules, selectors, services, store
from clientmap.experience.models import SatisfactionRow, Touchpoint

router = Router(tags=["experience"])

KINDS = {0: "external_paying", 1: "external_nonpaying", 2: "internal"}


class TouchpointOut(Schema):
    id: int | None  # None: a request's opened, accepted or declined touchpoint (not stored)
    key: str | None
    derived: bool
    person: str
    team: str | None
    service: str | None
    request: str | None
    kind: str
    day: date
    at: datetime | None
    score: int | None
    comment: str


class TouchpointIn(Schema):
    person: str
    kind: str
    day: date
    team: str | None = None
    service: str | None = None
    request: str | None = None
    score: int | None = None
    comment: str = ""
    key: str | None = None
    at: datetime | None = None


class SegmentIn(Schema):
    team: str | None = None
    organization: str | None = None
    kind: str | None = None


class SendIn(Schema):
    request: str | None = None
    deciders: bool = False
    specifiers: bool = False
    segment: SegmentIn | None = None


def _staff(request) -> None:
    if not is_staff(request.auth):
        raise HttpError(403, "Staff only.")


def _tp(t: Touchpoint) -> dict:
    return {
        "id": t.pk,
        "key": t.key,
        "derived": t.derived,
        "person": t.person.key,
        "team": t.team.key if t.team_id else None,
        "service": t.service.key if t.service_id else None,
        "request": t.request.key if t.request_id else None,
        "kind": t.kind,
        "day": t.day,
        "at": t.at,
        "score": t.score,
        "comment": t.comment,
    }


def _team(key: str | None) -> Team | None:
    if not key:
        return None
    return get_object_or_404(Team, key=key)


@router.get("/satisfaction", summary="CSAT, mean, response rate, promises kept by group")
def satisfaction(
    request,
    by: str = "team",
    team: str | None = None,
    window: int | None = None,
    limit: int = Query(100, ge=1, le=MAX_LIMIT, description=f"at most {MAX_LIMIT} groups"),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    """Every group's figures (``count`` of them), most data first, ``limit`` from ``offset``."""
    if by not in ("team", "service", "organization", "kind"):
        raise HttpError(400, "by must be team, service, organization or kind")
    t = _team(team)
    if t is None and window in (None, rules.window_days()):
        count, overall, groups = _stored_satisfaction(by, limit, offset)
    else:  # one team's, or another window: not stored, computed (a team's are a few hundred)
        rows = report.table("all", team=t, window_days=window)
        overall = report.as_json(rows)[0] if rows else None
        rows = report.table(by, team=t, window_days=window)
        count, groups = len(rows), report.as_json(rows[offset : offset + limit])
    return {
        "by": by,
        "team": team,
        "overall": overall,
        "count": count,
        "limit": limit,
        "offset": offset,
        "groups": groups,
        "trend": report.trend(team=t, window_days=window)["rows"],
    }


def _stored_satisfaction(by: str, limit: int, offset: int) -> tuple[int, dict | None, list]:
    """Everyone's groups over the default window from the stored satisfaction table
    (``store``, brought current first): its count, everyone's figures (the sum of the customer
    kinds' rows, which partition every row) and one page, most data first (answers and promises
    due), ties by name — the JSON of ``report.table``."""
    store.ensure_current()
    stored = SatisfactionRow.objects.filter(customer_kind="")
    kinds = list(stored.filter(by="kind"))
    overall = None
    if kinds:
        total = report.total(kinds)
        overall = {"key": None, "name": _("Everyone"), **total.as_dict()}
    qs = stored.filter(by=by)
    labels = dict(Kind.choices)
    page = qs.order_by(
        ExpressionWrapper(F("answers") + F("due"), output_field=IntegerField()).desc(),
        Lower("name"),
        "group",
        "group_id",
    )[offset : offset + limit]
    groups = [
        {
            "key": r.group or None,
            "name": str(labels.get(r.group, r.group)) if by == "kind" else r.name or _("(none)"),
            **r.figures.as_dict(),
        }
        for r in page
    ]
    return qs.count(), overall, groups


@router.get(
    "/teams/{key:key}/value-chain",
    summary="Direct customers' and reached paying customers' satisfaction",
)
def value_chain(request, key: str):
    t = get_object_or_404(Team, key=key)
    v = selectors.value_chain_satisfaction(t)
    return {
        "team": t.key,
        "direct_customers": v["direct_customers"].as_dict(),
        "paying_reached": v["paying_reached"].as_dict(),
        "paying_reached_directly": v["paying_reached_directly"].as_dict(),
        "paying_organizations": v["paying_organizations"],
        "paying_organizations_directly": v["paying_organizations_directly"],
    }


@router.get("/never-asked", summary="Active customers never asked for feedback, or not lately")
def never_asked(
    request,
    team: str | None = None,
    months: int | None = Query(None, ge=1, le=1200),
    limit: int = 100,
    offset: int = Query(0, ge=0),
):
    # The list's ids in order, cached like the page's (a survey or an answer gives a new one):
    # a call reads its ``limit`` people, not every customer twice (count, then the slice).
    qs = selectors.NeverAskedPage(team=_team(team), months=months)
    limit = max(1, min(limit, 1000))
    return {
        "total": qs.count(),
        "people": [
            {
                "key": p.key,
                "name": p.name,
                "email": p.email,
                "organization": p.organization.key,
                "kind": KINDS.get(p.rank, "internal"),
                "last_asked": p.last_asked,
                "last_answered": p.last_answered,
            }
            for p in qs[offset : offset + limit]
        ],
    }


@router.get("/answers", response=list[TouchpointOut], summary="Survey answers, newest first")
@paginate(LimitOffsetPagination)
def answers(request, since: date | None = None, team: str | None = None):
    qs = Touchpoint.objects.filter(kind=Touchpoint.Kind.SURVEY, score__isnull=False)
    if since:
        qs = qs.filter(day__gte=since)
    if team:
        qs = qs.filter(team=_team(team))
    qs = qs.select_related("person", "team", "service", "request").order_by("-day", "-id")
    return [_tp(t) for t in qs]


@router.get(
    "/people/{key:key}/journey", response=list[TouchpointOut], summary="A person's touchpoints"
)
@paginate(LimitOffsetPagination)
def journey(request, key: str, team: str | None = None):
    person = get_object_or_404(Person, key=key)
    selectors.journey(person, limit=1)  # derives notices sent since the last rebuild
    qs = Touchpoint.objects.filter(person=person)
    t = _team(team)
    if t is not None:
        qs = qs.filter(team=t)
    qs = qs.select_related("person", "team", "service", "request").order_by("-day", "-id")
    stored = [((tp.day, 1, tp.pk, 0), tp) for tp in qs]
    # opened, accepted, declined: read from the requests (no id), after the day's stored ones
    found = derive.events(person, t)
    read = [((e.day, 0, -i, 0), e) for i, e in enumerate(found)]
    rows = sorted(stored + read, key=lambda x: x[0], reverse=True)
    return [_tp(tp) for _, tp in rows]


@router.post(
    "/touchpoints",
    response={201: TouchpointOut},
    summary="Record a touchpoint (staff)",
    auth=STAFF,
)
def record(request, payload: TouchpointIn):
    _staff(request)

    def find(model, key):
        if not key:
            return None
        obj = model.objects.filter(key=key).first()
        if obj is None:
            raise HttpError(400, f"unknown {model._meta.model_name} key {key!r}")
        return obj

    try:
        t = services.record(
            person=find(Person, payload.person),
            kind=payload.kind,
            day=payload.day,
            team=find(Team, payload.team),
            service=find(Service, payload.service),
            request=find(Request, payload.request),
            score=payload.score,
            comment=payload.comment,
            key=payload.key,
            at=payload.at,
            by=request.auth,
        )
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None
    return 201, _tp(t)


@router.post(
    "/surveys/send", summary="Send surveys for a request or to a segment (staff)", auth=STAFF
)
def send(request, payload: SendIn):
    _staff(request)
    if bool(payload.request) == bool(payload.segment):
        raise HttpError(400, "give either request or segment")
    if payload.request:
        r = Request.objects.filter(key=payload.request).first()
        if r is None:
            raise HttpError(400, f"unknown request key {payload.request!r}")
        roles = ["requester"] + [x for x in ("deciders", "specifiers") if getattr(payload, x)]
        return services.send_for_request(r, roles=roles, by=request.auth).as_dict()
    seg = payload.segment
    if seg.kind and seg.kind not in Kind.values:
        raise HttpError(400, "kind must be one of " + ", ".join(Kind.values))
    try:
        result = services.send_segment(
            team=_team(seg.team),
            organization=get_object_or_404(Organization, key=seg.organization)
            if seg.organization
            else None,
            kind=seg.kind or None,
            by=request.auth,
        )
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None
    return result.as_dict()


@router.post("/surveys/remind", summary="Send the reminders that are due (staff)", auth=STAFF)
def remind(request):
    _staff(request)
    return {"reminded": services.remind()}
