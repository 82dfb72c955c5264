"""Experience (X1) at scale: 1 000 000 requests and 300 000 touchpoints.

``python -m bench.experience [--requests 1000000 --touchpoints 300000] [--database-url URL]``
writes the synthetic world (bench/world.py) and imports it through the workbook into a fresh
database (a temporary SQLite file, or the PostgreSQL database named, which is emptied); gives
the agreed requests target dates (about half are then delivered late); adds the recorded
touchpoints (two thirds survey answers with a score, the rest meetings, calls and mails) and
the surveys sent (one per answer, plus a quarter more unanswered). Then it measures the time to
derive the touchpoints from the requests (from empty, unchanged, after 1 000 changed requests)
and, through Django's test client as a signed-in staff user, the p50/p95 of the satisfaction
pages (by team, service, organization, kind; one team's page with its value-chain view), the
never-asked list (everyone, one team) and a person's journey. Writes
bench/results/experience-<db>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--touchpoints", type=int, default=300_000)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--keep",
        default="",
        help="a data directory to keep the world in; a second run with the same directory (or "
        "the same PostgreSQL database) and a world of that size re-times the derivation and "
        "the pages",
    )
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="on a kept world, time the pages only (not the derivation)",
    )
    parser.add_argument(
        "--derive-only",
        action="store_true",
        help="time the derivation only (not the satisfaction table nor the pages)",
    )
    args = parser.parse_args(argv)

    tmp = (
        Path(args.keep)
        if args.keep
        else Path(tempfile.mkdtemp(prefix="clientmap-bench-experience-"))
    )
    tmp.mkdir(parents=True, exist_ok=True)
    os.environ["CLIENTMAP_DATA_DIR"] = str(tmp)
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientmap.settings")
    import django

    django.setup()
    from datetime import datetime, timedelta

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from bench import world
    from clientmap.engagements.models import Request
    from clientmap.experience import derive
    from clientmap.experience.models import Survey, Touchpoint
    from clientmap.imports import workbook

    call_command("migrate", verbosity=0)
    results_file = (
        Path(__file__).parent / "results" / f"experience-{connection.vendor}-{args.requests}.json"
    )
    kept = bool(args.keep or args.database_url)
    have_requests = kept and Request.objects.count() >= args.requests * 0.99
    have_world = have_requests and Touchpoint.objects.filter(derived=False).exists()
    if have_world and results_file.exists() and args.pages_only:
        get_user_model().objects.filter(username="bench").delete()
        return _pages(args, json.loads(results_file.read_text()), results_file)
    today = timezone.localdate()
    import_seconds = touchpoints_seconds = None  # a kept world: only derivation and pages
    get_user_model().objects.filter(username="bench").delete()
    if not have_requests:  # (a world imported by a run stopped before its touchpoints: on)
        if connection.vendor == "postgresql" or args.keep:
            call_command("flush", interactive=False, verbosity=0)

        folder = tmp / "world"
        world.write(folder, world.Scale(requests=args.requests))
        started = time.perf_counter()
        workbook.import_workbook(folder)
        import_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # the import's tables were never analysed in one go
    if not have_world:
        # Target dates: accepted + 0..29 days (closings are accepted + 0..59 days: ~half late).
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "UPDATE engagements_request SET target = accepted + CAST(id % 30 AS integer) "
                    "WHERE accepted IS NOT NULL"
                )
            else:
                cursor.execute(
                    "UPDATE engagements_request SET target = date(accepted, '+' || (id % 30) || "
                    "' days') WHERE accepted IS NOT NULL"
                )

        # Recorded touchpoints and the surveys behind the answers.
        rnd = random.Random(2026)
        today = timezone.localdate()
        rows = list(
            Request.objects.filter(status="fulfilled")
            .order_by("id")
            .values_list("id", "requester_id", "team_id", "service_id")[: args.touchpoints]
        )
        started = time.perf_counter()
        answers = args.touchpoints * 2 // 3
        tps, surveys = [], []
        with transaction.atomic():
            for i in range(args.touchpoints):
                rid, person, team, service = rows[i % len(rows)]
                day = today - timedelta(days=rnd.randrange(420))
                at = timezone.make_aware(datetime.combine(day, datetime.min.time()))
                survey = i < answers
                tps.append(
                    Touchpoint(
                        key=f"b{i}",
                        person_id=person,
                        team_id=team,
                        service_id=service,
                        request_id=rid if survey else None,
                        kind="survey" if survey else ("meeting", "call", "mail")[i % 3],
                        day=day,
                        at=at,
                        score=rnd.choices([1, 2, 3, 4, 5], [1, 1, 2, 4, 4])[0] if survey else None,
                    )
                )
                if survey or i % 4 == 0:
                    surveys.append(
                        Survey(
                            person_id=person,
                            team_id=team,
                            service_id=service,
                            reason="segment",
                            sent_at=at - timedelta(days=1),
                            expires_at=at + timedelta(days=29),
                            answered_at=at if survey else None,
                        )
                    )
                if len(tps) >= 20_000:
                    Touchpoint.objects.bulk_create(tps, batch_size=5000)
                    tps = []
            Touchpoint.objects.bulk_create(tps, batch_size=5000)
            Survey.objects.bulk_create(surveys, batch_size=5000)
        touchpoints_seconds = time.perf_counter() - started

    after_commit: list[float] = []
    derive_cpu: list[float] = []
    server_cpu: list[float] = []

    # The CPU seconds of this connection's PostgreSQL server process (same machine): on
    # PostgreSQL the derivation's work is there, not in this process.
    from bench.step import server_cpu as backend_cpu

    def derive_seconds(before=None) -> float:
        """The derivation, committed; what the commit then brings current (the satisfaction
        table, core.derived) is timed apart, in ``after_commit``."""
        if before:
            before()
        marks: list[float] = []
        server = backend_cpu()
        t, cpu = time.perf_counter(), time.process_time()

        def committed() -> None:  # the first hook: before those that bring tables current
            marks.append(time.perf_counter())
            derive_cpu.append(round(time.process_time() - cpu, 1))
            if server is not None:
                server_cpu.append(round((backend_cpu() or 0) - server, 1))

        with transaction.atomic():
            transaction.on_commit(committed)
            derive.derive()
        after_commit.append(round(time.perf_counter() - marks[0], 1))
        return round(marks[0] - t, 1)

    def empty() -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM experience_touchpoint WHERE derived")

    def change() -> None:
        ids = list(
            Request.objects.filter(status="accepted")
            .order_by("id")
            .values_list("id", flat=True)[:1000]
        )
        Request.objects.filter(id__in=ids).update(status="fulfilled", closed=today)

    load_at_derive = [round(x, 2) for x in os.getloadavg()]
    derive_empty = derive_seconds(empty)
    derive_same = derive_seconds()
    derive_changed = derive_seconds(change)
    derived = Touchpoint.objects.filter(derived=True).count()
    previous = json.loads(results_file.read_text()) if results_file.exists() else {}
    results = {
        "database": connection.vendor,
        "requests": Request.objects.count(),
        "recorded_touchpoints": Touchpoint.objects.filter(derived=False).count(),
        "derived_touchpoints": derived,
        "surveys": Survey.objects.count(),
        "import_seconds_with_derive": round(import_seconds, 1)
        if import_seconds
        else previous.get("import_seconds_with_derive"),
        "touchpoints_insert_seconds": round(touchpoints_seconds, 1)
        if touchpoints_seconds
        else previous.get("touchpoints_insert_seconds"),
        "load_average_at_derive": load_at_derive,
        "derive_from_empty_seconds": derive_empty,
        "derive_unchanged_seconds": derive_same,
        "derive_after_1000_changes_seconds": derive_changed,
        # CPU seconds of this process for the three, up to the commit (SQLite: the whole work;
        # PostgreSQL: the client's share only)
        "derive_cpu_seconds": derive_cpu,
        # PostgreSQL: the CPU seconds of the server process for the three, up to the commit
        "derive_server_cpu_seconds": server_cpu or None,
        "load_average_after_derive": [round(x, 2) for x in os.getloadavg()],
        # after each of the three commits: the derived tables made from the touchpoints (the
        # satisfaction figures) brought current
        "derived_tables_after_commit_seconds": after_commit,
    }
    if args.derive_only:
        print(json.dumps(results, indent=2))
        results_file.parent.mkdir(exist_ok=True)
        results_file.write_text(json.dumps(results, indent=2) + "\n")
        return results
    return _pages(args, results, results_file)


def _pages(args, results: dict, results_file: Path) -> dict:
    """The p50/p95 of the pages, as a signed-in staff user, written into ``results_file``."""
    import django
    from django.contrib.auth import get_user_model
    from django.test import Client

    from clientmap.core import derived as derived_tables
    from clientmap.experience.models import Touchpoint

    derived_tables.ensure_current()  # what a reader would find: every derived table current
    from clientmap.experience import store

    t = time.perf_counter()
    if store.ensure_current():  # the satisfaction table, brought current by its pages
        results["satisfaction_table_rebuild_seconds"] = round(time.perf_counter() - t, 1)
        results["satisfaction_rows"] = store.SatisfactionRow.objects.count()
    results.update(_scoped(store))
    User = get_user_model()
    staff = User.objects.create_user("bench", password="x", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    busiest = (
        Touchpoint.objects.filter(kind="survey")
        .values("team__key")
        .order_by()
        .annotate(n=django.db.models.Count("id"))
        .order_by("-n")
        .first()["team__key"]
    )
    person = Touchpoint.objects.filter(derived=False).values_list("person__key", flat=True)[0]

    def timed(url: str) -> dict:
        client.get(url)  # warm (the value-chain graph is built once per process)
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

    pages = {
        "satisfaction_by_team": "/experience/",
        "satisfaction_by_service": "/experience/?by=service",
        "satisfaction_by_organization": "/experience/?by=organization",
        "satisfaction_by_kind": "/experience/?by=kind",
        "satisfaction_by_organization_sorted_page_3": (
            "/experience/?by=organization&sort=-csat&page=3"
        ),
        "satisfaction_by_service_filtered": "/experience/?by=service&q=1&kind=external_paying",
        "satisfaction_of_a_team_by_organization": f"/experience/?team={busiest}&by=organization",
        "team_page_with_value_chain": f"/experience/teams/{busiest}/",
        "never_asked_everyone": "/experience/never-asked/",
        "never_asked_one_team": f"/experience/never-asked/?team={busiest}",
        "journey": f"/experience/people/{person}/journey/",
        "api_satisfaction_by_organization": "/api/experience/satisfaction?by=organization",
        "api_satisfaction_by_team": "/api/experience/satisfaction?by=team",
        "api_never_asked": "/api/experience/never-asked",
    }
    import os as _os

    results["load_average"] = [round(x, 2) for x in _os.getloadavg()]
    for name, url in pages.items():
        results[name] = timed(url)
        r = results[name]
        print(f"{name:<42} p50 {r['p50_ms']:>8.1f} ms   p95 {r['p95_ms']:>8.1f} ms", flush=True)
    print(json.dumps({k: v for k, v in results.items() if not isinstance(v, dict)}, indent=2))
    results_file.parent.mkdir(exist_ok=True)
    results_file.write_text(json.dumps(results, indent=2) + "\n")
    return results


def _scoped(store) -> dict:
    """The satisfaction table brought current after one answer recorded, after it was moved to
    another team, and after it was deleted (each rebuilds the groups it touched, not all)."""
    from django.db import transaction
    from django.utils import timezone

    from clientmap.experience.models import Touchpoint

    busy = list(
        Touchpoint.objects.filter(kind="survey", team__isnull=False)
        .order_by("id")
        .values_list("person_id", "team_id", "service_id")[:2]
    )
    (person, team, service), (_p, other, _s) = busy[0], busy[-1]
    Touchpoint.objects.filter(key="bench-scoped").delete()
    store.ensure_current()
    out: dict = {"load_average_at_scoped": [round(x, 2) for x in os.getloadavg()]}

    def timed(name: str, write) -> None:
        with transaction.atomic():
            write()
        t = time.perf_counter()
        store.ensure_current()
        out[name] = round(time.perf_counter() - t, 2)

    def add() -> None:
        Touchpoint.objects.create(
            key="bench-scoped",
            person_id=person,
            team_id=team,
            service_id=service,
            kind="survey",
            score=4,
            day=timezone.localdate(),
        )

    def move() -> None:
        tp = Touchpoint.objects.get(key="bench-scoped")
        tp.team_id = other
        tp.save()

    timed("satisfaction_after_one_answer_seconds", add)
    timed("satisfaction_after_an_answer_moved_seconds", move)
    timed(
        "satisfaction_after_an_answer_deleted_seconds",
        lambda: Touchpoint.objects.filter(key="bench-scoped").delete(),
    )
    print(json.dumps(out), flush=True)
    return out


if __name__ == "__main__":
    main()
