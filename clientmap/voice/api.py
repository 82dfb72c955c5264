"""Voice of the customer API: mounted at /api/voice. Portal users may read, post and vote."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from clientmap.catalog.models import Service
from clientmap.core.api_auth import ANY_USER, INTERNAL, STAFF
from clientmap.core.api_support import Page
from clientmap.core.roles import is_staff, person_of
from clientmap.directory.models import Team
from clientmap.voice import selectors, services
from clientmap.voice.models import TEXT_MAX, TITLE_MAX, Wish

router = Router(tags=["voice"], auth=ANY_USER)


class WishOut(Schema):
    key: str
    title: str
    text: str
    status: str
    visibility: str
    team: str | None
    votes: int
    demand: int | None = None
    created: datetime


class WishIn(Schema):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    text: str = Field("", max_length=TEXT_MAX)
    team: str | None = Field(None, max_length=200, description="team key")
    visibility: Literal["public", "organization"] = Wish.Visibility.PUBLIC


class VoteOut(Schema):
    key: str
    votes: int
    voted: bool


class StatusIn(Schema):
    status: Literal[tuple(Wish.Status.values)]  # type: ignore[valid-type]
    reason: str = Field("", max_length=TEXT_MAX)


class MergeIn(Schema):
    into: str = Field(min_length=1, max_length=200, description="key of the surviving wish")


class CoverIn(Schema):
    service: str = Field(
        min_length=1, max_length=200, description="key of the service that already covers it"
    )


class CoverOut(Schema):
    key: str
    covered_by: list[str]


def _out(w: Wish) -> dict:
    return {
        "key": w.key,
        "title": w.title,
        "text": w.text,
        "status": w.status,
        "visibility": w.visibility,
        "team": w.team.key if w.team_id else None,
        "votes": w.vote_count,
        "demand": getattr(w, "demand", None),
        "created": w.created,
    }


class _Page:
    def __init__(self, qs):
        self.qs = qs

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.qs.count()

    def __getitem__(self, item):
        return [_out(w) for w in self.qs[item]]


def _wish(request, key: str) -> Wish:
    """The live wish ``key`` names (a merged one: its survivor), if the caller may see both;
    404 otherwise (never 403, which would confirm that it exists)."""
    try:
        return selectors.resolve_wish(request.auth, key)[1]
    except Wish.DoesNotExist:
        raise HttpError(404, "No such wish.") from None


def _person(request):
    person = person_of(request.auth)
    if person is None:
        raise HttpError(403, "Only people with a profile can post and vote.")
    return person


@router.get("/wishes", response=list[WishOut], summary="Wishes you may see")
@paginate(Page)
def wishes(request, sort: str = "votes", status: str = "", team: str = "", min_demand: int = 0):
    qs = selectors.stored_demand(selectors.visible_wishes(request.auth).select_related("team"))
    if min_demand:
        qs = qs.filter(demand__gte=min_demand)
    if status:
        if status not in Wish.Status.values:
            raise HttpError(400, f"status must be one of {', '.join(Wish.Status.values)}")
        qs = qs.filter(status=status)
    if team:
        qs = qs.filter(team__key=team)
    order = {"votes": "-vote_count", "demand": "-demand", "new": "-created"}.get(sort)
    if order is None:
        raise HttpError(400, "sort must be votes, demand or new")
    return _Page(qs.order_by(order, "-created"))


@router.post("/wishes", response={201: WishOut}, summary="Make a wish")
def create(request, payload: WishIn):
    person = _person(request)
    team = Team.objects.filter(key=payload.team).first() if payload.team else None
    if payload.visibility not in Wish.Visibility.values:
        raise HttpError(400, "visibility must be public or organization")
    w = services.submit_wish(
        person, payload.title, payload.text, team=team, visibility=payload.visibility
    )
    return Status(201, _out(w))


@router.get("/wishes/{key:key}", response=WishOut, summary="One wish")
def detail(request, key: str):
    return _out(_wish(request, key))


@router.post("/wishes/{key:key}/vote", response=VoteOut, summary="Vote (once)")
def vote(request, key: str):
    person = _person(request)
    w = _wish(request, key)
    services.vote(w, person)
    w.refresh_from_db()
    return {"key": w.key, "votes": w.vote_count, "voted": True}


@router.delete("/wishes/{key:key}/vote", response=VoteOut, summary="Take the vote back")
def unvote(request, key: str):
    person = _person(request)
    w = _wish(request, key)
    services.unvote(w, person)
    w.refresh_from_db()
    return {"key": w.key, "votes": w.vote_count, "voted": False}


@router.get("/similar", response=list[WishOut], summary="Wishes like a text (before posting)")
def similar(request, q: str):
    return [_out(w) for w in selectors.similar(q, selectors.visible_wishes(request.auth))]


@router.post("/wishes/{key:key}/status", response=WishOut, summary="Triage (staff)", auth=STAFF)
def status(request, key: str, payload: StatusIn):
    if not is_staff(request.auth):
        raise HttpError(403, "Triage is for staff.")
    w = get_object_or_404(Wish, key=key)
    try:
        services.change_status(w, payload.status, by=request.auth, reason=payload.reason)
    except ValueError:
        raise HttpError(400, f"status must be one of {', '.join(Wish.Status.values)}") from None
    return _out(w)


def _triaged(request, key: str) -> Wish:
    """The wish triage acts on: exactly the one ``key`` names (a merged one too), staff only."""
    if not is_staff(request.auth):
        raise HttpError(403, "Triage is for staff.")
    w = Wish.objects.filter(key=key).first()
    if w is None:
        raise HttpError(404, "No such wish.")
    return w


@router.post(
    "/wishes/{key:key}/merge",
    response=WishOut,
    summary="Triage: merge this duplicate into a surviving wish (staff)",
    description="Votes, comments and followers move to ``into``; a person who voted on both "
    "counts once. Answers the surviving wish. The same as *Merge* on the wish page.",
    auth=STAFF,
)
def merge(request, key: str, payload: MergeIn):
    w = _triaged(request, key)
    survivor = Wish.objects.filter(key=payload.into).first()
    if survivor is None:
        raise HttpError(404, f"No wish has the key {payload.into!r}.")
    try:
        survivor = services.merge(w, survivor, by=request.auth)
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None
    return _out(survivor)


@router.post(
    "/wishes/{key:key}/cover",
    response=CoverOut,
    summary="Triage: link the service that already covers this wish (staff)",
    description="The same as *Covered by a service* on the wish page; linking it twice is "
    "harmless. Answers the wish's covering services.",
    auth=STAFF,
)
def cover(request, key: str, payload: CoverIn):
    w = _triaged(request, key)
    service = Service.objects.filter(key=payload.service).first()
    if service is None:
        raise HttpError(404, f"No service has the key {payload.service!r}.")
    services.cover(w, service, by=request.auth)
    return {"key": w.key, "covered_by": sorted(w.covered_by.values_list("key", flat=True))}


@router.get(
    "/coverage",
    summary="Coverage of wishes and votes; attestation figures (staff and team members)",
    auth=INTERNAL,
)
def coverage(request, team: str = ""):
    t = Team.objects.filter(key=team).first() if team else None
    return {"coverage": selectors.coverage(t), "attestation": selectors.attestation(t)}
