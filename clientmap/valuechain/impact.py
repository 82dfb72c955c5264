"""V2 — customer impact: given a failing component, list every affected service, team, direct
customer and paying customer, each with its path. (Ranking an alert feed by customer impact —
paying customers reached, their key group, revenue — is ``clientmap.valuechain.feed``.)
"""

from __future__ import annotations

import numpy as np
from django.db.models import Case, IntegerField, Min, Value, When

from clientmap.customers.models import CustomerRelation, Kind
from clientmap.directory.models import Person
from clientmap.valuechain import reachsets
from clientmap.valuechain.graph import (
    ORGANIZATION,
    SERVICE,
    TEAM,
    UNIT,
    ValueGraph,
    load_graph,
)
from clientmap.valuechain.reached import (
    DEFAULT_LIMIT,
    live_customer_counts,
    paying_reached,
    reached_nodes,
    team_ids,
)

_KIND_ORDER = Case(
    When(kind=Kind.EXTERNAL_PAYING, then=Value(0)),
    When(kind=Kind.EXTERNAL_NONPAYING, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def _relations(g: ValueGraph, team_nodes: np.ndarray):
    """The relations of these teams (of every team, with no list, when they are all)."""
    all_teams = g.offsets[TEAM + 1] - g.offsets[TEAM]  # pragma: no mutate (a speed threshold)
    if len(team_nodes) < all_teams:  # pragma: no mutate (either way: the same relations)
        return CustomerRelation.objects.filter(team_id__in=team_ids(g, team_nodes))
    return CustomerRelation.objects.all()


def direct_customers(
    g: ValueGraph, pred: np.ndarray, team_nodes: np.ndarray, *, limit: int = DEFAULT_LIMIT
) -> dict:
    """The C1 customers of the affected teams: counts by kind and the first ``limit`` people
    (external paying first), each with the path to one of their teams.

    Read from the reach set of exactly these teams (``reachsets``: stored for a large set, a
    join of its teams with the relations for a small one); counted from the relations of the
    teams when there is none."""
    stored = reachsets.find(g, team_nodes)
    if stored is None:
        return live_direct_customers(g, pred, team_nodes, limit=limit)
    whole = reachsets.every_team(g, stored)
    counts = reachsets.counts(stored, whole=whole)
    rows: list = []  # pragma: no mutate (None or []: nobody is listed either way)
    if limit > 0:  # pragma: no mutate (saves a query that lists no one)
        rows = [
            {"person_id": p, "team_id": t, "rank": r}
            for p, t, r in reachsets.people(stored, limit=limit, whole=whole)
        ]
    return _listed(g, pred, counts, rows)


def live_direct_customers(
    g: ValueGraph, pred: np.ndarray, team_nodes: np.ndarray, *, limit: int = DEFAULT_LIMIT
) -> dict:
    """``direct_customers`` counted from the relations of the teams (what the reach sets
    replace)."""
    counts = live_customer_counts(g, team_nodes)
    rows: list = []
    if len(team_nodes) and limit > 0:  # pragma: no mutate (saves a query that lists no one)
        rows = list(
            _relations(g, team_nodes)
            .filter(is_customer=True)
            .values("person_id", "person__name")  # pragma: no mutate (a name is its person's)
            .annotate(team_id=Min("team_id"), rank=Min(_KIND_ORDER))
            .order_by("rank", "person__name", "person_id")[:limit]
        )
    return _listed(g, pred, counts, rows)


def _listed(g: ValueGraph, pred: np.ndarray, counts: dict, rows: list[dict]) -> dict:
    """The answer of ``direct_customers``: the counts and the people of ``rows`` (person id,
    team id, rank), each with the path to that team."""
    items: list[dict] = []
    if rows:
        people = {
            pk: (key, name, email, language)
            for pk, key, name, email, language in Person.objects.filter(
                pk__in=[r["person_id"] for r in rows]
            ).values_list("pk", "key", "name", "email", "language")
        }
        names = {0: Kind.EXTERNAL_PAYING, 1: Kind.EXTERNAL_NONPAYING, 2: Kind.INTERNAL}
        for r in rows:
            key, name, email, language = people[r["person_id"]]
            team_node = g.node(TEAM, r["team_id"])
            path = [g.label(i) for i in g.path(pred, team_node)]
            items.append(
                {
                    "person": {
                        "type": "person",
                        "key": key,
                        "name": name,
                        "email": email,
                        "language": language,
                    },
                    "kind": str(names[r["rank"]].value),
                    "team": g.keys[team_node],
                    "path": path + [{"type": "person", "key": key, "name": name}],
                }
            )
    total = counts["internal"] + counts["external"]
    return {"total": total, **counts, "items": items}


def impact_graph(g: ValueGraph, node: int, *, limit: int = DEFAULT_LIMIT) -> dict:
    """The graph part of ``impact`` (no database): affected nodes by type, with paths."""
    # dtype: a list of node ids is int64 anyway, and the empty one searches nothing
    sources = np.asarray([node] if node >= 0 else [], dtype=np.int64)  # pragma: no mutate
    order, pred = g.bfs(sources)
    teams = g.of_type(order, TEAM)
    orgs = g.of_type(order, ORGANIZATION)
    # reached_nodes does not read its ``order`` (the paths come from ``pred``): no mutate
    return {
        "services": reached_nodes(  # pragma: no mutate
            g, order, pred, g.of_type(order, SERVICE), limit
        ),
        "units": reached_nodes(g, order, pred, g.of_type(order, UNIT), limit),  # pragma: no mutate
        "teams": reached_nodes(g, order, pred, teams, limit),  # pragma: no mutate
        "organizations": reached_nodes(  # pragma: no mutate
            g, order, pred, orgs[~g.paying[orgs]], limit
        ),
        "paying_customers": paying_reached(g, sources, order, pred, limit),
        "_pred": pred,
        "_teams": teams,
    }


def impact(service, *, limit: int = DEFAULT_LIMIT, graph: ValueGraph | None = None) -> dict:
    """Everything affected if ``service`` fails: services, units, teams, organizations, direct
    customers (C1 of the affected teams) and paying customers, each with its path."""
    g = graph or load_graph()
    out = impact_graph(g, g.node(SERVICE, service.pk), limit=limit)
    pred, teams = out.pop("_pred"), out.pop("_teams")
    return {
        "service": {"type": "service", "key": service.key, "name": service.name},
        **out,
        "direct_customers": direct_customers(g, pred, teams, limit=limit),
    }
