"""V1 — the value chain: infrastructure serves application teams, who serve business units, who
create value for the paying customer, who funds it all. For each team: its direct customers (C1)
and the paying customers its work reaches through the chain, with the path (storage → database
hosting → expense app → Finance unit → paying account); a team whose work reaches no paying
customer is flagged.

What an edge, a paying customer and a customer reached mean: ``clientmap.valuechain.graph``.
"""

from __future__ import annotations

import numpy as np
from django.db.models import Count

from clientmap.customers.models import CustomerRelation
from clientmap.directory.models import Team
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
    customer_counts,
    paying_reached,
    reached_nodes,
    sources_of_team,
)


def reach(team: Team, *, limit: int = DEFAULT_LIMIT, graph: ValueGraph | None = None) -> dict:
    """The paying customers ``team``'s work reaches, each with one shortest path, and what else
    it serves (services, units, organizations) with the customers (people) reached."""
    g = graph or load_graph()
    node, sources = sources_of_team(g, team)
    order, pred = g.bfs(sources)
    beyond = order[~np.isin(order, sources)]
    paying = order[g.paying[order]]
    reached_teams = g.of_type(order, TEAM)
    return {
        "team": {"type": "team", "key": team.key, "name": team.name},
        "services": [g.label(i) for i in sources[1:].tolist()],
        "reaches_paying_customer": bool(len(paying)),
        "paying_customers": paying_reached(g, sources, order, pred, limit),
        "direct_customers": customer_counts(g, np.asarray([node]) if node >= 0 else order[:0]),
        "customers_reached": customer_counts(g, reached_teams),
        "served": {
            "services": reached_nodes(g, order, pred, g.of_type(beyond, SERVICE), limit),
            "units": reached_nodes(g, order, pred, g.of_type(beyond, UNIT), limit),
            "organizations": reached_nodes(
                g,
                order,
                pred,
                g.of_type(beyond, ORGANIZATION)[~g.paying[g.of_type(beyond, ORGANIZATION)]],
                limit,
            ),
            "teams": reached_nodes(g, order, pred, g.of_type(beyond, TEAM), limit),
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
        .annotate(n=Count("person", distinct=True))  # pragma: no mutate (1 row per person)
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
