"""V3 — the paying-customer lens: for any team, the share of its requests and work that traces to
a paying customer, and the work that traces to none ("if the paying customers knew their money
funds what you are doing right now, how would they feel?").
"""

from __future__ import annotations

import numpy as np
from django.db.models import Count, Sum

from clientmap.directory.models import Team
from clientmap.engagements.models import Involvement, Request
from clientmap.valuechain.graph import (
    ORGANIZATION,
    UNIT,
    ValueGraph,
    load_graph,
)
from clientmap.valuechain.reached import DEFAULT_LIMIT


def _traced(
    g: ValueGraph, org_ids: np.ndarray, unit_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Whether work for someone in (organization, unit) traces to a paying customer.

    Returns four boolean arrays: the organization pays; the unit reaches a paying customer
    directly; the organization traces at all (it pays, or it is the home organization whose
    paying customers fund it all); the unit traces at all.
    """
    org_nodes = g.nodes(ORGANIZATION, org_ids)
    # pragma: no mutate start (ids are >= 1 or the -1 of "no unit"; the placeholder is reset)
    unit_nodes = g.nodes(UNIT, np.where(unit_ids < 0, 0, unit_ids))
    unit_nodes[unit_ids < 0] = -1
    # pragma: no mutate end
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
    # pragma: no mutate start (int64 is what numpy infers; any negative unit reads as none)
    orgs = np.asarray([r[0] for r in rows], dtype=np.int64)
    units = np.asarray([-1 if r[1] is None else r[1] for r in rows], dtype=np.int64)
    # pragma: no mutate end
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
    counts = np.asarray([r[2] for r in rows], dtype=np.int64)  # pragma: no mutate (as inferred)

    irows = list(
        Involvement.objects.filter(team=team)
        .values_list("person__organization_id", "person__unit_id")
        .annotate(n=Count("id"), h=Sum("hours"))
        .order_by()
    )
    iorgs, iunits = _group_rows(irows)
    ipays, iunit_direct, iorg_any, iunit_any = _traced(g, iorgs, iunits)
    idirect, itraced = ipays | iunit_direct, iorg_any | iunit_any
    icounts = np.asarray([r[2] for r in irows], dtype=np.int64)  # pragma: no mutate (inferred)
    hour_values = [float(r[3] or 0) for r in irows]
    hours = np.asarray(hour_values, dtype=np.float64)  # pragma: no mutate (as inferred)

    # Routes of the traced requests: per requester unit (or organization), one path.
    routes = []
    by_size = sorted((i for i in range(len(rows)) if traced[i]), key=lambda i: -int(counts[i]))
    for i in by_size[:limit]:
        org_node = g.node(ORGANIZATION, int(orgs[i]))
        if pays[i]:
            start, target, path = org_node, org_node, [g.label(org_node)]
        else:
            start = g.node(UNIT, int(units[i])) if unit_any[i] else org_node
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
    none = int(counts[~traced].sum())
    untraced_items = []
    if none:
        untraced_qs = req.exclude(requester__organization_id__in=traced_orgs).exclude(
            requester__unit_id__in=traced_units
        )
        # pragma: no mutate start (select_related changes the number of queries, not the answer)
        related = untraced_qs.select_related(
            "requester", "requester__organization", "requester__unit", "service"
        )
        # pragma: no mutate end
        for r in related.order_by("-opened", "key")[untraced_offset : untraced_offset + limit]:
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
