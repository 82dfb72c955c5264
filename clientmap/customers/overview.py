"""The first screen's figures for the whole organization, and a team's (read from the summary
stored with the relations, ``customers.summary``)."""

from __future__ import annotations

from django.db.models import Func, Subquery

from clientmap.core import derived
from clientmap.customers import summary
from clientmap.customers.models import Kind, OrganizationSummary, TeamSummary
from clientmap.directory.models import Team


@derived.current
def organization_overview() -> dict:
    """Customers by kind, prospects, teams with most and with no customers, people served.

    People figures count distinct people (a person who is a customer of three teams is one
    customer); relation figures count (team, person) pairs. Every people figure matches the
    filtered people list it links to. The figures are stored with the relations
    (``customers.summary``, the people count kept by the person signals between rebuilds):
    read with the team count in one query, plus the top teams.
    """
    # the stored row and the team count in one query (zeros and a count alone before a build)
    teams_count = Subquery(Team.objects.order_by().values(n=Func("pk", function="COUNT")))
    org = OrganizationSummary.objects.filter(pk=1).annotate(teams_count=teams_count).first()
    if org is None:
        org = summary.organization()
        org.teams_count = Team.objects.count()
    agg = {
        "relations": org.relations,
        "active_relations": org.active_relations,
        "prospect_relations": org.prospect_relations,
        "customers": org.customers,
        "active": org.active,
        "prospects": org.prospects,
        **{f"kind_{k}": getattr(org, k) for k in Kind.values},
    }
    teams = org.teams_count
    people = org.people
    top = [
        {"team__key": key, "team__name": name, "n": n, "paying": paying}
        for key, name, n, paying in TeamSummary.objects.filter(active__gt=0)
        .order_by("-active", "team__name")
        .values_list("team__key", "team__name", "active", "active_paying")[:10]
    ]
    top_max = max([t["n"] for t in top] or [1])
    for t in top:
        t["pct"] = round(100 * t["n"] / top_max)
    return {
        **agg,
        "lapsed": agg["customers"] - agg["active"],
        "kinds": [(k, label, agg[f"kind_{k}"]) for k, label in Kind.choices],
        "teams": teams,
        "teams_without": teams - org.teams_with_customers,
        "people_total": people,
        "nobody": people - agg["customers"],
        "top": top,
        "top_max": top_max,
    }


@derived.current
def team_summary(team: Team) -> dict:
    """One team's counts: customers, active, prospects, and customers by kind (stored with the
    relations: one row)."""
    row = summary.team(team.pk)
    agg = {
        "customers": row.customers,
        "active": row.active,
        "prospects": row.prospects,
        **{f"kind_{k}": getattr(row, k) for k in Kind.values},
    }
    agg["lapsed"] = agg["customers"] - agg["active"]
    agg["kinds"] = [(k, label, agg[f"kind_{k}"]) for k, label in Kind.choices]
    return agg
