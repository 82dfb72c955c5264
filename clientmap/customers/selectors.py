"""Read side of C1/C2: the questions "who are this team's customers?" and "whose customer is P?"."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from clientmap.core import derived
from clientmap.customers.models import CustomerRelation
from clientmap.directory.models import Person, Team
from clientmap.engagements.models import Involvement, Request

BASIS_FIELDS = {"R": "basis_r", "D": "basis_d", "S": "basis_s", "I": "basis_i"}


@derived.current
def team_customers(
    team: Team,
    *,
    kind: str | None = None,
    basis: str | None = None,
    active: bool | None = None,
    prospects: bool = False,
) -> QuerySet[CustomerRelation]:
    """The customers (or, with ``prospects``, the prospects) of ``team``, filtered.

    ``basis`` is any combination of the letters R, D, S, I: a relation matches when it has at
    least one of them.
    """
    qs = CustomerRelation.objects.filter(team=team, is_customer=not prospects).select_related(
        "person", "person__organization"
    )
    if kind:
        qs = qs.filter(kind=kind)
    if basis:
        cond = Q()
        for letter in basis.upper():
            if letter in BASIS_FIELDS:
                cond |= Q(**{BASIS_FIELDS[letter]: True})
        qs = qs.filter(cond)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("-active", "person__name")


@dataclass
class EvidenceItem:
    basis: str
    date: date | None
    kind: str  # "request" or "involvement"
    key: str
    label: str
    detail: str
    counts: bool  # False for a declined / pending request: evidence of a prospect only


def evidence(team: Team, person: Person) -> list[EvidenceItem]:
    """Every request and involvement that makes (or fails to make) ``person`` a customer of ``team``."""
    items: list[EvidenceItem] = []
    for r in Request.objects.filter(team=team, requester=person).select_related("service"):
        agreed = r.status in Request.AGREED
        items.append(
            EvidenceItem(
                basis="R" if agreed else "",
                date=r.evidence_date,
                kind="request",
                key=r.key,
                label=r.title or r.key,
                detail=_("%(status)s, paid by %(payment)s%(service)s")
                % {
                    "status": r.get_status_display(),
                    "payment": r.get_payment_display(),
                    "service": f" — {r.service}" if r.service else "",
                },
                counts=agreed,
            )
        )
    for v in Involvement.objects.filter(team=team, person=person).select_related("service"):
        items.append(
            EvidenceItem(
                basis=Involvement.BASIS[v.role],
                date=v.date,
                kind="involvement",
                key=str(v.pk),
                label=v.get_role_display() + (f" — {v.service}" if v.service else ""),
                detail=v.source,
                counts=True,
            )
        )
    items.sort(key=lambda e: e.date or date.min, reverse=True)
    return items


@dataclass
class PersonAnswer:
    person: Person
    relations: list[CustomerRelation]
    prospects: list[CustomerRelation]
    reasons: list[str] = field(default_factory=list)

    @property
    def is_customer(self) -> bool:
        return bool(self.relations)


def _customer_reports(person: Person, limit: int = 5) -> list[Person]:
    """People below ``person`` in the reporting chain who are customers of some team."""
    found: list[Person] = []
    frontier = [person.pk]
    seen = {person.pk}
    while frontier and len(found) < limit:
        reports = list(Person.objects.filter(manager_id__in=frontier).exclude(pk__in=seen))
        seen.update(p.pk for p in reports)
        frontier = [p.pk for p in reports]
        customer_ids = set(
            CustomerRelation.objects.filter(person__in=reports, is_customer=True).values_list(
                "person_id", flat=True
            )
        )
        found.extend(p for p in reports if p.pk in customer_ids)
    return found[:limit]


@derived.current
def customer_of(person: Person) -> PersonAnswer:
    """Which teams count ``person`` as a customer, and why; or why nobody does."""
    rows = list(
        CustomerRelation.objects.filter(person=person)
        .select_related("team")
        .order_by("-is_customer", "-active", "team__name")
    )
    answer = PersonAnswer(
        person=person,
        relations=[r for r in rows if r.is_customer],
        prospects=[r for r in rows if not r.is_customer],
    )
    own = list(
        Team.objects.filter(requests__requester=person, teammembership__person=person)
        .distinct()
        .order_by("name")
    )
    if own:
        answer.reasons.append(
            _(
                "Requests to %(teams)s do not count: reported by a member of this team, and a team is not its own customer."
            )
            % {"teams": ", ".join(f"{t.name} ({t.key})" for t in own)}
        )
    if answer.relations:
        return answer
    if answer.prospects:
        answer.reasons.append(
            _(
                "Prospect only: every request to %(teams)s was declined, withdrawn or never accepted."
            )
            % {"teams": ", ".join(r.team.name for r in answer.prospects)}
        )
    reports = _customer_reports(person)
    if reports:
        answer.reasons.append(
            _(
                "Manager of a customer (%(names)s), not involved: the chain stops where involvement stops."
            )
            % {"names": ", ".join(p.name for p in reports)}
        )
    if not answer.prospects:
        answer.reasons.append(
            _(
                "No request agreed by any team and no involvement in deciding, specifying or implementing."
            )
        )
    return answer


def why_no_customers(team) -> dict:
    """Why a team has no customer at all: what it was asked, what people took part in, and who
    consumes its services (other teams' services only, units, organizations, or nobody)."""
    from clientmap.catalog.models import Consumption
    from clientmap.engagements.models import Involvement, Request

    requests = Request.objects.filter(team=team)
    consumers = Consumption.objects.filter(provider__team=team)
    return {
        "requests": requests.count(),
        "agreed": requests.filter(status__in=Request.AGREED).count(),
        "involvements": Involvement.objects.filter(team=team).count(),
        "by_services": consumers.filter(consumer_service__isnull=False).count(),
        "by_others": consumers.filter(consumer_service__isnull=True).count(),
    }
