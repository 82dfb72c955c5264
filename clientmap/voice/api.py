"""Voice of the customer API: mounted at /api/voice. Portal users may read, post and vote."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal, TypeVar

from django.db import models
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


def _key_of(what: str):
    """A body field naming another object by its key (triage's target: a wish, a service)."""
    return Field(min_length=1, max_length=200, description=f"key of {what}")


class MergeIn(Schema):
    into: str = _key_of("the surviving wish")


class CoverIn(Schema):
    service: str = _key_of("the service that already covers it")


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
    w = _triaged(request, key)
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


T = TypeVar("T", bound=models.Model)


def _triage(request, key: str, model: type[T], target: str, act: Callable[[Wish, T], object]):
    """The one shape of a triage action on another object (merge into a wish, cover by a
    service), as the wish page's form does it: staff only; the wish ``key`` names (404); the
    ``model`` row ``target`` names (404 naming the key); ``act(wish, row)``, whose refusal (a
    ``ValueError``) is a 400 saying why. Answers what ``act`` returns."""
    w = _triaged(request, key)
    row = model.objects.filter(key=target).first()
    if row is None:
        raise HttpError(404, f"No {model._meta.model_name} has the key {target!r}.")
    try:
        return act(w, row)
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None


def _triage_route(action: str, response, summary: str, description: str):
    """``POST /wishes/{key}/<action>``, staff with a read-write token, documented alike."""
    return router.post(
        f"/wishes/{{key:key}}/{action}",
        response=response,
        summary=f"Triage: {summary} (staff)",
        description=description,
        auth=STAFF,
    )


@_triage_route(
    "merge",
    WishOut,
    "merge this duplicate into a surviving wish",
    "Votes, comments and followers move to ``into``; a person who voted on both counts once. "
    "Answers the surviving wish. The same as *Merge* on the wish page.",
)
def merge(request, key: str, payload: MergeIn):
    return _out(
        _triage(
            request,
            key,
            Wish,
            payload.into,
            lambda w, into: services.merge(w, into, by=request.auth),
        )
    )


@_triage_route(
    "cover",
    CoverOut,
    "link the service that already covers this wish",
    "The same as *Covered by a service* on the wish page; linking it twice is harmless. "
    "Answers the wish's covering services.",
)
def cover(request, key: str, payload: CoverIn):
    def act(w: Wish, service: Service) -> dict:
        services.cover(w, service, by=request.auth)
        return {"key": w.key, "covered_by": sorted(w.covered_by.values_list("key", flat=True))}

    return _triage(request, key, Service, payload.service, act)


@router.get(
    "/coverage",
    summary="Coverage of wishes and votes; attestation figures (staff and team members)",
    auth=INTERNAL,
)
def coverage(request, team: str = ""):
    t = Team.objects.filter(key=team).first() if team else None
    return selectors.figures(t)
