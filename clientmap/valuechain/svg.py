"""The picture of the value chain: a layered graph drawn as plain server-side SVG.

Value flows upwards: infrastructure at the bottom, paying customers at the top. A node's layer is
its longest-path depth from the nodes that consume nothing (computed on the strongly connected
components, so cycles share a layer and never hang anything); paying organizations are lifted to
the top layer. Inside a layer, nodes are ordered by a few barycentre sweeps (fewer crossings)
and wrapped onto rows of at most ``ROW_MAX`` nodes, so the picture stays as wide as the page.

Large graphs stay readable:

* **collapse** — above ``MAX_NODES`` nodes, services are drawn inside their provider team
  (``teams``), or teams and services inside their unit, the units of external organizations in
  their organization and the organizations that pay nothing in one node (``units``). The
  smallest level that fits is chosen unless one is asked for; ``services`` draws every node.
* **neighbourhood** — ``neighbourhood(g, node, depth)``: the nodes within ``depth`` edges of a
  node, upstream and downstream.
* a hard cap (``MAX_DRAW``): beyond it the best-connected nodes are kept and the rest counted.

Every node is a link (service → its impact page, team → its reach page, unit or organization →
the organization's page, a collapsed unit → the map around it). No JavaScript, no library.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import numpy as np
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from clientmap.valuechain.rules import ORGANIZATION, SERVICE, TEAM, UNIT, ValueGraph, gather

LEVELS = ("services", "teams", "units")
MAX_NODES = 150  # above this many nodes, collapse by default
MAX_DRAW = 300  # never draw more nodes than this
MAX_EDGES = 1500
EDGES_PER_NODE = 5  # and at most this many per drawn node
NEIGHBOURHOOD_CAP = 20_000  # stop widening a neighbourhood beyond this many nodes

ROW_MAX = 6
NODE_W, NODE_H = 156, 38
GAP_X, GAP_ROW, GAP_LAYER = 14, 18, 54
MARGIN = 16
LABEL_CHARS = 19


def type_label(kind: str) -> str:
    return {
        "service": _("service"),
        "team": _("team"),
        "unit": _("unit"),
        "organization": _("organization"),
        "others": _("organizations"),
    }[kind]


@dataclass
class Node:
    rep: int  # the graph node standing for the group (``g.n`` and up: gathered organizations)
    kind: str
    key: str
    name: str
    members: dict[str, int]  # graph nodes drawn inside, by type name
    href: str = ""
    classes: list[str] = field(default_factory=list)
    layer: int = 0
    x: float = 0.0
    y: float = 0.0

    @property
    def collapsed(self) -> int:
        return sum(self.members.values()) - (0 if self.kind == "others" else 1)

    @property
    def description(self) -> str:
        """What the box's second line says (kind, what it holds)."""
        return _sub(self)


@dataclass
class Picture:
    nodes: list[Node]
    edges: list[tuple[int, int, int, bool]]  # (from, to, underlying edges, funds edge)
    level: str
    total: int  # graph nodes in the picture before collapsing
    hidden: int = 0  # drawn nodes left out by the cap
    hidden_edges: int = 0
    width: int = 0
    height: int = 0
    title: str = ""

    @property
    def collapsed(self) -> bool:
        return self.level != "services"

    @property
    def links(self) -> list[tuple[Node, Node, int, bool]]:
        """The edges by their boxes (from, to, underlying edges, funds edge): the table beside
        the picture, its text alternative (WCAG 1.1.1)."""
        return [(self.nodes[a], self.nodes[b], count, fund) for a, b, count, fund in self.edges]


# --- which nodes ------------------------------------------------------------------------------


def _reverse(g: ValueGraph):
    cached = getattr(g, "_vc_reverse", None)
    if cached is None:
        cached = g.direct.csr.T.tocsr()
        cached.sort_indices()
        g._vc_reverse = cached  # type: ignore[attr-defined]
    return cached


def neighbourhood(g: ValueGraph, node: int, depth: int = 2, *, cap: int = NEIGHBOURHOOD_CAP):
    """Nodes within ``depth`` edges of ``node``, following edges both ways (the home
    organization's "funds every paying customer" edges are not followed)."""
    fwd, rev = g.direct.csr, _reverse(g)
    seen = np.zeros(g.n, dtype=bool)
    seen[node] = True
    frontier = np.asarray([node], dtype=np.int64)
    for _step in range(max(depth, 0)):
        nb = np.concatenate(
            [gather(fwd.indptr, fwd.indices, frontier), gather(rev.indptr, rev.indices, frontier)]
        ).astype(np.int64)
        nb = np.unique(nb)
        nb = nb[~seen[nb]]
        if len(nb) == 0:
            break
        seen[nb] = True
        frontier = nb
        if seen.sum() > cap:
            break
    return np.flatnonzero(seen)


def upstream(g: ValueGraph, nodes: np.ndarray) -> np.ndarray:
    """The nodes with an edge into ``nodes`` (what they consume, their unit)."""
    rev = _reverse(g)
    return np.unique(gather(rev.indptr, rev.indices, np.asarray(nodes, dtype=np.int64)))


def downstream(g: ValueGraph, nodes: np.ndarray) -> np.ndarray:
    fwd = g.direct.csr
    return np.unique(gather(fwd.indptr, fwd.indices, np.asarray(nodes, dtype=np.int64)))


def paths_to_paying(g: ValueGraph, sources: np.ndarray, limit: int = 40) -> np.ndarray:
    """The nodes on one shortest path from ``sources`` to each paying organization reached (the
    direct path where there is one), for at most ``limit`` of them."""
    order, pred = g.bfs(sources)
    dorder, dpred = g.bfs(sources, direct=True)
    direct = dorder[g.paying[dorder]][:limit]
    rest = order[g.paying[order]]
    rest = rest[~np.isin(rest, direct)][: max(limit - len(direct), 0)]
    found: list[int] = []
    for path in g.paths(dpred, direct) + g.paths(pred, rest):
        found.extend(path)
    return np.unique(np.asarray(found, dtype=np.int64))


def team_nodes(g: ValueGraph, team_node: int) -> np.ndarray:
    """A team's picture: the team, its services, what they consume and what consumes them, and
    one path to every paying customer it reaches."""
    sources = np.concatenate([[team_node], g.services_of_team(team_node)]).astype(np.int64)
    parts = [
        sources,
        upstream(g, sources[1:]),
        downstream(g, sources),
        paths_to_paying(g, sources),
    ]
    return np.unique(np.concatenate(parts))


def impact_nodes(g: ValueGraph, service_node: int) -> np.ndarray:
    """Everything affected if the service fails (the service included)."""
    order, _pred = g.bfs([service_node])
    return np.unique(order)


# --- grouping ---------------------------------------------------------------------------------


OTHERS = 0  # offsets past ``g.n`` of the two virtual groups
MORE_PAYING = 1
PAYING_SHOWN = 24  # paying customers drawn one by one when collapsing by unit


def _maps(g: ValueGraph) -> dict[str, np.ndarray]:
    """Per node: the unit a team sits in, the organization and the parent of a unit (-1
    otherwise), a unit's depth in its tree, and every node's in-degree."""
    cached = getattr(g, "_vc_maps", None)
    if cached is not None:
        return cached
    src, dst = g.direct.src, g.direct.dst
    t = g.node_type
    team_unit = np.full(g.n, -1, dtype=np.int64)
    m = (t[src] == UNIT) & (t[dst] == TEAM)
    team_unit[dst[m]] = src[m]
    unit_org = np.full(g.n, -1, dtype=np.int64)
    m = (t[src] == UNIT) & (t[dst] == ORGANIZATION)
    unit_org[src[m]] = dst[m]
    unit_parent = np.full(g.n, -1, dtype=np.int64)
    m = (t[src] == UNIT) & (t[dst] == UNIT)
    unit_parent[src[m]] = dst[m]
    depth = np.zeros(g.n, dtype=np.int64)
    up = unit_parent.copy()
    for _step in range(64):  # a unit tree deeper than this is cut (and a parent loop too)
        has = up >= 0
        if not has.any():
            break
        depth[has] += 1
        up = np.where(has, unit_parent[np.maximum(up, 0)], -1)
    maps = {
        "team_unit": team_unit,
        "unit_org": unit_org,
        "unit_parent": unit_parent,
        "unit_depth": depth,
        "in_degree": np.bincount(dst, minlength=g.n),
    }
    g._vc_maps = maps  # type: ignore[attr-defined]
    return maps


def grouping(
    g: ValueGraph,
    level: str,
    keep: np.ndarray | None = None,
    inside: np.ndarray | None = None,
    limit: int | None = None,
) -> np.ndarray:
    """Per node (and two more: ``g.n`` the organizations that pay nothing, ``g.n + 1`` the
    paying customers not drawn one by one): the node standing for its group at ``level``.
    Nodes in ``keep`` stay on their own.

    At ``units`` with ``inside`` and ``limit``: only the ``PAYING_SHOWN`` best-connected paying
    customers stay on their own, and units fold into their parent units, deepest first, until
    at most ``limit`` groups remain (or only top-level units are left)."""
    size = g.n + 2
    rep = np.arange(size, dtype=np.int64)
    off = g.offsets
    maps = _maps(g)
    if level in ("teams", "units"):
        svc = np.arange(off[SERVICE], off[SERVICE + 1])
        team = g.service_team
        rep[svc[team >= 0]] = team[team >= 0]
    if level == "units":
        teams = np.arange(off[TEAM], off[TEAM + 1])
        tu = maps["team_unit"][teams]
        rep[teams[tu >= 0]] = tu[tu >= 0]
        home = g.home
        units = np.arange(off[UNIT], off[UNIT + 1])
        uo = maps["unit_org"][units]
        external = (uo >= 0) & (uo != home)
        rep[units[external]] = uo[external]
        orgs = np.arange(off[ORGANIZATION], off[ORGANIZATION + 1])
        rep[orgs[(orgs != home) & ~g.paying[orgs]]] = g.n + OTHERS
        if inside is not None and limit:
            paying = inside[g.paying[inside]]
            if len(paying) > PAYING_SHOWN:
                order = np.argsort(-maps["in_degree"][paying], kind="stable")
                rep[paying[order[PAYING_SHOWN:]]] = g.n + MORE_PAYING
    has_keep = keep is not None and len(keep) > 0
    if has_keep:
        rep[keep] = keep
    for _step in range(6):  # service → team → unit → organization → others
        nxt = rep[rep]
        if np.array_equal(nxt, rep):
            break
        rep = nxt
    if has_keep:
        rep[keep] = keep
    if level == "units" and inside is not None and limit:
        parent, depth = maps["unit_parent"], maps["unit_depth"]
        for _step in range(64):
            groups = np.unique(rep[inside])
            if len(groups) <= limit:
                break
            real = groups[groups < g.n]
            units = real[g.node_type[real] == UNIT]
            units = units[parent[units] >= 0]
            if has_keep:
                units = units[~np.isin(units, keep)]
            if len(units) == 0:
                break
            deepest = units[depth[units] == depth[units].max()]
            fold = np.arange(size, dtype=np.int64)
            fold[deepest] = parent[deepest]
            rep = fold[rep]
    return rep


def _level_for(g: ValueGraph, inside: np.ndarray, keep: np.ndarray | None) -> str:
    if len(inside) <= MAX_NODES:
        return "services"
    if len(np.unique(grouping(g, "teams", keep)[inside])) <= MAX_NODES:
        return "teams"
    return "units"


# --- the picture --------------------------------------------------------------------------------


def _href(g: ValueGraph, node: Node, links: Callable[[str, str], str] | None) -> str:
    if links is not None:
        return links(node.kind, node.key)
    if node.kind == "service":
        return reverse("valuechain:service", args=[node.key])
    if node.kind == "team":
        return reverse("valuechain:team", args=[node.key])
    if node.kind == "organization":
        return reverse("directory:organization", args=[node.key])
    if node.kind == "unit":
        if node.members.get("team") or node.members.get("service"):
            return (
                reverse("valuechain:map")
                + "?"
                + urlencode({"focus": f"unit:{node.key}", "group": "teams"})
            )
        org = _maps(g)["unit_org"][node.rep]
        if org >= 0:
            return reverse("directory:organization", args=[g.keys[org]])
        return reverse("valuechain:map") + "?" + urlencode({"focus": f"unit:{node.key}"})
    return reverse("directory:organizations")


def build(
    g: ValueGraph,
    nodes: np.ndarray | None = None,
    *,
    level: str | None = None,
    focus: list[int] | None = None,
    marked: np.ndarray | None = None,
    links: Callable[[str, str], str] | None = None,
    title: str = "",
) -> Picture:
    """Group, cap and lay out ``nodes`` (every node when None). ``focus`` nodes stay on their own
    and are outlined; ``marked`` nodes (e.g. the affected ones) are tinted."""
    if nodes is None:
        inside = np.arange(g.n, dtype=np.int64)
    else:
        inside = np.unique(np.asarray(nodes, dtype=np.int64))
    keep = np.asarray(focus or [], dtype=np.int64)
    keep = keep[keep >= 0]
    if level not in LEVELS:
        level = _level_for(g, inside, keep)
    rep = grouping(g, level, keep, inside, MAX_NODES if level == "units" else None)
    size = g.n + 2
    mask = np.zeros(size, dtype=bool)
    mask[inside] = True
    group_of = rep[inside]
    reps, counts_total = np.unique(group_of, return_counts=True)

    # Edges between groups (every edge of the full graph inside the picture).
    src, dst = g.full.src, g.full.dst
    m = mask[src] & mask[dst]
    s, d = src[m], dst[m]
    fund = s == g.home if g.home >= 0 else np.zeros(len(s), dtype=bool)
    gs, gd = rep[s], rep[d]
    m = gs != gd
    gs, gd, fund = gs[m], gd[m], fund[m]
    code, inverse, mult = np.unique(gs * size + gd, return_inverse=True, return_counts=True)
    only_fund = np.ones(len(code), dtype=bool)
    if len(code):
        np.logical_and.at(only_fund, inverse, fund)

    # The cap: keep the best-connected groups (focus and paying organizations first).
    hidden = 0
    if len(reps) > MAX_DRAW:
        deg = np.zeros(size, dtype=np.int64)
        np.add.at(deg, code // size, 1)
        np.add.at(deg, code % size, 1)
        score = deg[reps].astype(np.float64)
        score[np.isin(reps, keep)] += 1e12
        score[reps >= g.n] += 1e9  # the gathered organizations
        real = np.flatnonzero(reps < g.n)
        paying = real[g.paying[reps[real]]]
        best_paying = paying[np.argsort(-score[paying], kind="stable")[:PAYING_SHOWN]]
        score[best_paying] += 1e9  # a few paying customers always on top
        best = np.argsort(-score, kind="stable")[:MAX_DRAW]
        hidden = int(len(reps) - len(best))
        reps = np.sort(reps[best])
    drawn = np.zeros(size, dtype=bool)
    drawn[reps] = True
    ea, eb = code // size, code % size
    em = drawn[ea] & drawn[eb]
    ea, eb, mult, only_fund = ea[em], eb[em], mult[em], only_fund[em]
    hidden_edges = 0
    edge_cap = min(MAX_EDGES, EDGES_PER_NODE * max(len(reps), 1))
    if len(ea) > edge_cap:
        best = np.argsort(-mult, kind="stable")[:edge_cap]
        hidden_edges = int(len(ea) - len(best))
        ea, eb, mult, only_fund = ea[best], eb[best], mult[best], only_fund[best]

    # Members of each drawn group, by type.
    pos = {int(r): i for i, r in enumerate(reps.tolist())}
    member_types = g.node_type[inside]
    type_counts = np.zeros((len(reps), 4), dtype=np.int64)
    sel = drawn[group_of]
    idx = np.searchsorted(reps, group_of[sel])
    np.add.at(type_counts, (idx, member_types[sel].astype(np.int64)), 1)

    marked_set = np.zeros(size, dtype=bool)
    if marked is not None and len(marked):
        marked_set[rep[np.asarray(marked, dtype=np.int64)]] = True
    focus_set = set(keep.tolist())

    out: list[Node] = []
    for i, r in enumerate(reps.tolist()):
        members = {
            name: int(type_counts[i, t])
            for t, name in enumerate(("service", "unit", "organization", "team"))
        }
        members = {k: v for k, v in members.items() if v}
        if r == g.n + OTHERS:
            node = Node(r, "others", "", _("Organizations paying nothing"), members)
        elif r == g.n + MORE_PAYING:
            node = Node(r, "others", "", _("Other paying customers"), members)
        else:
            kind = g.type_name(r)
            node = Node(r, kind, g.keys[r], g.names[r], members)
        classes = [f"k-{node.kind}"]
        if (r < g.n and g.paying[r]) or r == g.n + MORE_PAYING:
            classes.append("paying")
        if r == g.home:
            classes.append("home")
        if r in focus_set:
            classes.append("focus")
        if marked_set[r]:
            classes.append("marked")
        if node.collapsed > 0:
            classes.append("group")
        node.classes = classes
        node.href = _href(g, node, links)
        out.append(node)

    edges = [
        (pos[a], pos[b], int(c), bool(f))
        for a, b, c, f in zip(
            ea.tolist(), eb.tolist(), mult.tolist(), only_fund.tolist(), strict=True
        )
    ]
    pic = Picture(
        out,
        edges,
        level,
        int(len(inside)),
        hidden=hidden,
        hidden_edges=hidden_edges,
        title=title,
    )
    layout(pic)
    return pic


# --- layout ---------------------------------------------------------------------------------------


def _layers(pic: Picture) -> list[int]:
    """Longest-path depth from the sources, on the strongly connected components; paying
    organizations on the top layer; sources that are not services (a unit hosting teams, the
    unit of a customer) pulled up to just below what they feed, so that only infrastructure
    sits at the bottom."""
    m = len(pic.nodes)
    if m == 0:
        return []
    a = np.asarray([e[0] for e in pic.edges], dtype=np.int64)
    b = np.asarray([e[1] for e in pic.edges], dtype=np.int64)
    adj = csr_matrix((np.ones(len(a)), (a, b)), shape=(m, m))
    nc, label = connected_components(adj, directed=True, connection="strong")
    ca, cb = label[a], label[b]
    keep = ca != cb
    succ: list[set[int]] = [set() for _ in range(nc)]
    indeg = [0] * nc
    for x, y in set(zip(ca[keep].tolist(), cb[keep].tolist(), strict=True)):
        succ[x].add(y)
        indeg[y] += 1
    sources = [indeg[c] == 0 for c in range(nc)]
    depth = [0] * nc
    order: list[int] = []
    stack = [c for c in range(nc) if indeg[c] == 0]
    while stack:
        c = stack.pop()
        order.append(c)
        for y in succ[c]:
            depth[y] = max(depth[y], depth[c] + 1)
            indeg[y] -= 1
            if indeg[y] == 0:
                stack.append(y)
    paying = [False] * nc
    service = [False] * nc
    for i, n in enumerate(pic.nodes):
        paying[label[i]] |= "paying" in n.classes
        service[label[i]] |= n.kind == "service"
    rest = [depth[c] for c in range(nc) if not paying[c]]
    height = (max(rest) + 1) if rest else 0
    for c in range(nc):
        if paying[c]:
            depth[c] = height
    for c in reversed(order):
        if sources[c] and not service[c] and succ[c]:
            depth[c] = max(min(depth[y] for y in succ[c]) - 1, 0)
    layers = [depth[label[i]] for i in range(m)]
    # Close the gaps left by lifting (empty layers).
    used = sorted(set(layers))
    remap = {v: k for k, v in enumerate(used)}
    return [remap[v] for v in layers]


KIND_ORDER = {"service": 0, "team": 1, "unit": 2, "organization": 3, "others": 4}


def layout(pic: Picture) -> None:
    nodes = pic.nodes
    layers = _layers(pic)
    if not nodes:
        pic.width, pic.height = 2 * MARGIN + NODE_W, 2 * MARGIN + NODE_H
        return
    count = max(layers) + 1
    rows: list[list[int]] = [[] for _ in range(count)]
    for i, layer in enumerate(layers):
        nodes[i].layer = layer
        rows[layer].append(i)
    for r in rows:
        r.sort(key=lambda i: (KIND_ORDER[nodes[i].kind], nodes[i].name.lower()))
    preds: list[list[int]] = [[] for _ in nodes]
    succs: list[list[int]] = [[] for _ in nodes]
    for a, b, _c, _f in pic.edges:
        if layers[a] != layers[b]:
            preds[b].append(a)
            succs[a].append(b)
    place = [0.0] * len(nodes)

    def measure() -> None:
        for r in rows:
            span = max(len(r) - 1, 1)
            for k, i in enumerate(r):
                place[i] = k / span

    measure()
    for _sweep in range(4):
        for order, links in ((range(1, count), preds), (range(count - 2, -1, -1), succs)):
            for layer in order:
                r = rows[layer]

                def centre(i: int, links=links) -> float:
                    ns = links[i]
                    return sum(place[j] for j in ns) / len(ns) if ns else place[i]

                r.sort(key=centre)
                span = max(len(r) - 1, 1)
                for k, i in enumerate(r):
                    place[i] = k / span

    # Coordinates: the top layer first; a layer wider than ROW_MAX wraps onto several rows.
    per_row = min(ROW_MAX, max(len(r) for r in rows))
    width = 2 * MARGIN + per_row * NODE_W + (per_row - 1) * GAP_X
    y = MARGIN
    for layer in range(count - 1, -1, -1):
        r = rows[layer]
        chunks = [r[k : k + ROW_MAX] for k in range(0, len(r), ROW_MAX)] or [[]]
        for chunk in chunks:
            w = len(chunk) * NODE_W + (len(chunk) - 1) * GAP_X
            x = (width - w) / 2
            for i in chunk:
                nodes[i].x, nodes[i].y = x, y
                x += NODE_W + GAP_X
            y += NODE_H + GAP_ROW
        y += GAP_LAYER - GAP_ROW
    pic.width = int(width)
    pic.height = int(y - GAP_LAYER + GAP_ROW + MARGIN)


# --- rendering ------------------------------------------------------------------------------------


def _short(text: str, n: int = LABEL_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _sub(node: Node) -> str:
    if node.kind == "others":
        n = node.members.get("organization", 0)
        return ngettext("%(n)d organization", "%(n)d organizations", n) % {"n": n}
    parts = []
    if node.collapsed > 0:
        for kind in ("team", "service", "unit"):
            n = node.members.get(kind, 0) - (1 if kind == node.kind else 0)
            if n > 0:
                parts.append(
                    {
                        "team": ngettext("%(n)d team", "%(n)d teams", n),
                        "service": ngettext("%(n)d service", "%(n)d services", n),
                        "unit": ngettext("%(n)d unit", "%(n)d units", n),
                    }[kind]
                    % {"n": n}
                )
    label = type_label(node.kind)
    if "paying" in node.classes:
        label = _("paying customer")
    elif "home" in node.classes:
        label = _("home organization")
    return label + (" · " + ", ".join(parts) if parts else "")


def render(pic: Picture) -> SafeString:
    """The picture as an inline ``<svg>`` element."""
    nodes = pic.nodes
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="vc-graph" width="{pic.width}" '
        f'height="{pic.height}" viewBox="0 0 {pic.width} {pic.height}" role="group" '
        f'aria-label="{escape(pic.title or _("Value chain"))}">',
        '<defs><marker id="vc-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'class="vc-arrow"/></marker></defs>',
        '<g class="vc-edges">',
    ]
    for a, b, count, fund in pic.edges:
        na, nb = nodes[a], nodes[b]
        x1, y1 = na.x + NODE_W / 2, na.y
        if nb.y < na.y:
            x2, y2 = nb.x + NODE_W / 2, nb.y + NODE_H
            dy = max((y1 - y2) / 2, 20)
            d = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{y1 - dy:.0f} {x2:.0f},{y2 + dy:.0f} {x2:.0f},{y2:.0f}"
        else:  # same row or upside down (a cycle): an arc above
            x2, y2 = nb.x + NODE_W / 2, nb.y
            lift = 26 + abs(x2 - x1) / 8
            d = (
                f"M{x1:.0f},{y1:.0f} C{x1:.0f},{y1 - lift:.0f} {x2:.0f},{y2 - lift:.0f} "
                f"{x2:.0f},{y2:.0f}"
            )
        cls = "vc-edge fund" if fund else "vc-edge"
        if "marked" in na.classes and "marked" in nb.classes:
            cls += " marked"
        sw = 1.2 + min(math.log2(count), 3) * 0.6
        out.append(
            f'<path class="{cls}" d="{d}" stroke-width="{sw:.1f}" marker-end="url(#vc-arrow)">'
            f"<title>{escape(na.name)} → {escape(nb.name)}"
            f"{'' if count == 1 else f' ({count})'}</title></path>"
        )
    out.append('</g><g class="vc-nodes">')
    for n in nodes:
        sub = _sub(n)
        tip = f"{n.name} ({n.key}) · {sub}" if n.key else f"{n.name} · {sub}"
        out.append(
            f'<a href="{escape(n.href)}" class="vc-node {" ".join(n.classes)}" '
            f'data-key="{escape(n.key)}" data-kind="{n.kind}">'
            f"<title>{escape(tip)}</title>"
            f'<rect x="{n.x:.0f}" y="{n.y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="6"/>'
            f'<text x="{n.x + 8:.0f}" y="{n.y + 16:.0f}" class="vc-name">{escape(_short(n.name))}</text>'
            f'<text x="{n.x + 8:.0f}" y="{n.y + 30:.0f}" class="vc-sub">'
            f"{escape(_short(sub, 25))}</text></a>"
        )
    out.append("</g></svg>")
    return mark_safe("".join(out))


def resolve(g: ValueGraph, focus: str) -> int:
    """A node from ``KEY`` or ``TYPE:KEY`` (types: service, team, unit, organization); services
    first, then teams, units and organizations when only a key is given. -1 when unknown."""
    text = (focus or "").strip()
    if not text:
        return -1
    kinds = {"service": SERVICE, "team": TEAM, "unit": UNIT, "organization": ORGANIZATION}
    wanted = list(kinds.values())
    kind, sep, key = text.partition(":")
    if sep and kind in kinds:
        wanted, text = [kinds[kind]], key
    index = getattr(g, "_vc_key_index", None)
    if index is None:
        index = {}
        for t in (SERVICE, TEAM, UNIT, ORGANIZATION):
            lo, hi = g.offsets[t], g.offsets[t + 1]
            index[t] = {g.keys[i]: i for i in range(lo, hi)}
        g._vc_key_index = index  # type: ignore[attr-defined]
    for t in wanted:
        if text in index[t]:
            return index[t][text]
    return -1
