"""The value-chain questions, JSON-ready: one import for views, API, CLI and jobs.

Each rule lives in its own module — V1 reach (``reach``), V2 impact (``impact``; the alert
ranking in ``feed``), V3 the paying-customer lens (``lens``) — on the graph of ``graph``; this
module gathers them and adds the graph's own correctness checks (cycles, isolated services,
summary) and the overview's figure. Every answer is a plain dict of lists and numbers.
"""

from __future__ import annotations

from clientmap.valuechain.graph import (
    SERVICE,
    ValueGraph,
    load_graph,
)
from clientmap.valuechain.impact import direct_customers, impact, impact_graph
from clientmap.valuechain.lens import lens
from clientmap.valuechain.reach import (
    paying_reach_counts,
    reach,
    reach_all,
    teams_reaching_no_paying_customer,
)
from clientmap.valuechain.reached import DEFAULT_LIMIT, customer_counts

__all__ = [
    "DEFAULT_LIMIT",
    "customer_counts",
    "cycles",
    "direct_customers",
    "graph_summary",
    "impact",
    "impact_graph",
    "isolated_services",
    "lens",
    "overview_figures",
    "paying_reach_counts",
    "reach",
    "reach_all",
    "teams_reaching_no_paying_customer",
]


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
        g = load_graph()
        # a figure of the graph itself: counted once per loaded graph (a new version of the
        # value chain is a new graph), not by walking every team's reach on every overview
        count = g.__dict__.get("_overview_unreached_teams")
        if count is None:
            count = teams_reaching_no_paying_customer(limit=0, graph=g)["total"]
            g.__dict__["_overview_unreached_teams"] = count
        return {"unreached_teams": count}
    except Exception:  # noqa: BLE001 — the overview must open even if the graph cannot load
        return {"unreached_teams": None}
