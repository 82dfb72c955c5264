"""Value chain API (V1–V3): reach, impact, lens, cycles, alert ranking. Mounted at /api/valuechain."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.renderers import JSONRenderer
from pydantic import BaseModel

from clientmap.catalog.models import Service
from clientmap.directory.models import Team
from clientmap.valuechain import feed, selectors

router = Router(tags=["value chain"])


class Plain(BaseModel):
    """A schema for the many small dicts of an answer (the nodes of every path): validated by
    pydantic itself — ninja's ``Schema`` runs a Python validator per object, most of the time
    of an impact answer of a few thousand nodes. The OpenAPI document is the same."""


MAX_LIMIT = 5000


class NodeOut(Plain):
    type: str = Field(description="service, unit, organization, team or person")
    key: str
    name: str


class ReachedOut(Plain):
    node: NodeOut
    distance: int = Field(description="edges from the start on the path")
    path: list[NodeOut] = Field(description="one shortest path, from the start to the node")


class ReachedList(Schema):
    total: int
    items: list[ReachedOut]


class PayingOut(ReachedOut):
    direct: bool = Field(description="reached without passing through the home organization")


class PayingList(Schema):
    total: int
    direct: int = Field(description="how many are reached directly")
    items: list[PayingOut]


class CustomerCounts(Schema):
    internal: int
    external: int
    external_paying: int


class ServedOut(Schema):
    services: ReachedList
    units: ReachedList
    organizations: ReachedList
    teams: ReachedList


class ReachOut(Schema):
    team: NodeOut
    services: list[NodeOut]
    reaches_paying_customer: bool
    paying_customers: PayingList
    direct_customers: CustomerCounts
    customers_reached: CustomerCounts
    served: ServedOut


class ReachedPersonOut(NodeOut):
    email: str = ""
    language: str = ""


class DirectCustomerOut(Plain):
    person: ReachedPersonOut
    kind: str
    team: str
    path: list[NodeOut]


class DirectCustomersOut(CustomerCounts):
    total: int
    items: list[DirectCustomerOut]


class ImpactOut(Schema):
    service: NodeOut
    services: ReachedList
    units: ReachedList
    teams: ReachedList
    organizations: ReachedList
    paying_customers: PayingList
    direct_customers: DirectCustomersOut


class ShareOut(Schema):
    total: int
    traced: int = Field(description="directly or through the home organization")
    share: float | None
    direct: int
    direct_share: float | None


class HoursOut(Schema):
    total: float
    traced: float
    share: float | None
    direct: float
    direct_share: float | None


class RouteOut(Schema):
    via: NodeOut
    requests: int
    direct: bool
    paying_customer: NodeOut
    path: list[NodeOut]


class UntracedRequestOut(Schema):
    key: str
    title: str
    status: str
    payment: str
    opened: str
    service: str | None
    requester: NodeOut
    organization: str
    unit: str | None


class UntracedOut(Schema):
    total: int
    items: list[UntracedRequestOut]


class LensOut(Schema):
    team: NodeOut
    requests: ShareOut
    involvements: ShareOut
    hours: HoursOut
    routes: list[RouteOut]
    untraced: UntracedOut


class CycleOut(Schema):
    size: int
    services: list[str]
    members: list[NodeOut]


class ServesOut(Schema):
    services: int
    units: int
    organizations: int
    teams: int


class TeamWithoutPayingOut(Schema):
    team: NodeOut
    services: int
    direct_customers: int
    serves: ServesOut
    examples: list[NodeOut]


class TeamsWithoutPayingOut(Schema):
    total: int
    offset: int
    items: list[TeamWithoutPayingOut]


class IsolatedServiceOut(NodeOut):
    team: str | None


class IsolatedOut(Schema):
    total: int
    offset: int
    items: list[IsolatedServiceOut]


class AlertIn(Schema):
    key: str = Field("", max_length=200)
    service: str = Field("", max_length=300, description="service key or name (or use component)")
    component: str = Field("", max_length=300)
    severity: str = Field("", max_length=50)
    time: str = Field("", max_length=50)
    text: str = Field("", max_length=5000)


class AlertsIn(Schema):
    alerts: list[AlertIn] = Field([], max_length=50_000)
    csv: str = Field(
        "", max_length=20_000_000, description="alternatively, a whole CSV feed as text"
    )


class AlertOut(Schema):
    key: str
    component: str
    severity: str
    time: str
    text: str
    line: int


class RankedAlertOut(Schema):
    rank: int
    alert: AlertOut
    service: NodeOut
    paying_customers: int
    paying_direct: int
    paying: list[str]
    fit_group: int | None
    revenue: float
    direct_customers: int
    severity_rank: int
    services_affected: int
    teams_affected: int


class UnknownAlertOut(AlertOut):
    reason: str


class AlertRankOut(Schema):
    ranked: list[RankedAlertOut]
    unknown: list[UnknownAlertOut]


class Page(Schema):
    limit: int = Field(200, ge=0, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)


def answer(request, data: dict) -> HttpResponse:
    """``data`` rendered as ninja renders an answer, without validating it against its response
    schema once more: the reach and impact selectors build exactly that shape (their thousands
    of path nodes cost most of the request to validate; ``tests/valuechain/test_api.py``
    compares the two)."""
    renderer = JSONRenderer()
    return HttpResponse(
        renderer.render(request, data, response_status=200),
        content_type=f"{renderer.media_type}; charset={renderer.charset}",
    )


@router.get("/teams/{key:key}/reach", response=ReachOut)
def team_reach(request, key: str, page: Query[Page]):
    """V1: the paying customers this team's work reaches, each with one shortest path."""
    team = get_object_or_404(Team, key=key)
    return answer(request, selectors.reach(team, limit=page.limit))


@router.get("/services/{key:key}/impact", response=ImpactOut)
def service_impact(request, key: str, page: Query[Page]):
    """V2: everything affected if this service fails, with the path for each."""
    service = get_object_or_404(Service, key=key)
    return answer(request, selectors.impact(service, limit=page.limit))


@router.get("/teams/{key:key}/lens", response=LensOut)
def team_lens(request, key: str, page: Query[Page]):
    """V3: the share of this team's work that traces to a paying customer."""
    team = get_object_or_404(Team, key=key)
    return selectors.lens(team, limit=page.limit)


@router.get("/cycles", response=list[CycleOut])
def cycles(request):
    """Cycles in the consumption graph, with the services involved."""
    return selectors.cycles()


@router.get("/isolated-services", response=IsolatedOut)
def isolated_services(request, page: Query[Page]):
    """Services that consume nothing and that nothing consumes."""
    return selectors.isolated_services(limit=page.limit, offset=page.offset)


@router.get("/teams-without-paying-customers", response=TeamsWithoutPayingOut)
def teams_without_paying_customers(request, page: Query[Page]):
    """Teams whose work reaches no paying customer, with what they do serve."""
    return selectors.teams_reaching_no_paying_customer(limit=page.limit, offset=page.offset)


@router.post("/alerts/rank", response=AlertRankOut)
def rank_alerts(request, body: AlertsIn):
    """Rank an alert feed by customer impact; unknown components are reported."""
    try:
        alerts = feed.parse_alerts(body.csv, filename="feed.csv") if body.csv else []
        alerts += feed.parse_alerts_dicts([a.dict() for a in body.alerts], start=len(alerts) + 1)
    except feed.AlertFeedError as exc:
        raise HttpError(400, str(exc)) from exc
    if not alerts:
        raise HttpError(400, str(_("No alerts given.")))
    return feed.rank_alerts(alerts)
