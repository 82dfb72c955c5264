"""The value chain graph (``valuechain/graph.py``) equals the graph its docstring defines, built
edge by edge with networkx from the same rows, on random worlds (no database: ``GraphData``).

An edge ``a → b`` reads "if ``a`` fails, ``b`` is affected": provider service → its consumer
(service, unit, organization); service → its team; unit → parent unit and → organization;
unit → the teams sitting in it; team → the paying organizations whose people are its paying
customers (never the home organization); and, in the *full* graph only, the home organization →
every paying organization. Rows naming an unknown id make no edge; a service consuming itself is
a cycle, not an edge. Compared: the edges, the paying organizations and the home, what every node
reaches (and the paying organizations among it, per team too), breadth-first search and its
shortest paths from one or several sources, the cycles, the isolated services, the lookups."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest

from clientmap.valuechain.graph import (
    ORGANIZATION,
    SERVICE,
    TEAM,
    TYPE_NAMES,
    UNIT,
    GraphData,
    ValueGraph,
    gather,
)

KINDS = (SERVICE, UNIT, ORGANIZATION, TEAM)


def _ids(rng: random.Random, n: int) -> list[int]:
    return rng.sample(range(1, 60), n)  # not contiguous, not in order


def random_data(rng: random.Random, *, homes: int = 1) -> GraphData:
    ns, nu, no, nt = rng.randint(0, 12), rng.randint(0, 6), rng.randint(1, 6), rng.randint(0, 7)
    sids, uids, oids, tids = _ids(rng, ns), _ids(rng, nu), _ids(rng, no), _ids(rng, nt)
    homes = min(homes, no)

    def some(ids: list[int], none: float = 0.2):
        """One of ``ids``, sometimes None, sometimes an id nobody has (a dangling row)."""
        x = rng.random()
        if x < none or not ids:
            return None
        if x < none + 0.08:
            return 99 + rng.randint(0, 5)
        return rng.choice(ids)

    teams = [(t, f"t{t}", f"Team {t}", some(uids)) for t in tids]
    services = [(s, f"s{s}", f"Service {s}", some(tids)) for s in sids]
    units = [(u, f"u{u}", f"Unit {u}", some(oids, 0) or oids[0], some(uids, 0.4)) for u in uids]
    organizations = [(o, f"o{o}", f"Org {o}", i < homes) for i, o in enumerate(oids)]
    rng.shuffle(organizations)

    def pairs(a: list[int], b: list[int], k: int) -> list[tuple[int, int]]:
        out = []
        for _ in range(k):
            x, y = some(a, 0), some(b, 0)
            if x is not None and y is not None:
                out.append((x, y))
        return out

    service_consumers = pairs(sids, sids, rng.randint(0, 2 * ns))
    if sids and rng.random() < 0.3:
        s = rng.choice(sids)
        service_consumers.append((s, s))  # a service consuming itself
    service_consumers += service_consumers[:2]  # duplicated rows
    return GraphData(
        services=services,
        units=units,
        organizations=organizations,
        teams=teams,
        service_consumers=service_consumers,
        unit_consumers=pairs(sids, uids, rng.randint(0, ns)),
        organization_consumers=pairs(sids, oids, rng.randint(0, ns)),
        paying_relations=pairs(tids, oids, rng.randint(0, 2 * nt + 1)),
    )


class Model:
    """The graph of the docstring, in networkx, on the nodes numbered like ValueGraph's: the
    services by id, then the units, the organizations and the teams."""

    def __init__(self, d: GraphData):
        rows = (d.services, d.units, d.organizations, d.teams)
        self.ids = [sorted(r[0] for r in rs) for rs in rows]
        self.offsets = [0]
        for ids in self.ids:
            self.offsets.append(self.offsets[-1] + len(ids))
        self.n = self.offsets[-1]
        self.rows = {(k, r[0]): r for k, rs in zip(KINDS, rows, strict=True) for r in rs}
        homes = sorted(r[0] for r in d.organizations if r[3])
        self.home = self.node(ORGANIZATION, homes[0]) if homes else -1
        self.direct = nx.DiGraph()
        self.direct.add_nodes_from(range(self.n))
        self.self_loops = set()

        def edge(ka, a, kb, b):
            u, v = self.node(ka, a), self.node(kb, b)
            if u < 0 or v < 0:
                return
            if u == v:
                if ka == SERVICE:
                    self.self_loops.add(u)
                return
            self.direct.add_edge(u, v)

        for a, b in d.service_consumers:
            edge(SERVICE, a, SERVICE, b)
        for a, b in d.unit_consumers:
            edge(SERVICE, a, UNIT, b)
        for a, b in d.organization_consumers:
            edge(SERVICE, a, ORGANIZATION, b)
        for s, _k, _n, team in d.services:
            edge(SERVICE, s, TEAM, team)
        for u, _k, _n, org, parent in d.units:
            edge(UNIT, u, UNIT, parent)
            edge(UNIT, u, ORGANIZATION, org)
        for t, _k, _n, unit in d.teams:
            edge(UNIT, unit, TEAM, t)
        self.paying = set()
        for t, o in d.paying_relations:
            org = self.node(ORGANIZATION, o)
            if org >= 0 and org != self.home and not self.rows[(ORGANIZATION, o)][3]:
                self.paying.add(org)
                edge(TEAM, t, ORGANIZATION, o)
        self.full = self.direct.copy()
        if self.home >= 0:
            for p in self.paying:
                self.full.add_edge(self.home, p)
        self.degree = {}
        for s in d.services:
            self.degree[self.node(SERVICE, s[0])] = 0
        for pairs, ends in (
            (d.service_consumers, (0, 1)),
            (d.unit_consumers, (0,)),
            (d.organization_consumers, (0,)),
        ):
            for pair in pairs:
                for end in ends:
                    node = self.node(SERVICE, pair[end])
                    if node >= 0:
                        self.degree[node] += 1
        self.team_of = {
            self.node(SERVICE, s): self.node(TEAM, t) for s, _k, _n, t in d.services if t
        }

    def node(self, kind: int, db_id) -> int:
        ids = self.ids[kind]
        if db_id in ids:
            return self.offsets[kind] + ids.index(db_id)
        return -1

    def kind(self, node: int) -> int:
        return next(k for k in KINDS if self.offsets[k] <= node < self.offsets[k + 1])

    def key(self, node: int) -> str:
        k = self.kind(node)
        return self.rows[(k, self.ids[k][node - self.offsets[k]])][1]


def _edges(closure) -> set[tuple[int, int]]:
    return set(zip(closure.src.tolist(), closure.dst.tolist(), strict=True))


def _bits(g: ValueGraph, bits: int) -> set[int]:
    return set(g.bits_to_nodes(bits))


WORLDS = [(seed, 1) for seed in range(40)] + [(seed, 0) for seed in range(40, 48)]
WORLDS += [(seed, 2) for seed in range(48, 52)]


@pytest.mark.parametrize(("seed", "homes"), WORLDS)
def test_the_graph_equals_its_definition(seed, homes) -> None:
    d = random_data(random.Random(seed), homes=homes)
    g = ValueGraph.build(d)
    m = Model(d)

    assert g.n == m.n and list(g.offsets) == m.offsets
    assert g.home == m.home
    assert set(g.paying_nodes.tolist()) == m.paying
    assert g.paying.tolist() == [i in m.paying for i in range(m.n)]
    assert _edges(g.direct) == set(m.direct.edges)
    assert _edges(g.full) == set(m.full.edges)
    assert g.edges == m.full.number_of_edges()
    assert set(g.self_loops.tolist()) == m.self_loops

    # what each node reaches, and the paying organizations among it (itself included)
    for closure, graph in ((g.full, m.full), (g.direct, m.direct)):
        for v in range(m.n):
            reached = nx.descendants(graph, v) | {v}
            paying = reached & m.paying
            assert _bits(g, closure.node_bits(v)) == paying, (v, closure is g.full)
            assert bool(closure.reaches_paying[v]) == bool(paying)
    for v in range(m.n):
        assert set(g.descendants(v).tolist()) == nx.descendants(m.full, v)

    # per team: the paying organizations the team or any of its services reaches
    for direct, graph in ((False, m.full), (True, m.direct)):
        bits = g.team_bits(direct=direct)
        assert len(bits) == len(m.ids[TEAM])
        for i in range(len(m.ids[TEAM])):
            team = m.offsets[TEAM] + i
            starts = {team} | {s for s, t in m.team_of.items() if t == team}
            reached = set().union(*(nx.descendants(graph, s) | {s} for s in starts))
            assert _bits(g, bits[i]) == reached & m.paying
            services = {s for s, t in m.team_of.items() if t == team}
            assert set(g.services_of_team(team).tolist()) == services

    # cycles: the strongly connected components of more than one node of the direct graph
    # (a self-consumption is a cycle of its own, shown by the callers from ``self_loops``),
    # largest first, then by the key of their first node
    expected = [sorted(c) for c in nx.strongly_connected_components(m.direct) if len(c) > 1]
    expected.sort(key=lambda c: (-len(c), m.key(c[0])))
    assert g.cycles() == expected

    isolated = sorted(s for s, deg in m.degree.items() if deg == 0)
    assert g.isolated_services().tolist() == isolated


@pytest.mark.parametrize("seed", range(30))
def test_breadth_first_search_gives_shortest_paths(seed) -> None:
    rng = random.Random(seed)
    d = random_data(rng)
    g = ValueGraph.build(d)
    m = Model(d)
    if m.n == 0:
        return
    for direct, graph in ((False, m.full), (True, m.direct)):
        for k in (1, 1, 2, 3):
            sources = sorted(set(rng.sample(range(m.n), min(k, m.n))))
            order, pred = g.bfs(sources if k > 1 else sources[0], direct=direct)
            if k > 1:
                order2, _ = g.bfs(sources + sources[:1], direct=direct)  # a source twice
                assert order2.tolist() == order.tolist()
            reached = set().union(*(nx.descendants(graph, s) | {s} for s in sources))
            assert set(order.tolist()) == reached and len(order) == len(reached)
            assert set(order[: len(sources)].tolist()) == set(sources)  # sources first
            assert pred.shape == (m.n,)
            dist = nx.multi_source_dijkstra_path_length(graph, set(sources))
            # breadth first: never a node farther than one after it
            assert [dist[v] for v in order.tolist()] == sorted(dist[v] for v in order.tolist())
            targets = np.asarray(sorted(reached), dtype=np.int64)
            many = g.paths(pred, targets)
            for t, p in zip(targets.tolist(), many, strict=True):
                one = g.path(pred, t)
                assert p == one
                assert one[0] in sources and one[-1] == t
                assert len(one) - 1 == dist[t]  # a shortest path
                assert all(graph.has_edge(a, b) for a, b in zip(one, one[1:], strict=False))
                if t not in sources:
                    assert pred[t] >= 0
                assert [x["key"] for x in g.path_labels(pred, t)] == [m.key(x) for x in one]
            for v in set(range(m.n)) - reached:
                assert pred[v] < 0
    empty_order, empty_pred = g.bfs([], direct=False)
    assert len(empty_order) == 0 and (empty_pred < 0).all() and len(empty_pred) == m.n
    assert g.paths(pred, np.empty(0, dtype=np.int64)) == []


@pytest.mark.parametrize("seed", range(10))
def test_lookups_by_database_id(seed) -> None:
    d = random_data(random.Random(seed))
    g = ValueGraph.build(d)
    m = Model(d)
    for kind in KINDS:
        ids = m.ids[kind]
        unknown = [0, 61, 98] + [i + 1 for i in ids if i + 1 not in ids][:2]
        for db_id in ids + unknown:
            assert g.node(kind, db_id) == m.node(kind, db_id)
        assert g.nodes(kind, np.asarray(ids + unknown)).tolist() == [
            m.node(kind, i) for i in ids + unknown
        ]
        nodes = np.arange(m.n)
        assert g.of_type(nodes, kind).tolist() == [v for v in range(m.n) if m.kind(v) == kind]
    for v in range(m.n):
        k = m.kind(v)
        row = m.rows[(k, m.ids[k][v - m.offsets[k]])]
        assert g.type_name(v) == TYPE_NAMES[k]
        assert g.label(v) == {"type": TYPE_NAMES[k], "key": row[1], "name": row[2]}
        assert int(g.db_id[v]) == row[0] and int(g.node_type[v]) == k


def test_a_path_stops_at_a_loop_in_bad_predecessors() -> None:
    pred = np.asarray([1, 2, 1, -1])
    assert ValueGraph.path(pred, 0) == [2, 1, 0]
    assert ValueGraph.path(pred, 3) == [3]


def test_gather_concatenates_the_rows_of_several_nodes() -> None:
    indptr = np.asarray([0, 2, 2, 5, 6])
    indices = np.asarray([7, 8, 9, 10, 11, 12])
    assert gather(indptr, indices, np.asarray([2, 0, 1, 3])).tolist() == [9, 10, 11, 7, 8, 12]
    assert gather(indptr, indices, np.asarray([1])).tolist() == []
    assert gather(indptr, indices, np.asarray([], dtype=np.int64)).tolist() == []


def test_an_empty_world() -> None:
    g = ValueGraph.build(GraphData([], [], [], [], [], [], [], []))
    assert g.n == 0 and g.home == -1 and g.edges == 0
    assert g.cycles() == [] and g.isolated_services().tolist() == []
    assert g.team_bits() == [] and g.full.reaches_paying.tolist() == []
