"""Time the value-chain queries (V1 reach, V2 impact) against networkx on the same graph.

``python -m bench.graph [--services 20000 --edges 100000 --teams 2000 --organizations 10000]``
generates a deterministic random layered graph (infrastructure services at the bottom, business
services on top, consumed by units and external organizations, a few back edges making cycles)
directly in a fresh database (a temporary SQLite file, or ``--database-url`` for PostgreSQL,
which is emptied), marks a share of the external organizations as paying (one cash request
each, then the C1/C2 recompute), and measures in the same run:

* the median time of an impact query (breadth-first search with predecessors, from one service)
  against ``networkx.descendants`` from the same service, on the same edges;
* the reach of every team (all paying customers each team's services reach) computed at once
  against calling ``networkx.descendants`` once per team (from a virtual node linked to the
  team's services and to the team).

Prints a table and writes bench/results/graph.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def generate(args: argparse.Namespace) -> dict[str, int]:
    """Write the graph straight into the database with bulk inserts; return row counts."""
    import numpy as np

    from clientmap.catalog.models import Consumption, Service
    from clientmap.customers import rules as customer_rules
    from clientmap.directory.models import Organization, Person, Team, Unit
    from clientmap.engagements.models import Request

    rng = np.random.default_rng(args.seed)
    batch = 5000

    # Organizations: one home, the rest external.
    n_org = args.organizations
    Organization.objects.bulk_create(
        [Organization(key="home", name="Home", is_home=True)]
        + [Organization(key=f"org-{i:05d}", name=f"Account {i}") for i in range(1, n_org)],
        batch_size=batch,
    )
    org_ids = np.asarray(Organization.objects.order_by("id").values_list("id", flat=True))
    home_id, ext_ids = int(org_ids[0]), org_ids[1:]

    # Units: a tree in the home organization, one unit in a tenth of the external ones.
    n_home_units = max(10, args.teams // 10)
    Unit.objects.bulk_create(
        [
            Unit(key=f"hu-{i:04d}", name=f"Business unit {i}", organization_id=home_id)
            for i in range(n_home_units)
        ],
        batch_size=batch,
    )
    home_units = np.asarray(Unit.objects.order_by("id").values_list("id", flat=True))
    parents = [
        Unit(id=int(u), parent_id=int(home_units[rng.integers(0, i)]))
        for i, u in enumerate(home_units.tolist())
        if i > 0
    ]
    Unit.objects.bulk_update(parents, ["parent"], batch_size=batch)
    ext_with_unit = ext_ids[::10]
    Unit.objects.bulk_create(
        [
            Unit(key=f"xu-{int(o)}", name=f"Department of {int(o)}", organization_id=int(o))
            for o in ext_with_unit
        ],
        batch_size=batch,
    )
    ext_units = np.asarray(
        Unit.objects.exclude(organization_id=home_id).order_by("id").values_list("id", flat=True)
    )

    # Teams, in home units.
    Team.objects.bulk_create(
        [
            Team(
                key=f"team-{i:04d}",
                name=f"Team {i}",
                unit_id=int(home_units[rng.integers(0, len(home_units))]),
            )
            for i in range(args.teams)
        ],
        batch_size=batch,
    )
    team_ids = np.asarray(Team.objects.order_by("id").values_list("id", flat=True))

    # Services in layers, infrastructure (0) at the bottom.
    n = args.services
    weights = np.asarray([1, 1.5, 2, 2.5, 3], dtype=float)
    sizes = np.floor(weights / weights.sum() * n).astype(int)
    sizes[-1] += n - sizes.sum()
    layer = np.repeat(np.arange(len(sizes)), sizes)
    # Teams own services of one or two neighbouring layers, like real teams.
    svc_team = team_ids[rng.integers(0, len(team_ids), n)]
    Service.objects.bulk_create(
        [
            Service(key=f"svc-{i:05d}", name=f"Service {i} (L{int(layer[i])})", team_id=int(t))
            for i, t in enumerate(svc_team.tolist())
        ],
        batch_size=batch,
    )
    svc_ids = np.asarray(Service.objects.order_by("id").values_list("id", flat=True))
    starts = np.concatenate([[0], np.cumsum(sizes)])

    n_unit_edges = args.edges // 20
    n_org_edges = args.edges // 10
    n_back = args.cycles
    n_svc_edges = args.edges - n_unit_edges - n_org_edges - 3 * n_back

    # Service → service: a consumer in layer L > 0 consumes a provider in a lower layer (mostly
    # L - 1) at about the same relative position (a database cluster serves the applications
    # next to it, not every application of the company): reach grows as a cone, not a flood.
    consumers = rng.integers(starts[1], n, n_svc_edges * 2)
    c_layer = layer[consumers]
    drop = np.where(rng.random(len(consumers)) < 0.8, 1, rng.integers(1, c_layer + 1))
    p_layer = np.maximum(c_layer - drop, 0)
    rel = (consumers - starts[c_layer]) / sizes[c_layer]
    rel = (rel + rng.normal(0, args.spread, len(consumers))) % 1.0
    providers = starts[p_layer] + (rel * sizes[p_layer]).astype(int)
    pairs = np.unique(np.stack([providers, consumers], axis=1), axis=0)
    pairs = pairs[rng.permutation(len(pairs))[:n_svc_edges]]
    # Small rings inside one layer (2 to 4 services consuming each other) make cycles.
    ring_edges = []
    for _ in range(n_back):
        k = int(rng.integers(2, 5))
        lay = int(rng.integers(0, len(sizes)))
        first = int(rng.integers(starts[lay], starts[lay + 1] - k))
        ring = list(range(first, first + k))
        ring_edges += [(ring[i], ring[(i + 1) % k]) for i in range(k)]
    pairs = np.unique(np.concatenate([pairs, np.asarray(ring_edges).reshape(-1, 2)]), axis=0)
    rows = [
        Consumption(provider_id=int(svc_ids[p]), consumer_service_id=int(svc_ids[c]))
        for p, c in pairs.tolist()
    ]
    # Units consume upper-layer services; external organizations the top layer.
    all_units = np.concatenate([home_units, ext_units])
    up = starts[3]
    unit_pairs = np.unique(
        np.stack(
            [
                rng.integers(up, n, n_unit_edges),
                all_units[rng.integers(0, len(all_units), n_unit_edges)],
            ],
            axis=1,
        ),
        axis=0,
    )
    rows += [
        Consumption(provider_id=int(svc_ids[p]), consumer_unit_id=int(u))
        for p, u in unit_pairs.tolist()
    ]
    top = starts[4]
    org_pairs = np.unique(
        np.stack(
            [
                rng.integers(top, n, n_org_edges),
                ext_ids[rng.integers(0, len(ext_ids), n_org_edges)],
            ],
            axis=1,
        ),
        axis=0,
    )
    rows += [
        Consumption(provider_id=int(svc_ids[p]), consumer_organization_id=int(o))
        for p, o in org_pairs.tolist()
    ]
    Consumption.objects.bulk_create(rows, batch_size=batch)

    # Paying accounts: a share of the external organizations, one cash request each.
    paying = ext_ids[rng.random(len(ext_ids)) < args.paying_share]
    Person.objects.bulk_create(
        [
            Person(key=f"buyer-{int(o)}", name=f"Buyer {int(o)}", organization_id=int(o))
            for o in paying
        ],
        batch_size=batch,
    )
    people = list(Person.objects.order_by("id").values_list("id", flat=True))
    today = date.today()
    Request.objects.bulk_create(
        [
            Request(
                key=f"req-{i}",
                requester_id=int(p),
                team_id=int(team_ids[rng.integers(0, len(team_ids))]),
                status=Request.Status.ACCEPTED,
                payment=Request.Payment.CASH,
                opened=today,
            )
            for i, p in enumerate(people)
        ],
        batch_size=batch,
    )
    customer_rules.recompute()
    return {
        "services": int(n),
        "consumption_edges": Consumption.objects.count(),
        "service_edges": int(len(pairs)),
        "unit_edges": int(len(unit_pairs)),
        "organization_edges": int(len(org_pairs)),
        "teams": int(len(team_ids)),
        "organizations": int(len(org_ids)),
        "units": int(len(all_units)),
        "paying_organizations": int(len(paying)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=20_000)
    parser.add_argument("--edges", type=int, default=100_000)
    parser.add_argument("--teams", type=int, default=2_000)
    parser.add_argument("--organizations", type=int, default=10_000)
    parser.add_argument("--paying-share", type=float, default=0.3)
    parser.add_argument("--cycles", type=int, default=40, help="small rings of services")
    parser.add_argument(
        "--spread", type=float, default=0.02, help="how far (share of a layer) providers lie"
    )
    parser.add_argument(
        "--networkx-teams",
        type=int,
        default=0,
        help="time networkx on this many teams only and extrapolate (default: every team)",
    )
    parser.add_argument("--samples", type=int, default=200, help="impact queries timed")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL of a scratch database (it is emptied); default: a temporary SQLite file",
    )
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="clientmap-graph-"))
    os.environ["CLIENTMAP_DATA_DIR"] = str(tmp)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientmap.settings")
    import django

    django.setup()
    import networkx as nx
    import numpy as np
    from django.core.management import call_command
    from django.db import connection

    from clientmap.catalog.models import Service
    from clientmap.valuechain import rules, selectors
    from clientmap.valuechain.rules import SERVICE, TEAM

    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)

    t = time.perf_counter()
    counts = generate(args)
    generate_s = time.perf_counter() - t

    rules.invalidate()
    t = time.perf_counter()
    g = rules.load_graph()
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    rules.load_graph()
    cached_s = time.perf_counter() - t

    # The same edges in networkx.
    t = time.perf_counter()
    G = nx.DiGraph()
    G.add_nodes_from(range(g.n))
    G.add_edges_from(zip(g.full.src.tolist(), g.full.dst.tolist(), strict=True))
    nx_build_s = time.perf_counter() - t

    # --- impact: one service ------------------------------------------------------------------
    rng = np.random.default_rng(args.seed + 1)
    first, last = g.offsets[SERVICE], g.offsets[SERVICE + 1]
    sample = rng.choice(np.arange(first, last), size=min(args.samples, last - first), replace=False)
    ours, theirs, ours_full, reached = [], [], [], []
    for s in sample.tolist():
        t = time.perf_counter()
        order, _pred = g.bfs([s])
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        d = nx.descendants(G, s)
        theirs.append(time.perf_counter() - t)
        if len(order) - 1 != len(d):
            raise SystemExit(f"disagreement on node {s}: {len(order) - 1} vs {len(d)}")
        reached.append(len(d))
        t = time.perf_counter()
        selectors.impact_graph(g, s, limit=200)
        ours_full.append(time.perf_counter() - t)
    db_sample = sample[:20].tolist()
    services = Service.objects.in_bulk([int(g.db_id[s]) for s in db_sample])
    with_db = []
    for s in db_sample:
        t = time.perf_counter()
        selectors.impact(services[int(g.db_id[s])], limit=200, graph=g)
        with_db.append(time.perf_counter() - t)

    # --- reach of every team --------------------------------------------------------------------
    for closure in {id(g.full): g.full, id(g.direct): g.direct}.values():
        for name in ("components", "condensation", "component_bits", "reaches_paying"):
            closure.__dict__.pop(name, None)
    t = time.perf_counter()
    bits = g.team_bits()
    reach_all_s = time.perf_counter() - t
    paying = set(g.paying_nodes.tolist())
    t = time.perf_counter()
    nx_counts = []
    virtual = g.n
    first_team = g.offsets[TEAM]
    n_teams = g.offsets[TEAM + 1] - first_team
    timed = min(args.networkx_teams or n_teams, n_teams)
    for k in range(timed):
        team = first_team + k
        G.add_edges_from((virtual, x) for x in [team, *g.services_of_team(team).tolist()])
        nx_counts.append(len(nx.descendants(G, virtual) & paying))
        G.remove_node(virtual)
    nx_reach_s = (time.perf_counter() - t) * n_teams / timed
    ours_counts = [b.bit_count() for b in bits]
    if ours_counts[:timed] != nx_counts:
        raise SystemExit("reach of all teams disagrees with networkx")
    flagged = sum(1 for b in bits if b == 0)
    direct_counts = [b.bit_count() for b in g.team_bits(direct=True)]

    med = statistics.median
    result = {
        "database": connection.vendor,
        "python": sys.version.split()[0],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "arguments": vars(args) | {"database_url": bool(args.database_url)},
        "graph": {**counts, "nodes": g.n, "edges_in_graph": g.edges},
        "cycles": len(g.cycles()),
        "largest_cycle": max((len(c) for c in g.cycles()), default=0),
        "generate_seconds": round(generate_s, 2),
        "load_seconds": round(load_s, 3),
        "load_cached_seconds": round(cached_s, 4),
        "networkx_build_seconds": round(nx_build_s, 3),
        "impact": {
            "samples": len(sample),
            "median_nodes_reached": int(med(reached)),
            "ours_median_ms": round(med(ours) * 1000, 3),
            "networkx_median_ms": round(med(theirs) * 1000, 3),
            "ratio": round(med(ours) / med(theirs), 4),
            "ours_with_paths_median_ms": round(med(ours_full) * 1000, 3),
            "ratio_with_paths": round(med(ours_full) / med(theirs), 4),
            "ours_with_database_median_ms": round(med(with_db) * 1000, 2),
        },
        "reach_all": {
            "teams": len(bits),
            "ours_seconds": round(reach_all_s, 3),
            "networkx_seconds": round(nx_reach_s, 2),
            "networkx_teams_timed": timed,
            "ratio": round(reach_all_s / nx_reach_s, 5),
            "teams_reaching_no_paying_customer": flagged,
            "median_paying_reached": int(med(ours_counts)),
            "median_paying_reached_directly": int(med(direct_counts)),
        },
    }
    imp, ra = result["impact"], result["reach_all"]
    rows = [
        ("database", result["database"]),
        ("services / edges", f"{counts['services']} / {counts['consumption_edges']}"),
        ("teams / organizations", f"{counts['teams']} / {counts['organizations']}"),
        ("paying organizations", counts["paying_organizations"]),
        ("graph nodes / edges", f"{g.n} / {g.edges}"),
        ("cycles (SCC > 1)", result["cycles"]),
        ("generate", f"{generate_s:.2f} s"),
        ("load graph (cold / cached)", f"{load_s:.3f} s / {cached_s * 1000:.1f} ms"),
        ("impact median: ours", f"{imp['ours_median_ms']:.3f} ms"),
        ("impact median: networkx", f"{imp['networkx_median_ms']:.3f} ms"),
        ("impact ratio (target ≤ 0.2)", f"{imp['ratio']:.4f}"),
        (
            "impact with paths / ratio",
            f"{imp['ours_with_paths_median_ms']:.3f} ms / {imp['ratio_with_paths']:.4f}",
        ),
        ("impact incl. database", f"{imp['ours_with_database_median_ms']:.2f} ms"),
        ("reach all teams: ours", f"{ra['ours_seconds']:.3f} s"),
        (
            "reach all teams: networkx",
            f"{ra['networkx_seconds']:.2f} s"
            + ("" if timed == n_teams else f" (extrapolated from {timed} teams)"),
        ),
        ("reach ratio (target < 0.1)", f"{ra['ratio']:.5f}"),
        ("teams reaching no paying", flagged),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    path = out / "graph.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
