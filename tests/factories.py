"""Small, explicit builders for tests. Every helper takes keyword arguments and fills the rest."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import date, timedelta

from django.contrib.auth import get_user_model

from clientmap.catalog.models import Consumption, Service
from clientmap.directory.models import Organization, Person, Team, TeamMembership, Unit
from clientmap.engagements.models import Involvement, Request

_seq = itertools.count(1)


def _key(prefix: str) -> str:
    return f"{prefix}-{next(_seq)}"


def home_org(**kw) -> Organization:
    org = Organization.objects.filter(is_home=True).first()
    if org:
        return org
    kw.setdefault("key", "home")
    kw.setdefault("name", "Home Org")
    return Organization.objects.create(is_home=True, **kw)


def org(**kw) -> Organization:
    kw.setdefault("key", _key("org"))
    kw.setdefault("name", kw["key"].title())
    return Organization.objects.create(**kw)


def unit(organization: Organization | None = None, **kw) -> Unit:
    kw.setdefault("key", _key("unit"))
    kw.setdefault("name", kw["key"].title())
    return Unit.objects.create(organization=organization or home_org(), **kw)


def person(organization: Organization | None = None, **kw) -> Person:
    kw.setdefault("key", _key("person"))
    kw.setdefault("name", kw["key"].title())
    return Person.objects.create(organization=organization or home_org(), **kw)


def team(members: list[Person] | None = None, **kw) -> Team:
    kw.setdefault("key", _key("team"))
    kw.setdefault("name", kw["key"].title())
    t = Team.objects.create(**kw)
    for m in members or []:
        TeamMembership.objects.create(team=t, person=m)
    return t


def service(team: Team | None = None, **kw) -> Service:
    kw.setdefault("key", _key("svc"))
    kw.setdefault("name", kw["key"].title())
    return Service.objects.create(team=team, **kw)


def consumes(consumer, provider: Service) -> Consumption:
    field = {
        Service: "consumer_service",
        Unit: "consumer_unit",
        Organization: "consumer_organization",
    }[type(consumer)]
    return Consumption.objects.create(provider=provider, **{field: consumer})


def request(requester: Person, team: Team, **kw) -> Request:
    kw.setdefault("key", _key("req"))
    kw.setdefault("status", Request.Status.ACCEPTED)
    kw.setdefault("payment", Request.Payment.FREE)
    kw.setdefault("opened", date.today())
    return Request.objects.create(requester=requester, team=team, **kw)


def involvement(person: Person, team: Team, role: str, **kw) -> Involvement:
    kw.setdefault("date", date.today())
    return Involvement.objects.create(person=person, team=team, role=role, **kw)


def user(username: str | None = None, *, staff: bool = False, person: Person | None = None, **kw):
    User = get_user_model()
    u = User.objects.create_user(
        username=username or _key("user"), password="pw-Clientmap-2026", is_staff=staff, **kw
    )
    if person is not None:
        person.user = u
        person.save(update_fields=["user"])
    return u


PASSWORD = "pw-Clientmap-2026"


def bearer(who, *, read_only: bool = False) -> dict:
    """Request headers with a new API token of ``who`` (a user or a user name)."""
    from clientmap.core import tokens

    if isinstance(who, str):
        who = get_user_model().objects.get(username=who)
    _record, text = tokens.create_token(who, read_only=read_only)
    return {"HTTP_AUTHORIZATION": f"Bearer {text}"}


def random_world(
    rnd: random.Random,
    *,
    orgs: int = 4,
    people: int = 30,
    teams: int = 6,
    requests: int = 120,
    ages: tuple[int, ...] = (3, 200, 500, 900),
    involvements: int = 25,
    memberships: int = 4,
    person_name: Callable[[int], str] | None = None,
    team_name: Callable[[int], str] | None = None,
) -> tuple[list[Person], list[Team]]:
    """A random world for the equality tests (a stored figure against the query it replaces):
    the home organization twice as likely as each other one, requests in every status and
    payment at the given ages in days, involvements in every C1 role, a few memberships (a team
    is not its own customer). The same ``rnd`` state gives the same world."""
    home = home_org()
    choices = [home, home, *[org() for _ in range(orgs)]]
    crowd = [
        person(
            organization=rnd.choice(choices), **({"name": person_name(i)} if person_name else {})
        )
        for i in range(people)
    ]
    squads = [team(**({"name": team_name(i)} if team_name else {})) for i in range(teams)]
    today = date.today()
    for _ in range(requests):
        request(
            rnd.choice(crowd),
            rnd.choice(squads),
            status=rnd.choice(Request.Status.values),
            payment=rnd.choice(Request.Payment.values),
            opened=today - timedelta(days=rnd.choice(ages)),
        )
    for _ in range(involvements):
        involvement(
            rnd.choice(crowd),
            rnd.choice(squads),
            rnd.choice(["decides", "specifies", "implements"]),
            date=today - timedelta(days=rnd.choice([10, 700])),
        )
    for _ in range(memberships):
        TeamMembership.objects.get_or_create(team=rnd.choice(squads), person=rnd.choice(crowd))
    return crowd, squads
