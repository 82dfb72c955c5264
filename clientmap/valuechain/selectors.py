"""The value-chain questions (V1 reach, V2 impact, V3 lens, graph correctness), JSON-ready.

Every answer is a plain dict of lists and numbers, shared by the CLI (``--json``), the API and
the pages. Graph work happens on the cached ``rules.ValueGraph``; the database is read only for
the C1 relations (direct customers) and the requests and involvements of the lens, set-based.
See ``rules`` for what an edge, a paying customer and a customer reached mean.
"""

from __future__ import annotations

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
    labels = g.labels
    items = [
        {"node": labels[path[-1]], "distance": len(path) - 1, "path": [labels[p] for p in path]}
        for path in g.paths(pred, nodes[:limit])
    ]
    return {"total": int(len(nodes)), "items": items}


def _paying(g: ValueGraph, sources: np.ndarray, order: np.ndarray, pred: np.ndarray, limit: int):
    """The paying organizations reached from ``sources``: those reached directly first (with
    the direct path), then those reached only through the home organization."""
    paying = order[g.paying[order]]
    dorder, dpred = g.bfs(sources, direct=True)
    direct = dorder[g.paying[dorder]]
    indirect = paying[~np.isin(paying, direct)]
    items = []
    labels = g.labels
    for nodes, p, is_direct in ((direct, dpred, True), (indirect, pred, False)):
        for path in g.paths(p, nodes[: max(limit - len(items), 0)]):
            items.append(
                {
                    "node": labels[path[-1]],
                    "distance": len(path) - 1,
                    "direct": is_direct,
                    "path": [labels[x] for x in path],
                }
            )
    return {"total": int(len(paying)), "direct": int(len(direct)), "items": items}


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
        "paying_customers": _paying(g, sources, order, pred, limit),
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


def reach_all(graph: ValueGraph | None = None, *, direct: bool = False) -> dict[str, list[str]]:
    """For every team (by key): the keys of the paying organizations it reaches.

    One pass over the condensation of the graph (``ValueGraph.team_bits``), not one search per
    team.
    """
    g = graph or load_graph()
    first = g.offsets[TEAM]
    return {
        g.keys[first + t]: [g.keys[i] for i in g.bits_to_nodes(b)]
        for t, b in enumerate(g.team_bits(direct=direct))
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


def impact_graph(g: ValueGraph, node: int, *, limit: int = DEFAULT_LIMIT) -> dict:
    """The graph part of ``impact`` (no database): affected nodes by type, with paths."""
    sources = np.asarray([node] if node >= 0 else [], dtype=np.int64)
    order, pred = g.bfs(sources)
    teams = g.of_type(order, TEAM)
    orgs = g.of_type(order, ORGANIZATION)
    return {
        "services": _reached(g, order, pred, g.of_type(order, SERVICE), limit),
        "units": _reached(g, order, pred, g.of_type(order, UNIT), limit),
        "teams": _reached(g, order, pred, teams, limit),
        "organizations": _reached(g, order, pred, orgs[~g.paying[orgs]], limit),
        "paying_customers": _paying(g, sources, order, pred, limit),
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


# --- V3: the paying-customer lens ----------------------------------------------------------------


def _traced(
    g: ValueGraph, org_ids: np.ndarray, unit_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Whether work for someone in (organization, unit) traces to a paying customer.

    Returns four boolean arrays: the organization pays; the unit reaches a paying customer
    directly; the organization traces at all (it pays, or it is the home organization whose
    paying customers fund it all); the unit traces at all.
    """
    org_nodes = g.nodes(ORGANIZATION, org_ids)
    unit_nodes = g.nodes(UNIT, np.where(unit_ids < 0, 0, unit_ids))
    unit_nodes[unit_ids < 0] = -1
    has_org, has_unit = org_nodes >= 0, unit_nodes >= 0
    o, u = np.maximum(org_nodes, 0), np.maximum(unit_nodes, 0)
    pays = has_org & g.paying[o]
    unit_direct = has_unit & g.direct.reaches_paying[u]
    org_any = has_org & g.full.reaches_paying[o]
    unit_any = has_unit & g.full.reaches_paying[u]
    return pays, unit_direct, org_any, unit_any


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _group_rows(rows: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
    orgs = np.asarray([r[0] for r in rows], dtype=np.int64)
    units = np.asarray([-1 if r[1] is None else r[1] for r in rows], dtype=np.int64)
    return orgs, units


def _shares(counts: np.ndarray, direct: np.ndarray, traced: np.ndarray) -> dict:
    total = int(counts.sum())
    d, t = int(counts[direct].sum()), int(counts[traced].sum())
    return {
        "total": total,
        "traced": t,
        "share": _share(t, total),
        "direct": d,
        "direct_share": _share(d, total),
    }


def lens(
    team: Team,
    *,
    limit: int = DEFAULT_LIMIT,
    graph: ValueGraph | None = None,
    untraced_offset: int = 0,
) -> dict:
    """V3 for ``team``: how much of its work traces to a paying customer.

    A request (agreed: accepted, in progress or fulfilled) or an involvement traces **directly**
    when the person's organization pays (C2), or the person's unit reaches a paying customer
    without passing through the home organization (Sales → its licences → the paying account);
    it traces **through the home organization** when the person belongs to the home organization
    (whose paying customers fund it all) but their unit reaches no paying customer directly; it
    traces to **none** otherwise (an external organization that pays nothing). Shares are given
    for requests, involvements and involvement hours; the requests tracing to none are listed
    (newest first, ``limit`` of them from ``untraced_offset``).
    """
    g = graph or load_graph()
    req = Request.objects.filter(team=team, status__in=Request.AGREED)
    rows = list(
        req.values_list("requester__organization_id", "requester__unit_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    orgs, units = _group_rows(rows)
    pays, unit_direct, org_any, unit_any = _traced(g, orgs, units)
    direct, traced = pays | unit_direct, org_any | unit_any
    counts = np.asarray([r[2] for r in rows], dtype=np.int64)

    irows = list(
        Involvement.objects.filter(team=team)
        .values_list("person__organization_id", "person__unit_id")
        .annotate(n=Count("id"), h=Sum("hours"))
        .order_by()
    )
    iorgs, iunits = _group_rows(irows)
    ipays, iunit_direct, iorg_any, iunit_any = _traced(g, iorgs, iunits)
    idirect, itraced = ipays | iunit_direct, iorg_any | iunit_any
    icounts = np.asarray([r[2] for r in irows], dtype=np.int64)
    hours = np.asarray([float(r[3] or 0) for r in irows], dtype=np.float64)

    # Routes of the traced requests: per requester unit (or organization), one path.
    routes = []
    by_size = sorted((i for i in range(len(rows)) if traced[i]), key=lambda i: -int(counts[i]))
    for i in by_size[:limit]:
        org_node = g.node(ORGANIZATION, int(orgs[i]))
        unit_node = g.node(UNIT, int(units[i])) if units[i] >= 0 else -1
        if pays[i]:
            start, target, path = org_node, org_node, [g.label(org_node)]
        else:
            start = unit_node if unit_any[i] else org_node
            order, pred = g.bfs([start], direct=bool(direct[i]))
            target = int(order[g.paying[order]][0])
            path = g.path_labels(pred, target)
        routes.append(
            {
                "via": g.label(start),
                "requests": int(counts[i]),
                "direct": bool(direct[i]),
                "paying_customer": g.label(target),
                "path": path,
            }
        )

    traced_orgs = sorted(set(orgs[org_any].tolist()))
    traced_units = sorted(set(units[unit_any].tolist()))
    none = int(counts[~traced].sum()) if len(rows) else 0
    untraced_items = []
    if none:
        untraced_qs = req.exclude(requester__organization_id__in=traced_orgs).exclude(
            requester__unit_id__in=traced_units
        )
        for r in untraced_qs.select_related(
            "requester", "requester__organization", "requester__unit", "service"
        ).order_by("-opened", "key")[untraced_offset : untraced_offset + limit]:
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
    h_total, h_direct, h_traced = hours.sum(), hours[idirect].sum(), hours[itraced].sum()
    return {
        "team": {"type": "team", "key": team.key, "name": team.name},
        "requests": _shares(counts, direct, traced),
        "involvements": _shares(icounts, idirect, itraced),
        "hours": {
            "total": float(h_total),
            "traced": float(h_traced),
            "share": _share(float(h_traced), float(h_total)),
            "direct": float(h_direct),
            "direct_share": _share(float(h_direct), float(h_total)),
        },
        "routes": routes,
        "untraced": {"total": none, "items": untraced_items},
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
        "edges": g.edges,
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


def overview_figures() -> dict:
    """The first screen's value-chain figure: how many teams reach no paying customer (V1), or
    None when the value chain cannot be computed."""
    try:
        return {"unreached_teams": teams_reaching_no_paying_customer(limit=0)["total"]}
    except Exception:  # noqa: BLE001 — the overview must open even if the graph cannot load
        return {"unreached_teams": None}
