"""The value-chain questions (V1 reach, V2 impact, V3 lens, graph correctness), JSON-ready.

Every answer is a plain dict of lists and numbers, shared by the CLI (``--json``), the API and
the pages. Graph work happens on the cached ``rules.ValueGraph``; the database is read only for
the C1 relations (direct customers) and the requests and involvements of the lens, set-based.
See ``rules`` for what an edge, a paying customer and a customer reached mean.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from django.db.models import Case, Count, IntegerField, Min, Q, Sum, Value, When

from clientmap.customers.models import CustomerRelation, Kind
from clientmap.directory.models import Person, Team
from clientmap.engagements.models import Involvement, Request
from clientmap.valuechain.rules import (
    ORGANIZATION,
    SERVICE,
    TEAM,
    UNIT,
    ValueGraph,
    load_graph,
)

DEFAULT_LIMIT = 200


# --- shared helpers ----------------------------------------------------------------------------


def _reached(g: ValueGraph, order: np.ndarray, pred: np.ndarray, nodes: np.ndarray, limit: int):
    """Labelled entries (node, distance, path) for ``nodes``, in breadth-first order."""
    items = []
    for i in nodes[:limit].tolist():
        path = g.path(pred, i)
        items.append(
            {"node": g.label(i), "distance": len(path) - 1, "path": [g.label(p) for p in path]}
        )
    return {"total": int(len(nodes)), "items": items}


def _team_ids(g: ValueGraph, team_nodes: np.ndarray) -> list[int]:
    return [int(x) for x in g.db_id[team_nodes]]


def customer_counts(g: ValueGraph, team_nodes: np.ndarray) -> dict[str, int]:
    """Distinct C1 customers (people) of these teams: internal, external, external paying."""
    if len(team_nodes) == 0:
        return {"internal": 0, "external": 0, "external_paying": 0}
    qs = CustomerRelation.objects.filter(is_customer=True)
    all_teams = g.offsets[TEAM + 1] - g.offsets[TEAM]
    if len(team_nodes) < all_teams:
        qs = qs.filter(team_id__in=_team_ids(g, team_nodes))
    agg = qs.aggregate(
        internal=Count("person", distinct=True, filter=Q(kind=Kind.INTERNAL)),
        external=Count("person", distinct=True, filter=~Q(kind=Kind.INTERNAL)),
        external_paying=Count("person", distinct=True, filter=Q(kind=Kind.EXTERNAL_PAYING)),
    )
    return {k: int(v or 0) for k, v in agg.items()}


def _sources_of_team(g: ValueGraph, team: Team) -> tuple[int, np.ndarray]:
    node = g.node(TEAM, team.pk)
    if node < 0:
        return -1, np.empty(0, dtype=np.int64)
    return node, np.concatenate([[node], g.services_of_team(node)]).astype(np.int64)


# --- V1: reach -----------------------------------------------------------------------------------


def reach(team: Team, *, limit: int = DEFAULT_LIMIT, graph: ValueGraph | None = None) -> dict:
    """The paying customers ``team``'s work reaches, each with one shortest path, and what else
    it serves (services, units, organizations) with the customers (people) reached."""
    g = graph or load_graph()
    node, sources = _sources_of_team(g, team)
    order, pred = g.bfs(sources)
    beyond = order[~np.isin(order, sources)]
    paying = order[g.paying[order]]
    reached_teams = g.of_type(order, TEAM)
    return {
        "team": {"type": "team", "key": team.key, "name": team.name},
        "services": [g.label(i) for i in sources[1:].tolist()],
        "reaches_paying_customer": bool(len(paying)),
        "paying_customers": _reached(g, order, pred, paying, limit),
        "direct_customers": customer_counts(g, np.asarray([node]) if node >= 0 else order[:0]),
        "customers_reached": customer_counts(g, reached_teams),
        "served": {
            "services": _reached(g, order, pred, g.of_type(beyond, SERVICE), limit),
            "units": _reached(g, order, pred, g.of_type(beyond, UNIT), limit),
            "organizations": _reached(
                g,
                order,
                pred,
                g.of_type(beyond, ORGANIZATION)[~g.paying[g.of_type(beyond, ORGANIZATION)]],
                limit,
            ),
            "teams": _reached(g, order, pred, g.of_type(beyond, TEAM), limit),
        },
    }


def reach_all(graph: ValueGraph | None = None) -> dict[str, list[str]]:
    """For every team (by key): the keys of the paying organizations it reaches.

    One pass over the condensation of the graph (``ValueGraph.team_bits``), not one search per
    team.
    """
    g = graph or load_graph()
    first = g.offsets[TEAM]
    return {
        g.keys[first + t]: [g.keys[i] for i in g.bits_to_nodes(b)]
        for t, b in enumerate(g.team_bits())
    }


def paying_reach_counts(graph: ValueGraph | None = None) -> dict[str, int]:
    """For every team (by key): how many paying organizations it reaches."""
    g = graph or load_graph()
    first = g.offsets[TEAM]
    return {g.keys[first + t]: b.bit_count() for t, b in enumerate(g.team_bits())}


def teams_reaching_no_paying_customer(
    *, limit: int = 50, offset: int = 0, graph: ValueGraph | None = None
) -> dict:
    """Teams whose work reaches no paying customer, by name, with what they do serve."""
    g = graph or load_graph()
    first = g.offsets[TEAM]
    flagged = [first + t for t, b in enumerate(g.team_bits()) if b == 0]
    flagged.sort(key=lambda i: (g.names[i].lower(), g.keys[i]))
    page = flagged[offset : offset + limit]
    direct = dict(
        CustomerRelation.objects.filter(
            is_customer=True, team_id__in=[int(g.db_id[i]) for i in page]
        )
        .values_list("team_id")
        .annotate(n=Count("person", distinct=True))
        .order_by()
    )
    items = []
    for node in page:
        sources = np.concatenate([[node], g.services_of_team(node)]).astype(np.int64)
        order, _pred = g.bfs(sources)
        beyond = order[~np.isin(order, sources)]
        serves = np.concatenate(
            [g.of_type(beyond, ORGANIZATION), g.of_type(beyond, UNIT), g.of_type(beyond, SERVICE)]
        )
        items.append(
            {
                "team": g.label(node),
                "services": int(len(sources) - 1),
                "direct_customers": int(direct.get(int(g.db_id[node]), 0)),
                "serves": {
                    "services": int(len(g.of_type(beyond, SERVICE))),
                    "units": int(len(g.of_type(beyond, UNIT))),
                    "organizations": int(len(g.of_type(beyond, ORGANIZATION))),
                    "teams": int(len(g.of_type(beyond, TEAM))),
                },
                "examples": [g.label(i) for i in serves[:5].tolist()],
            }
        )
    return {"total": len(flagged), "offset": offset, "items": items}


# --- V2: impact ----------------------------------------------------------------------------------

_KIND_ORDER = Case(
    When(kind=Kind.EXTERNAL_PAYING, then=Value(0)),
    When(kind=Kind.EXTERNAL_NONPAYING, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def direct_customers(
    g: ValueGraph, pred: np.ndarray, team_nodes: np.ndarray, *, limit: int = DEFAULT_LIMIT
) -> dict:
    """The C1 customers of the affected teams: counts by kind and the first ``limit`` people
    (external paying first), each with the path to one of their teams."""
    counts = customer_counts(g, team_nodes)
    items: list[dict] = []
    if len(team_nodes) and limit > 0:
        rows = list(
            CustomerRelation.objects.filter(is_customer=True, team_id__in=_team_ids(g, team_nodes))
            .values("person_id", "person__name")
            .annotate(team_id=Min("team_id"), rank=Min(_KIND_ORDER))
            .order_by("rank", "person__name", "person_id")[:limit]
        )
        people = Person.objects.in_bulk([r["person_id"] for r in rows])
        names = {0: Kind.EXTERNAL_PAYING, 1: Kind.EXTERNAL_NONPAYING, 2: Kind.INTERNAL}
        for r in rows:
            p = people[r["person_id"]]
            team_node = g.node(TEAM, r["team_id"])
            path = [g.label(i) for i in g.path(pred, team_node)]
            items.append(
                {
                    "person": {
                        "type": "person",
                        "key": p.key,
                        "name": p.name,
                        "email": p.email,
                        "language": p.language,
                    },
                    "kind": str(names[r["rank"]].value),
                    "team": g.keys[team_node],
                    "path": path + [{"type": "person", "key": p.key, "name": p.name}],
                }
            )
    total = counts["internal"] + counts["external"]
    return {"total": total, **counts, "items": items}


def impact(service, *, limit: int = DEFAULT_LIMIT, graph: ValueGraph | None = None) -> dict:
    """Everything affected if ``service`` fails: services, units, teams, organizations, direct
    customers (C1 of the affected teams) and paying customers, each with its path."""
    g = graph or load_graph()
    node = g.node(SERVICE, service.pk)
    order, pred = g.bfs([node]) if node >= 0 else g.bfs([])
    teams = g.of_type(order, TEAM)
    orgs = g.of_type(order, ORGANIZATION)
    return {
        "service": {"type": "service", "key": service.key, "name": service.name},
        "services": _reached(g, order, pred, g.of_type(order, SERVICE), limit),
        "units": _reached(g, order, pred, g.of_type(order, UNIT), limit),
        "teams": _reached(g, order, pred, teams, limit),
        "organizations": _reached(g, order, pred, orgs[~g.paying[orgs]], limit),
        "paying_customers": _reached(g, order, pred, orgs[g.paying[orgs]], limit),
        "direct_customers": direct_customers(g, pred, teams, limit=limit),
    }


# --- V3: the paying-customer lens ----------------------------------------------------------------


def _traced(
    g: ValueGraph, org_ids: np.ndarray, unit_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Whether work for someone in (organization, unit) traces to a paying customer: the
    organization pays, or the unit (through its parents, its teams' services…) reaches one.
    Returns (organization pays, unit reaches) as two boolean arrays."""
    org_nodes = g.nodes(ORGANIZATION, org_ids)
    unit_nodes = g.nodes(UNIT, np.where(unit_ids < 0, 0, unit_ids))
    unit_nodes[unit_ids < 0] = -1
    pays = np.where(org_nodes >= 0, g.paying[np.maximum(org_nodes, 0)], False)
    reaches = np.where(unit_nodes >= 0, g.reaches_paying[np.maximum(unit_nodes, 0)], False)
    return pays.astype(bool), reaches.astype(bool)


def _groups(rows: list[tuple]) -> tuple[np.ndarray, np.ndarray, list[tuple]]:
    orgs = np.asarray([r[0] for r in rows], dtype=np.int64)
    units = np.asarray([-1 if r[1] is None else r[1] for r in rows], dtype=np.int64)
    return orgs, units, rows


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def lens(team: Team, *, limit: int = DEFAULT_LIMIT, graph: ValueGraph | None = None) -> dict:
    """V3 for ``team``: the share of its agreed requests (and of its involvements and their
    hours) done for someone whose organization pays, or whose unit's work reaches a paying
    customer; the requests that trace to none; and the routes of the traced work."""
    g = graph or load_graph()
    req = Request.objects.filter(team=team, status__in=Request.AGREED)
    rows = list(
        req.values_list("requester__organization_id", "requester__unit_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    orgs, units, rows = _groups(rows)
    pays, reaches = _traced(g, orgs, units)
    traced = pays | reaches
    counts = np.asarray([r[2] for r in rows], dtype=np.int64)
    total = int(counts.sum())
    traced_n = int(counts[traced].sum()) if rows else 0

    inv = Involvement.objects.filter(team=team)
    irows = list(
        inv.values_list("person__organization_id", "person__unit_id")
        .annotate(n=Count("id"), h=Sum("hours"))
        .order_by()
    )
    iorgs, iunits, irows = _groups(irows)
    ipays, ireaches = _traced(g, iorgs, iunits)
    itraced = ipays | ireaches
    inv_total = sum(r[2] for r in irows)
    inv_traced = sum(r[2] for r, t in zip(irows, itraced.tolist(), strict=True) if t)
    hours_total = sum((r[3] or Decimal(0) for r in irows), Decimal(0))
    hours_traced = sum(
        (r[3] or Decimal(0) for r, t in zip(irows, itraced.tolist(), strict=True) if t),
        Decimal(0),
    )

    # Routes of the traced requests: per requester unit or paying organization, one path.
    routes = []
    by_size = sorted((i for i in range(len(rows)) if traced[i]), key=lambda i: -int(counts[i]))[
        :limit
    ]
    for i in by_size:
        org_node = g.node(ORGANIZATION, int(orgs[i]))
        if org_node >= 0 and g.paying[org_node]:
            routes.append(
                {
                    "via": g.label(org_node),
                    "requests": int(counts[i]),
                    "paying_customer": g.label(org_node),
                    "path": [g.label(org_node)],
                }
            )
            continue
        unit_node = g.node(UNIT, int(units[i]))
        order, pred = g.bfs([unit_node])
        target = order[g.paying[order]][0]
        routes.append(
            {
                "via": g.label(unit_node),
                "requests": int(counts[i]),
                "paying_customer": g.label(int(target)),
                "path": g.path_labels(pred, int(target)),
            }
        )

    paying_orgs = sorted(set(orgs[pays].tolist()))
    reaching_units = sorted(set(units[reaches].tolist()))
    untraced_qs = req.exclude(requester__organization_id__in=paying_orgs).exclude(
        requester__unit_id__in=reaching_units
    )
    untraced_items = []
    if total - traced_n:
        for r in untraced_qs.select_related(
            "requester", "requester__organization", "requester__unit", "service"
        ).order_by("-opened", "key")[:limit]:
            untraced_items.append(
                {
                    "key": r.key,
                    "title": r.title,
                    "status": r.status,
                    "payment": r.payment,
                    "opened": r.opened.isoformat(),
                    "service": r.service.key if r.service else None,
                    "requester": {
                        "type": "person",
                        "key": r.requester.key,
                        "name": r.requester.name,
                    },
                    "organization": r.requester.organization.key,
                    "unit": r.requester.unit.key if r.requester.unit else None,
                }
            )
    return {
        "team": {"type": "team", "key": team.key, "name": team.name},
        "requests": {"total": total, "traced": traced_n, "share": _share(traced_n, total)},
        "involvements": {
            "total": int(inv_total),
            "traced": int(inv_traced),
            "share": _share(inv_traced, inv_total),
        },
        "hours": {
            "total": float(hours_total),
            "traced": float(hours_traced),
            "share": _share(float(hours_traced), float(hours_total)),
        },
        "routes": routes,
        "untraced": {"total": total - traced_n, "items": untraced_items},
    }


# --- graph correctness ---------------------------------------------------------------------------


def cycles(graph: ValueGraph | None = None) -> list[dict]:
    """Cycles of the consumption graph: strongly connected components of more than one node
    (and services that consume themselves), with the services involved."""
    g = graph or load_graph()
    out = []
    for members in g.cycles():
        services = sorted(g.keys[i] for i in members if g.node_type[i] == SERVICE)
        out.append(
            {
                "size": len(members),
                "services": services,
                "members": [g.label(i) for i in sorted(members, key=lambda i: g.keys[i])],
            }
        )
    for i in g.self_loops.tolist():
        out.append({"size": 1, "services": [g.keys[i]], "members": [g.label(i)]})
    return out


def isolated_services(
    *, limit: int = DEFAULT_LIMIT, offset: int = 0, graph: ValueGraph | None = None
) -> dict:
    """Services that consume nothing and that nothing consumes."""
    g = graph or load_graph()
    nodes = sorted(g.isolated_services().tolist(), key=lambda i: g.keys[i])
    items = []
    for i in nodes[offset : offset + limit]:
        t = int(g.service_team[i - g.offsets[SERVICE]])
        items.append({**g.label(i), "team": g.keys[t] if t >= 0 else None})
    return {"total": len(nodes), "offset": offset, "items": items}


def graph_summary(graph: ValueGraph | None = None) -> dict:
    g = graph or load_graph()
    o = g.offsets
    return {
        "services": o[1] - o[0],
        "units": o[2] - o[1],
        "organizations": o[3] - o[2],
        "teams": o[4] - o[3],
        "edges": int(len(g.src)),
        "paying_organizations": int(g.paying.sum()),
    }


__all__ = [
    "cycles",
    "graph_summary",
    "impact",
    "isolated_services",
    "lens",
    "reach",
    "reach_all",
    "teams_reaching_no_paying_customer",
]
