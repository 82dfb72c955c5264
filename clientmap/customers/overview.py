"""The first screen's figures for the whole organization (set-based aggregates only)."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q

from clientmap.core import derived
from clientmap.customers.models import CustomerRelation, Kind
from clientmap.directory.models import Person, Team


@derived.current
def organization_overview() -> dict:
    """Customers by kind, prospects, teams with most and with no customers, people served.

    People figures count distinct people (a person who is a customer of three teams is one
    customer); relation figures count (team, person) pairs. Every people figure matches the
    filtered people list it links to.
    """
    customer = Q(is_customer=True)
    agg = CustomerRelation.objects.aggregate(
        relations=Count("id", filter=customer),
        active_relations=Count("id", filter=customer & Q(active=True)),
        prospect_relations=Count("id", filter=Q(is_customer=False)),
        customers=Count("person", filter=customer, distinct=True),
        active=Count("person", filter=customer & Q(active=True), distinct=True),
        prospects=Count("person", filter=Q(is_customer=False), distinct=True),
        **{
            f"kind_{k}": Count("person", filter=customer & Q(kind=k), distinct=True)
            for k in Kind.values
        },
    )
    has_customers = CustomerRelation.objects.filter(team=OuterRef("pk"), is_customer=True)
    teams = Team.objects.count()
    teams_without = Team.objects.filter(~Exists(has_customers)).count()
    people = Person.objects.count()
    top = list(
        CustomerRelation.objects.filter(customer, active=True)
        .values("team__key", "team__name")
        .annotate(
            n=Count("id"),
            paying=Count("id", filter=Q(kind=Kind.EXTERNAL_PAYING)),
        )
        .order_by("-n", "team__name")[:10]
    )
    top_max = max([t["n"] for t in top] or [1])
    for t in top:
        t["pct"] = round(100 * t["n"] / top_max)
    return {
        **agg,
        "lapsed": agg["customers"] - agg["active"],
        "kinds": [(k, label, agg[f"kind_{k}"]) for k, label in Kind.choices],
        "teams": teams,
        "teams_without": teams_without,
        "people_total": people,
        "nobody": people - agg["customers"],
        "top": top,
        "top_max": top_max,
    }


@derived.current
def team_summary(team: Team) -> dict:
    """One team's counts: customers, active, prospects, and customers by kind."""
    customer = Q(is_customer=True)
    agg = CustomerRelation.objects.filter(team=team).aggregate(
        customers=Count("id", filter=customer),
        active=Count("id", filter=customer & Q(active=True)),
        prospects=Count("id", filter=Q(is_customer=False)),
        **{f"kind_{k}": Count("id", filter=customer & Q(kind=k)) for k in Kind.values},
    )
    agg["lapsed"] = agg["customers"] - agg["active"]
    agg["kinds"] = [(k, label, agg[f"kind_{k}"]) for k, label in Kind.choices]
    return agg
