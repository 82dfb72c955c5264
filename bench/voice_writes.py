"""What one write of the voice area costs at scale: ``python -m bench.voice_writes --data-dir DIR
[--database-url URL]`` on a copy of the pages world (bench/pages.py: 1 000 000 requests, 20 000
wishes, 200 000 votes). It writes: run it on a copy you may throw away.

Times, with every commit hook and ``derived.ensure_current`` after it, as a page would: one vote,
its unvote, a merge of two wishes, and a saved request (its customer relations are rebuilt and
its account placed again, so the stored demand of the voters' wishes follows). For each it
prints the wall time, the number of queries and the time of the ``UPDATE "voice_wish"``
statements (how much of the write is the stored demand), and writes
bench/results/voice-writes-<db>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from bench import step

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--skip", default="", help="comma-separated writes not to time")
    args = parser.parse_args(argv)
    step.setup(Path(args.data_dir), args.database_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clientmap.core import derived
    from clientmap.directory.models import Person
    from clientmap.engagements.models import Request
    from clientmap.voice import services
    from clientmap.voice.models import Vote, Wish

    derived.ensure_current()
    live = Wish.objects.filter(merged_into__isnull=True).order_by("id")
    wish, other = live[5], live[7]
    voted = Vote.objects.filter(wish=wish).values("person_id")
    person = (
        Person.objects.exclude(pk__in=voted).filter(organization__is_home=False).order_by("id")[3]
    )
    request = Request.objects.filter(requester__organization__is_home=False).order_by("id").first()

    def save_request() -> None:
        request.title = (request.title or "") + "."
        request.save()

    writes = {
        "vote": lambda: services.vote(wish, person),
        "unvote": lambda: services.unvote(wish, person),
        "merge": lambda: services.merge(other, wish),
        "request saved (relations, placements)": save_request,
    }
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    results: dict = {"database": connection.vendor, "load_before": os.getloadavg(), "writes": {}}
    for name, write in writes.items():
        if name.split(" ")[0] in skip:
            continue
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            write()
            derived.ensure_current()
            seconds = time.perf_counter() - started
        wish_updates = [
            q for q in ctx.captured_queries if q["sql"].startswith('UPDATE "voice_wish"')
        ]
        r = {
            "ms": round(seconds * 1000, 1),
            "queries": len(ctx.captured_queries),
            "wish_updates": len(wish_updates),
            "wish_update_ms": round(sum(float(q["time"]) for q in wish_updates) * 1000, 1),
            "every_wish_updated": any(
                'WHERE "voice_wish"."id"' not in q["sql"] for q in wish_updates
            ),
        }
        results["writes"][name] = r
        print(
            f"{name:40s} {r['ms']:10.1f} ms  {r['queries']:4d} queries  wish UPDATEs "
            f"{r['wish_updates']} ({r['wish_update_ms']} ms, every wish: {r['every_wish_updated']})",
            flush=True,
        )
    results["load_after"] = os.getloadavg()
    print("load", results["load_before"], "->", results["load_after"])
    out = ROOT / "bench" / "results" / f"voice-writes-{connection.vendor}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    return results


if __name__ == "__main__":
    main()
