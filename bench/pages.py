"""Every main page at scale: ``python -m bench pages [--requests N] [--database-url URL]``.

Builds the synthetic world (bench/world.py: at the default 1 000 000 requests, 100 000 people,
2 000 teams) imported through the workbook, with 20 000 wishes and 200 000 votes
(``bench.step.world_db``) — or reuses it when the database already holds exactly that world
(a SQLite file kept in ``--data-dir``, or the PostgreSQL database named; a different world there
is emptied). Then, in this process, through Django's test client as a signed-in staff user and
with every middleware of the product, it measures each main page and list endpoint: median and
p95 of ``--samples`` requests after a warm-up, and the SQL queries of one request — beside a bare
view (a constant, through the same middleware and session) in the same run. Writes
bench/results/pages-<db>-<N>.json and prints a Markdown table (``--docs`` also writes it into
docs/benchmarks.md between its markers, with the load average).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import tempfile
import time
from pathlib import Path

from bench import step

ROOT = Path(__file__).resolve().parent.parent

# (name, URL with {placeholders} filled from ``subjects``)
PAGES = [
    ("bare view (constant)", "/bench/bare/"),
    ("overview /", "/"),
    ("teams", "/teams/"),
    ("a team's customers (the largest team)", "/teams/{team}/"),
    ("people", "/people/"),
    ("a person", "/people/{person}/"),
    ("organizations", "/directory/"),
    ("an organization", "/directory/{org}/"),
    ("value-chain map", "/value-chain/"),
    ("a team's reach (value chain)", "/value-chain/teams/{team}/"),
    ("service impact (the widest service)", "/value-chain/services/{service}/"),
    ("requests", "/requests/"),
    ("open requests (the overview's link)", "/requests/?status=open"),
    ("wishes", "/voice/"),
    ("wishes sorted by demand", "/voice/?sort=demand"),
    ("a wish (the most voted)", "/voice/wishes/{wish}/"),
    ("voice coverage", "/voice/coverage/"),
    ("satisfaction", "/experience/"),
    ("a team's satisfaction (the largest team)", "/experience/teams/{team}/"),
    ("a person's journey", "/experience/people/{person}/journey/"),
    ("never asked", "/experience/never-asked/"),
    ("surveys", "/experience/surveys/"),
    ("fit matrix", "/fit/"),
    ("an account (fit)", "/fit/accounts/{org}/"),
    ("fit moves", "/fit/moves/"),
    ("fit history", "/fit/history/"),
    ("teams reaching no paying customer", "/value-chain/no-paying-customer/"),
    ("this month's alerts", "/value-chain/alerts/"),
    ("inbox", "/inbox/"),
    ("API: teams", "/api/directory/teams?limit=50"),
    ("API: team customers", "/api/customers/teams/{team}/customers?limit=50"),
    ("API: people", "/api/directory/people?limit=50"),
    ("API: customer of a person", "/api/customers/people/{person}"),
    ("API: wishes by demand", "/api/voice/wishes?sort=demand&limit=50"),
    ("API: service impact", "/api/valuechain/services/{service}/impact"),
]


def subjects() -> dict:
    """The largest team, a person who is a customer, an organization, the most voted wish, and
    the service whose failure reaches the most teams (of the first 300 services)."""
    from django.db.models import Count

    from clientmap.catalog.models import Service
    from clientmap.customers.models import CustomerRelation
    from clientmap.directory.models import Organization
    from clientmap.valuechain.graph import SERVICE, TEAM, load_graph

    team = (
        CustomerRelation.objects.values("team__key")
        .annotate(n=Count("id"))
        .order_by("-n", "team__key")
        .first()
    )
    person = CustomerRelation.objects.order_by("person_id").values_list("person__key", flat=True)
    org = Organization.objects.filter(is_home=False).order_by("id").values_list("key", flat=True)
    from clientmap.voice.models import Wish

    wish = Wish.objects.order_by("-vote_count", "key").values_list("key", flat=True)
    g = load_graph()
    import numpy as np

    best, best_teams = None, -1
    for pk, key in Service.objects.order_by("id").values_list("id", "key")[:300]:
        node = g.node(SERVICE, pk)
        if node < 0:
            continue
        order, _pred = g.bfs(np.asarray([node], dtype=np.int64))
        n = len(g.of_type(order, TEAM))
        if n > best_teams:
            best, best_teams = key, n
    return {
        "team": team["team__key"] if team else "",
        "person": person.first() or "",
        "org": org.first() or "",
        "wish": wish.first() or "",
        "service": best or "",
        "service_teams": best_teams,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m bench pages", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--wishes", type=int, default=20_000)
    parser.add_argument("--votes", type=int, default=200_000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL database (it may be emptied)"
    )
    parser.add_argument(
        "--data-dir",
        default="",
        help="where the SQLite world is kept for reuse (default: a folder per size in the temp dir)",
    )
    parser.add_argument(
        "--budget", type=float, default=60, help="seconds per page before it stops sampling"
    )
    parser.add_argument("--only", default="", help="a regular expression: only pages it matches")
    parser.add_argument(
        "--docs", action="store_true", help="write the table into docs/benchmarks.md"
    )
    args = parser.parse_args(argv)

    data_dir = Path(
        args.data_dir or Path(tempfile.gettempdir()) / f"clientmap-bench-pages-{args.requests}"
    )
    step.setup(data_dir, args.database_url, urlconf="bench.load_urls")
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    world = step.world_db(args.requests, data_dir / "world", wishes=args.wishes, votes=args.votes)
    print(
        ("built" if world["built"] else "reused")
        + f" the world of {args.requests} requests"
        + (f" in {world['seconds']} s" if world["built"] else ""),
        flush=True,
    )
    from clientmap.core import derived

    t = time.perf_counter()
    derived.ensure_current()
    current_s = time.perf_counter() - t
    info = subjects()
    User = get_user_model()
    staff, _ = User.objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff)
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "database": connection.vendor,
        "requests": args.requests,
        "wishes": args.wishes,
        "votes": args.votes,
        "world": world,
        "first_ensure_current_seconds": round(current_s, 1),
        "subjects": info,
        "samples": args.samples,
        "load_before": os.getloadavg(),
        "pages": {},
    }
    only = re.compile(args.only) if args.only else None
    for name, path in PAGES:
        if only and not only.search(name) and name != PAGES[0][0]:
            continue
        url = path.format(**info)
        try:
            r = step.timed_get(client, url, args.samples, budget=args.budget)
        except Exception as exc:  # a page that fails is reported, not fatal to the run
            r = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        results["pages"][name] = {"url": url, **r}
        if "error" in r:
            print(f"{name:42s} ERROR {r['error']}", flush=True)
        else:
            print(
                f"{name:42s} median {r['median_ms']:8.1f} ms  p95 {r['p95_ms']:8.1f} ms  "
                f"(CPU {r['cpu_median_ms']:.1f} / {r['cpu_p95_ms']:.1f})  "
                f"{r['queries']:3d} queries",
                flush=True,
            )
    results["load_after"] = os.getloadavg()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"pages-{connection.vendor}-{args.requests}.json"
    path.write_text(json.dumps(results, indent=1) + "\n")
    table = markdown(results)
    print("\n" + table)
    print(f"written to {path.relative_to(ROOT)}")
    if args.docs:
        write_docs(table, connection.vendor)
    return results


def markdown(results: dict) -> str:
    la = results["load_before"]
    lb = results["load_after"]
    lines = [
        f"{results['database']}, {results['requests']:,} requests, {results['wishes']:,} wishes, "
        f"{results['votes']:,} votes; {results['machine']}; median and p95 of "
        f"{results['samples']} requests after a warm-up; load average "
        f"{la[0]:.1f} before, {lb[0]:.1f} after (a shared machine: loaded). CPU: this process's "
        "CPU time per request (on PostgreSQL without the server's).",
        "",
        "| page | median ms | p95 ms | CPU median / p95 ms | queries | × bare (median) | samples |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    bare = results["pages"].get("bare view (constant)", {}).get("median_ms") or 1
    for name, r in results["pages"].items():
        if "error" in r:
            lines.append(f"| {name} | error | | | | | |")
            continue
        lines.append(
            f"| {name} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | "
            f"{r.get('cpu_median_ms', 0):.1f} / {r.get('cpu_p95_ms', 0):.1f} | {r['queries']} | "
            f"{r['median_ms'] / bare:.0f} | {r['samples']} |"
        )
    return "\n".join(lines)


def write_docs(table: str, vendor: str) -> None:
    docs = ROOT / "docs" / "benchmarks.md"
    text = docs.read_text(encoding="utf-8")
    begin, end = f"<!-- bench pages {vendor} -->", f"<!-- /bench pages {vendor} -->"
    block = f"{begin}\n{table}\n{end}"
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _m: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    docs.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
