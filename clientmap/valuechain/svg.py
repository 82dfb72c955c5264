"""The picture of the value chain: a layered graph drawn as plain server-side SVG.

Value flows upwards: infrastructure at the bottom, paying customers at the top. This module
chooses what to draw (which nodes, how they are grouped); ``layout`` lays it out as a layered
graph with crossing minimisation (Sugiyama) and ``drawing`` writes the SVG. The whole chain is
drawn with teams inside their unit by default.

Large graphs stay readable:

* **collapse** — above ``MAX_NODES`` nodes, services are drawn inside their provider team
  (``teams``), or teams and services inside their unit, the units of external organizations in
  their organization and the organizations that pay nothing in one node (``units``). The
  smallest level that fits is chosen unless one is asked for; ``services`` draws every node.
* **neighbourhood** — ``neighbourhood(g, node, depth)``: the nodes within ``depth`` edges of a
  node, upstream and downstream.
* a hard cap (``MAX_DRAW``): beyond it the best-connected nodes are kept and the rest counted.

Every node is a link (service → its impact page, team → its reach page, unit or organization →
the organization's page, a collapsed unit → the map around it). ``selected`` highlights what a
node depends on and what depends on it. No JavaScript, no library.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import numpy as np
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientmap.valuechain import drawing
from clientmap.valuechain import layout as lay
from clientmap.valuechain.rules import ORGANIZATION, SERVICE, TEAM, UNIT, ValueGraph, gather

LEVELS = ("services", "teams", "units")
MAX_NODES = 150  # above this many nodes, collapse by default
MAX_DRAW = 300  # never draw more nodes than this
MAX_EDGES = 1500
EDGES_PER_NODE = 5  # and at most this many per drawn node
NEIGHBOURHOOD_CAP = 20_000  # stop widening a neighbourhood beyond this many nodes


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
    w: float = 0.0
    h: float = 0.0
    lines: list[str] = field(default_factory=list)  # the name, wrapped
    sub: str = ""  # kind and contents, in full
    sub_line: str = ""  # the same, fitted to one line

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
    routes: list = field(default_factory=list)  # per edge, the points it passes through
    edge_classes: list = field(default_factory=list)
    crossings: int = 0  # edge crossings of the layout (dummy nodes included)
    arcs: bool = False
    highlighted: bool = False

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
    selected: int | None = None,
    fund_edges: bool | None = None,
) -> Picture:
    """Group, cap and lay out ``nodes`` (every node when None). ``focus`` nodes stay on their own
    and are outlined; ``marked`` nodes (e.g. the affected ones) are tinted; the paths upstream
    and downstream of ``selected`` (a graph node, drawn or inside a drawn group) are
    highlighted. ``fund_edges``: draw the home organization's "funded by every paying customer"
    edges (default: not on the whole chain, where the legend says it and the edges would cross
    everything; yes on a part of it)."""
    if nodes is None:
        inside = np.arange(g.n, dtype=np.int64)
    else:
        inside = np.unique(np.asarray(nodes, dtype=np.int64))
    keep = np.asarray(focus or [], dtype=np.int64)
    keep = keep[keep >= 0]
    if level not in LEVELS:
        # The whole chain: teams inside their unit (the readable default); a part of it: the
        # smallest level that fits.
        level = "units" if nodes is None else _level_for(g, inside, keep)
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
    if fund_edges is None:
        fund_edges = nodes is not None
    if not fund_edges:
        s, d, fund = s[~fund], d[~fund], fund[~fund]
    # A unit that has a parent unit belongs to its organization through it: its own edge to the
    # organization says nothing more and is not drawn (the parent's is).
    maps = _maps(g)
    t = g.node_type
    implied = (t[s] == UNIT) & (t[d] == ORGANIZATION) & (maps["unit_parent"][s] >= 0)
    s, d, fund = s[~implied], d[~implied], fund[~implied]
    # A unit's place in the organization chart (its edge to its parent unit or organization) is
    # drawn only when the unit serves nothing else: a unit that serves others is shown by what it
    # serves, and its value reaches the organization through them.
    belongs = (t[s] == UNIT) & (
        ((t[d] == UNIT) & (maps["unit_parent"][s] == d))
        | ((t[d] == ORGANIZATION) & (maps["unit_org"][s] == d))
    )
    gs, gd = rep[s], rep[d]
    m = gs != gd
    gs, gd, fund, belongs = gs[m], gd[m], fund[m], belongs[m]
    serving = np.zeros(size, dtype=bool)
    serving[gs[~belongs]] = True
    drop = belongs & serving[gs]
    gs, gd, fund = gs[~drop], gd[~drop], fund[~drop]
    codes = gs * size + gd
    code, mult = np.unique(codes, return_counts=True)
    # a group edge is a "funds" edge when every edge it stands for is one
    only_fund = ~np.isin(code, codes[~fund])

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
    selected_reps: set[int] = set()
    if selected is not None and 0 <= selected < g.n:
        # A team is selected with its services (what it runs): their upstream is what the team
        # depends on, their downstream what depends on it.
        chosen = [selected]
        if g.node_type[selected] == TEAM:
            chosen += g.services_of_team(selected).tolist()
        selected_reps = {int(rep[c]) for c in chosen}

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
        if r in selected_reps:
            classes.append("selected")
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


# --- layout and drawing (clientmap.valuechain.layout, clientmap.valuechain.drawing) ------------


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


def layout(pic: Picture) -> None:
    """Wrap the labels, lay the picture out (``layout.arrange``) and copy the places back."""
    boxes = []
    for n in pic.nodes:
        n.sub = _sub(n)
        n.lines = lay.wrap(n.name)
        n.sub_line = lay.wrap(n.sub, lay.NAME_WIDTH, lay.SUB_FONT, 1)[0]
        boxes.append(lay.Box(n.lines, n.sub_line, fixed_top="paying" in n.classes))
    result = lay.arrange(
        boxes,
        [(a, b) for a, b, _c, _f in pic.edges],
        service=[n.kind == "service" for n in pic.nodes],
    )
    for n, b in zip(pic.nodes, boxes, strict=True):
        n.x, n.y, n.w, n.h, n.layer = b.x, b.y, b.w, b.h, b.layer
    pic.routes = result.routes
    pic.crossings = result.crossings
    pic.arcs = any(pic.nodes[a].layer == pic.nodes[b].layer for a, b, _c, _f in pic.edges)
    pic.width, pic.height = int(math.ceil(result.width)), int(math.ceil(result.height))
    _highlight(pic)


def _highlight(pic: Picture) -> None:
    """With a selected node: tint what it depends on (upstream) and what depends on it
    (downstream), and the edges on those paths; dim the rest."""
    pic.edge_classes = [[] for _ in pic.edges]
    chosen = [i for i, n in enumerate(pic.nodes) if "selected" in n.classes]
    if not chosen:
        return
    pic.highlighted = True
    preds: list[list[int]] = [[] for _ in pic.nodes]
    succs: list[list[int]] = [[] for _ in pic.nodes]
    for a, b, _c, fund in pic.edges:
        if not fund:
            preds[b].append(a)
            succs[a].append(b)

    def walk(start: list[int], nxt: list[list[int]]) -> set[int]:
        seen, stack = set(start), list(start)
        while stack:
            for v in nxt[stack.pop()]:
                if v not in seen:
                    seen.add(v)
                    stack.append(v)
        return seen

    ups, downs = walk(chosen, preds), walk(chosen, succs)
    for i, n in enumerate(pic.nodes):
        if i in chosen:
            continue
        n.classes.append("up" if i in ups else "down" if i in downs else "dim")
    for k, (a, b, _c, fund) in enumerate(pic.edges):
        if fund:
            pic.edge_classes[k].append("dim")
        elif a in ups and b in ups:
            pic.edge_classes[k].append("up")
        elif a in downs and b in downs:
            pic.edge_classes[k].append("down")
        else:
            pic.edge_classes[k].append("dim")


def render(pic: Picture) -> SafeString:
    """The picture as an inline ``<svg>`` element (``drawing.render``)."""
    return drawing.render(pic)


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
