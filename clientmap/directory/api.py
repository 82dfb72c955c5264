"""Directory API: read access to organizations, units, people and teams (by key)."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from clientmap.catalog.models import Service
from clientmap.core import hooks
from clientmap.core.api_schemas import FitBadgeOut
from clientmap.core.api_support import Page
from clientmap.directory.models import Organization, Person, Team, Unit

router = Router(tags=["directory"])


class OrganizationOut(Schema):
    key: str
    name: str
    home: bool = Field(description="the user's own organization")
    fit: FitBadgeOut | None = Field(None, description="the account's fit group and policy")


class UnitOut(Schema):
    key: str
    name: str
    organization: str = Field(description="organization key")
    parent: str | None = Field(None, description="parent unit key")


class PersonOut(Schema):
    key: str
    name: str
    email: str
    organization: str
    unit: str | None = None
    manager: str | None = None
    language: str = ""
    fit: FitBadgeOut | None = Field(None, description="the fit group of the person's organization")


class ServiceRef(Schema):
    key: str
    name: str
    status: str


class TeamOut(Schema):
    key: str
    name: str
    unit: str | None = None


class TeamDetail(TeamOut):
    members: list[PersonOut]
    services: list[ServiceRef]


def _org(o: Organization, badges: dict | None = None) -> dict:
    badges = hooks.account_badges_for([o.pk]) if badges is None else badges
    return {
        "key": o.key,
        "name": o.name,
        "home": o.is_home,
        "fit": hooks.badge_payload(badges.get(o.pk)),
    }


def _unit(u: Unit) -> dict:
    return {
        "key": u.key,
        "name": u.name,
        "organization": u.organization.key,
        "parent": u.parent.key if u.parent_id else None,
    }


def _person(p: Person, badges: dict | None = None) -> dict:
    badges = hooks.account_badges_for([p.organization_id]) if badges is None else badges
    return {
        "key": p.key,
        "name": p.name,
        "email": p.email,
        "organization": p.organization.key,
        "unit": p.unit.key if p.unit_id else None,
        "manager": p.manager.key if p.manager_id else None,
        "language": p.language,
        "fit": hooks.badge_payload(badges.get(p.organization_id)),
    }


def _team(t: Team) -> dict:
    return {"key": t.key, "name": t.name, "unit": t.unit.key if t.unit_id else None}


@router.get("/organizations", response=list[OrganizationOut], summary="Organizations")
@paginate(Page)
def organizations(request, q: str = ""):
    qs = Organization.objects.order_by("key")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(key__icontains=q))
    return _LazyList(qs, _org, lambda o: o.pk)


@router.get("/organizations/{key:key}", response=OrganizationOut, summary="One organization")
def organization(request, key: str):
    return _org(get_object_or_404(Organization, key=key))


@router.get("/units", response=list[UnitOut], summary="Units")
@paginate(Page)
def units(request, organization: str = ""):
    qs = Unit.objects.select_related("organization", "parent").order_by("key")
    if organization:
        qs = qs.filter(organization__key=organization)
    return _LazyList(qs, _unit)


@router.get("/units/{key:key}", response=UnitOut, summary="One unit")
def unit(request, key: str):
    return _unit(get_object_or_404(Unit.objects.select_related("organization", "parent"), key=key))


def _people_qs():
    return Person.objects.select_related("organization", "unit", "manager").order_by("key")


class _LazyList:
    """A queryset that paginates in SQL and serialises only the page."""

    def __init__(self, qs, fn, org_of=None):
        self.qs, self.fn, self.org_of = qs, fn, org_of

    def __len__(self) -> int:
        return self.qs.count()

    def count(self) -> int:
        return self.qs.count()

    def __getitem__(self, item):
        objs = list(self.qs[item])
        if self.org_of is None:
            return [self.fn(x) for x in objs]
        # fit badges of the whole page at once
        badges = hooks.account_badges_for(self.org_of(x) for x in objs)
        return [self.fn(x, badges) for x in objs]


@router.get("/people", response=list[PersonOut], summary="People")
@paginate(Page)
def people(request, q: str = "", organization: str = "", unit: str = ""):
    qs = _people_qs()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(key__icontains=q) | Q(email__icontains=q))
    if organization:
        qs = qs.filter(organization__key=organization)
    if unit:
        qs = qs.filter(unit__key=unit)
    return _LazyList(qs, _person, lambda p: p.organization_id)


@router.get("/people/{key:key}", response=PersonOut, summary="One person")
def person(request, key: str):
    return _person(get_object_or_404(_people_qs(), key=key))


@router.get("/teams", response=list[TeamOut], summary="Teams")
@paginate(Page)
def teams(request, q: str = ""):
    qs = Team.objects.select_related("unit").order_by("key")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(key__icontains=q))
    return _LazyList(qs, _team)


@router.get("/teams/{key:key}", response=TeamDetail, summary="One team, its members and services")
def team(request, key: str):
    t = get_object_or_404(Team.objects.select_related("unit"), key=key)
    return {
        **_team(t),
        "members": _members(t),
        "services": [
            {"key": s.key, "name": s.name, "status": s.status}
            for s in Service.objects.filter(team=t).order_by("key")
        ],
    }


def _members(t: Team) -> list[dict]:
    people = list(_people_qs().filter(teams=t))
    badges = hooks.account_badges_for(p.organization_id for p in people)
    return [_person(p, badges) for p in people]
