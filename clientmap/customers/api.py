"""The two questions as JSON: who are team T's customers (and why); whose customer is P."""

from __future__ import annotations

import time
from datetime import date

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from clientmap.core import hooks
from clientmap.core.api_schemas import FitBadgeOut
from clientmap.core.api_support import Page
from clientmap.core.roles import is_staff
from clientmap.customers import rules, selectors, shapes
from clientmap.customers.models import Kind
from clientmap.directory.models import Person, Team

router = Router(tags=["customers"])


class RelationOut(Schema):
    person: str = Field(description="person key")
    name: str
    organization: str = Field(description="organization key")
    kind: str = Field(description="internal, external_paying or external_nonpaying")
    basis: str = Field(description="letters R (agreed request), D, S, I (involvement roles)")
    active: bool = Field(description="evidence inside the activity window")
    first_evidence: date | None
    last_evidence: date | None
    request_count: int = Field(description="agreed requests")
    involvement_count: int
    declined_or_pending_requests: int
    evidence_count: int = Field(
        description="every request and involvement on the relation's evidence page, "
        "including declined or not-yet-agreed requests"
    )
    fit: FitBadgeOut | None = Field(None, description="fit group of the person's organization")


class EvidenceOut(Schema):
    basis: str = Field(description="R, D, S, I, or empty for a request that does not count")
    date: date | None
    kind: str = Field(description="request or involvement")
    key: str
    label: str
    detail: str
    counts: bool = Field(description="false for a declined or not-yet-agreed request")
    fit: FitBadgeOut | None = Field(None, description="fit group of the requester's organization")


class TeamRelationOut(Schema):
    team: str
    team_name: str
    kind: str
    basis: str
    active: bool
    first_evidence: date | None
    last_evidence: date | None
    request_count: int
    involvement_count: int


class PersonRef(Schema):
    key: str
    name: str
    organization: str


class CustomerOfOut(Schema):
    person: PersonRef
    is_customer: bool
    customer_of: list[TeamRelationOut]
    prospect_of: list[TeamRelationOut]
    reasons: list[str] = Field(description="why the person is nobody's customer, in plain words")
    fit: FitBadgeOut | None = Field(None, description="fit group of the person's organization")


class RecomputeOut(Schema):
    relations: int
    seconds: float


class _Page:
    def __init__(self, qs):
        self.qs = qs

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.qs.count()

    def __getitem__(self, item):
        return shapes.relations(self.qs[item])


@router.get(
    "/teams/{key:team_key}/customers",
    response=list[RelationOut],
    summary="Who are this team's customers, and why",
    description="Filters: kind, basis (any of R, D, S, I), active (true/false); "
    "prospects=true lists prospects (declined or never-accepted requests only) instead.",
)
@paginate(Page)
def team_customers(
    request,
    team_key: str,
    kind: str = "",
    basis: str = "",
    active: bool | None = None,
    prospects: bool = False,
):
    team = get_object_or_404(Team, key=team_key)
    if kind and kind not in Kind.values:
        raise HttpError(400, f"kind must be one of {', '.join(Kind.values)}")
    if basis and (len(basis) > 4 or set(basis.upper()) - set("RDSI")):
        raise HttpError(400, "basis must be letters among R, D, S, I (e.g. RD)")
    qs = selectors.team_customers(
        team, kind=kind or None, basis=basis or None, active=active, prospects=prospects
    )
    return _Page(qs)


@router.get(
    "/teams/{key:team_key}/customers/{key:person_key}/evidence",
    response=list[EvidenceOut],
    summary="The requests and involvements behind one relation",
)
def evidence(request, team_key: str, person_key: str):
    team = get_object_or_404(Team, key=team_key)
    person = get_object_or_404(Person, key=person_key)
    fit = hooks.badge_payload(hooks.account_badge(person.organization_id))
    return [{**shapes.evidence_item(e), "fit": fit} for e in selectors.evidence(team, person)]


@router.get(
    "/people/{key:person_key}",
    response=CustomerOfOut,
    summary="Whose customer is this person, and why (or why not)",
)
def customer_of(request, person_key: str):
    person = get_object_or_404(Person.objects.select_related("organization"), key=person_key)
    return shapes.person_answer(selectors.customer_of(person))


@router.post("/recompute", response=RecomputeOut, summary="Recompute every relation (staff)")
def recompute(request):
    if not is_staff(request.auth):
        raise HttpError(403, "Only staff can recompute.")
    started = time.perf_counter()
    n = rules.recompute()
    return {"relations": n, "seconds": round(time.perf_counter() - started, 3)}
