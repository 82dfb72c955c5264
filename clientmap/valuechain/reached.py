"""What a search of the value chain reached, as JSON-ready lists (shared by V1 and V2).

Every answer of the value-chain questions is a plain dict of lists and numbers, shared by the CLI
(``--json``), the API and the pages; these helpers build its parts: nodes reached with their
paths, paying customers reached (directly first), customers (people) of the teams reached.
"""

from __future__ import annotations

import numpy as np
from django.db.models import Count, Q

from clientmap.customers import summary
from clientmap.customers.models import CustomerRelation, Kind
from clientmap.directory.models import Team
from clientmap.valuechain import reachsets
from clientmap.valuechain.graph import (
    TEAM,
    ValueGraph,
)

DEFAULT_LIMIT = 200


# --- shared helpers ----------------------------------------------------------------------------


def reached_nodes(
    g: ValueGraph, order: np.ndarray, pred: np.ndarray, nodes: np.ndarray, limit: int
):
    """Labelled entries (node, distance, path) for ``nodes``, in breadth-first order."""
    labels = g.labels
    items = [
        {"node": labels[path[-1]], "distance": len(path) - 1, "path": [labels[p] for p in path]}
        for path in g.paths(pred, nodes[:limit])
    ]
    return {"total": int(len(nodes)), "items": items}


def paying_reached(
    g: ValueGraph, sources: np.ndarray, order: np.ndarray, pred: np.ndarray, limit: int
):
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


def team_ids(g: ValueGraph, team_nodes: np.ndarray) -> list[int]:
    return [int(x) for x in g.db_id[team_nodes]]


def customer_counts(g: ValueGraph, team_nodes: np.ndarray) -> dict[str, int]:
    """Distinct C1 customers (people) of these teams: internal, external, external paying.

    Read from what is stored: one team's figures (``customers.summary``: one relation per
    person), or the reach set of exactly these teams (``reachsets``); counted from the relations
    when there is neither."""
    if len(team_nodes) == 0:
        return {"internal": 0, "external": 0, "external_paying": 0}
    if len(np.unique(team_nodes)) == 1:
        row = summary.team(int(g.db_id[team_nodes[0]]))
        return {
            "internal": row.internal,
            "external": row.external_paying + row.external_nonpaying,
            "external_paying": row.external_paying,
        }
    stored = reachsets.find(g, team_nodes)
    if stored is not None:
        return reachsets.counts(stored, whole=reachsets.every_team(g, stored))
    return live_customer_counts(g, team_nodes)


def live_customer_counts(g: ValueGraph, team_nodes: np.ndarray) -> dict[str, int]:
    """``customer_counts`` counted from the relations (what the stored figures replace)."""
    if len(team_nodes) == 0:
        return {"internal": 0, "external": 0, "external_paying": 0}
    qs = CustomerRelation.objects.filter(is_customer=True)
    all_teams = g.offsets[TEAM + 1] - g.offsets[TEAM]
    if len(team_nodes) < all_teams:
        qs = qs.filter(team_id__in=team_ids(g, team_nodes))
    agg = qs.aggregate(
        internal=Count("person", distinct=True, filter=Q(kind=Kind.INTERNAL)),
        external=Count("person", distinct=True, filter=~Q(kind=Kind.INTERNAL)),
        external_paying=Count("person", distinct=True, filter=Q(kind=Kind.EXTERNAL_PAYING)),
    )
    return {k: int(v or 0) for k, v in agg.items()}


def sources_of_team(g: ValueGraph, team: Team) -> tuple[int, np.ndarray]:
    node = g.node(TEAM, team.pk)
    if node < 0:
        return -1, np.empty(0, dtype=np.int64)
    return node, np.concatenate([[node], g.services_of_team(node)]).astype(np.int64)
