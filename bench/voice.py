"""Wishes at scale: 50 000 wishes and 1 000 000 votes; page times of the portal and coverage.

``python -m bench.voice [--wishes 50000 --votes 1000000 --people 20000] [--database-url URL]``
builds the data with bulk inserts in a fresh database (a temporary SQLite file, or the
PostgreSQL database named, which is emptied), then times, through Django's test client as a
signed-in staff user, the wish list sorted by votes, sorted by weighted demand, a search, and the
coverage page and figures; prints p50/p95 and writes bench/results/voice.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wishes", type=int, default=50_000)
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="clientmap-bench-voice-"))
    os.environ["CLIENTMAP_DATA_DIR"] = str(tmp)
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientmap.settings")
    import django

    django.setup()
    from datetime import date

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client

    from clientmap.customers import rules
    from clientmap.directory.models import Organization, Person, Team
    from clientmap.engagements.models import Request
    from clientmap.voice import selectors
    from clientmap.voice.models import Vote, Wish
    from clientmap.voice.services import _recount

    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)

    started = time.perf_counter()
    with transaction.atomic():
        home = Organization.objects.create(key="home", name="Home", is_home=True)
        acme = Organization.objects.create(key="acme", name="Acme")
        Person.objects.bulk_create(
            [
                Person(key=f"p{i}", name=f"Person {i}", organization=acme if i % 3 == 0 else home)
                for i in range(args.people)
            ],
            batch_size=5000,
        )
        ids = list(Person.objects.order_by("id").values_list("id", flat=True))
        teams = Team.objects.bulk_create([Team(key=f"t{i}", name=f"Team {i}") for i in range(50)])
        Request.objects.bulk_create(
            [
                Request(
                    key=f"r{i}",
                    requester_id=ids[i],
                    team=teams[i % 50],
                    status="fulfilled",
                    payment="cash" if i % 3 == 0 else "internal",
                    opened=date.today(),
                )
                for i in range(0, args.people, 2)
            ],
            batch_size=5000,
        )
        Wish.objects.bulk_create(
            [
                Wish(
                    key=f"w{i}",
                    author_id=ids[i % len(ids)],
                    title=f"Wish number {i} about reports and exports {i % 97}",
                    team=teams[i % 50],
                    status=("new", "planned", "already_covered", "delivered")[i % 4],
                )
                for i in range(args.wishes)
            ],
            batch_size=5000,
        )
        wish_ids = list(Wish.objects.order_by("id").values_list("id", flat=True))
        per = max(1, args.votes // len(wish_ids))
        rows = []
        for w_index, wid in enumerate(wish_ids):
            n = min(per * 2 if w_index % 10 == 0 else per, len(ids))
            start = (w_index * 13) % len(ids)
            rows.extend(Vote(wish_id=wid, person_id=ids[(start + j) % len(ids)]) for j in range(n))
            if len(rows) >= 50_000:
                Vote.objects.bulk_create(rows, batch_size=10_000)
                rows = []
        Vote.objects.bulk_create(rows, batch_size=10_000)
        _recount(wish_ids)
    rules.recompute()
    build = time.perf_counter() - started
    votes = Vote.objects.count()

    User = get_user_model()
    staff = User.objects.create_user("bench", password="x", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)

    def timed(url: str) -> dict:
        times = []
        for _ in range(args.samples):
            t = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        return {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        }

    def timed_call(fn) -> dict:
        times = []
        for _ in range(args.samples):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        return {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        }

    results = {
        "database": connection.vendor,
        "wishes": Wish.objects.count(),
        "votes": votes,
        "people": args.people,
        "build_seconds": round(build, 1),
        "list_by_votes": timed("/voice/"),
        "list_by_demand": timed("/voice/?sort=demand"),
        "search": timed("/voice/?q=exports+42"),
        "coverage_page": timed("/voice/coverage/"),
        "coverage_figures": timed_call(selectors.coverage),
    }
    print(f"voice bench — {results['database']}: {results['wishes']} wishes, {votes} votes")
    for name in ("list_by_votes", "list_by_demand", "search", "coverage_page", "coverage_figures"):
        r = results[name]
        print(f"{name:<18} p50 {r['p50_ms']:>8.1f} ms   p95 {r['p95_ms']:>8.1f} ms")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "voice.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
