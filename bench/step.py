"""One measured step of the benchmark, run in its own process so its peak memory is its own.

``python -m bench.step STEP ARGS…`` prints one JSON object: seconds, peak_mb and step details.
The database is the one CLIENTMAP_DATA_DIR / DATABASE_URL name (set by ``python -m bench``).
"""

from __future__ import annotations

import csv
import json
import os
import resource
import sqlite3
import sys
import time
from pathlib import Path


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# Each timed step also gives ``cpu_seconds``: the CPU time (user + system) of the timed part in
# this process. On a shared, loaded machine it is the fairer figure: wall time also counts the
# time spent waiting for a core. (A PostgreSQL server's own CPU time is not in it.)


def baseline(requests_csv: str, db_file: str) -> dict:
    """The raw floor: read the request rows and executemany them into one bare table."""
    Path(db_file).unlink(missing_ok=True)
    con = sqlite3.connect(db_file)
    con.execute(
        "CREATE TABLE request (key TEXT, requester TEXT, team TEXT, service TEXT, status TEXT, "
        "payment TEXT, opened TEXT, accepted TEXT, target TEXT, closed TEXT, title TEXT)"
    )
    started, cpu = time.perf_counter(), time.process_time()
    with open(requests_csv, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        con.executemany("INSERT INTO request VALUES (?,?,?,?,?,?,?,?,?,?,?)", reader)
    con.commit()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = con.execute("SELECT COUNT(*) FROM request").fetchone()[0]
    con.close()
    return {"seconds": seconds, "cpu_seconds": round(cpu, 2), "rows": rows}


def baseline_file(path: str, db_file: str) -> dict:
    """The raw floor for a foreign export: csv.reader (gunzipped) + executemany of every row,
    every column, into one bare table."""
    import gzip

    Path(db_file).unlink(missing_ok=True)
    con = sqlite3.connect(db_file)
    started, cpu = time.perf_counter(), time.process_time()
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        cols = ", ".join(f"c{i} TEXT" for i in range(len(header)))
        con.execute(f"CREATE TABLE raw ({cols})")
        marks = ", ".join("?" * len(header))
        con.executemany(f"INSERT INTO raw VALUES ({marks})", reader)
    con.commit()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = con.execute("SELECT COUNT(*) FROM raw").fetchone()[0]
    con.close()
    return {"seconds": seconds, "cpu_seconds": round(cpu, 2), "rows": rows}


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientmap.settings")
    import django

    django.setup()


# --- shared by the in-process benchmarks (bench/pages.py; the others may use them too) --------


def setup(data_dir: Path, database_url: str = "", urlconf: str = "") -> None:
    """Point Django at a benchmark database (a SQLite file in ``data_dir``, or ``database_url``)
    and set it up in this process."""
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["CLIENTMAP_DATA_DIR"] = str(data_dir)
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    if urlconf:
        os.environ["CLIENTMAP_URLCONF"] = urlconf
    _django()


def world_db(requests: int, folder: Path, *, wishes: int = 0, votes: int = 0) -> dict:
    """Build the synthetic world of ``requests`` (bench/world.py, imported through the workbook)
    with ``wishes`` and ``votes`` in the database set up by ``setup`` — or reuse it when that
    database already holds exactly this world. Returns what was done and how long it took."""
    from django.core.management import call_command
    from django.db import connection

    from bench import world
    from clientmap.engagements.models import Request
    from clientmap.voice.models import Vote, Wish

    call_command("migrate", verbosity=0)
    have = (Request.objects.count(), Wish.objects.count(), Vote.objects.count())
    if have == (requests, wishes, votes):
        return {"built": False, "seconds": 0.0}
    started = time.perf_counter()
    if connection.vendor == "postgresql" or have != (0, 0, 0):
        call_command("flush", interactive=False, verbosity=0)
    world.write(folder, world.Scale(requests=requests))
    from clientmap.imports import workbook

    workbook.import_workbook(folder)
    imported = time.perf_counter() - started
    add_wishes(wishes, votes)
    # fresh planner statistics, as autovacuum would give a real database after a while (without
    # them PostgreSQL plans fit's account query as a nested scan of every relation)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "built": True,
        "import_seconds": round(imported, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def add_wishes(wishes: int, votes: int, *, seed: int = 15) -> None:
    """``wishes`` wishes by people of the world (to its teams, in every status; some linked to
    a live service, some merged) and about ``votes`` votes, a tenth of the wishes drawing twice
    their share; vote counts and demand brought current as the product does."""
    import random

    from django.db import transaction

    from clientmap.catalog.models import Service
    from clientmap.directory.models import Person, Team
    from clientmap.voice.models import Vote, Wish
    from clientmap.voice.services import _recount

    if not wishes:
        return
    rnd = random.Random(seed)
    people = list(Person.objects.order_by("id").values_list("id", flat=True))
    teams = list(Team.objects.order_by("id").values_list("id", flat=True))
    statuses = [s for s, _label in Wish.Status.choices]
    with transaction.atomic():
        Wish.objects.bulk_create(
            [
                Wish(
                    key=f"w{i}",
                    author_id=people[rnd.randrange(len(people))],
                    title=f"Wish number {i} about reports and exports {i % 97}",
                    team_id=teams[i % len(teams)],
                    status=statuses[i % len(statuses)],
                )
                for i in range(wishes)
            ],
            batch_size=5000,
        )
        wish_ids = list(Wish.objects.order_by("id").values_list("id", flat=True))
        # a few merged duplicates and wishes covered by a live service
        merged = wish_ids[1::50]
        Wish.objects.filter(id__in=merged).update(merged_into_id=wish_ids[0])
        live = list(Service.objects.filter(status=Service.Status.LIVE).values_list("id", flat=True))
        through = Wish.covered_by.through
        if live:
            through.objects.bulk_create(
                [
                    through(service_id=live[i % len(live)], wish_id=w)
                    for i, w in enumerate(wish_ids[3::7])
                ],
                batch_size=5000,
            )
        per = max(1, votes // len(wish_ids))
        base = (votes - per * len(wish_ids)) // max(1, len(wish_ids) // 10)
        rows: list = []
        for index, wid in enumerate(wish_ids):
            n = per + (base if index % 10 == 0 else 0)
            for person in rnd.sample(people, min(n, len(people))):
                rows.append(Vote(wish_id=wid, person_id=person))
            if len(rows) >= 50_000:
                Vote.objects.bulk_create(rows, batch_size=10_000)
                rows = []
        Vote.objects.bulk_create(rows, batch_size=10_000)
        _recount(wish_ids)


def timed_get(
    client, url: str, samples: int = 20, warmup: int = 1, budget: float | None = None
) -> dict:
    """Median and p95 (ms) of ``samples`` GETs of ``url`` after ``warmup`` ones, with the
    query count of the last one. With ``budget`` (seconds), a slow page stops sampling once
    it has spent that long (at least 3 samples): ``samples`` says how many were taken."""
    import statistics

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
    times = []
    cpu = []  # this process's CPU time: what the request cost, whatever else the machine runs
    queries = 0
    started = time.perf_counter()
    for i in range(samples):
        if budget is not None and i >= 3 and time.perf_counter() - started > budget:
            break
        with CaptureQueriesContext(connection) as ctx:
            t, c = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        queries = len(ctx.captured_queries)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
    times.sort()
    cpu.sort()
    p95 = min(len(times) - 1, round(0.95 * (len(times) - 1)))
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[p95], 1),
        "cpu_median_ms": round(statistics.median(cpu), 1),
        "cpu_p95_ms": round(cpu[p95], 1),
        "queries": queries,
        "samples": len(times),
    }


def migrate() -> dict:
    _django()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    return {"seconds": time.perf_counter() - started, "database": connection.vendor}


def import_workbook(folder: str) -> dict:
    """The workbook import of ``folder``, timed as a whole and by phase (``phases``: seconds of
    reading and staging, of writing each entity, of the customer relations, of each derived
    table the import brings current, and of the commit with what runs after it)."""
    _django()
    from clientmap.customers import rules
    from clientmap.imports import workbook

    marks: list[tuple[str, float]] = []
    wrapped = []

    def timed(name: str, fn):
        def run(*args, **kwargs):
            marks.append((name, time.perf_counter()))
            try:
                return fn(*args, **kwargs)
            finally:
                marks.append(("(import)", time.perf_counter()))

        return run

    recompute = rules.recompute
    rules.recompute = timed("customer relations", recompute)
    for i, fn in enumerate(workbook._AFTER_WRITE):
        wrapped.append(fn)
        workbook._AFTER_WRITE[i] = timed(f"after write: {fn.__module__}.{fn.__name__}", fn)

    started, cpu = time.perf_counter(), time.process_time()
    marks.append(("read and stage", started))
    try:
        report = workbook.import_workbook(
            folder, progress=lambda step: marks.append((f"write {step}", time.perf_counter()))
        )
    finally:
        rules.recompute = recompute
        workbook._AFTER_WRITE[: len(wrapped)] = wrapped
    ended = time.perf_counter()
    marks.append(("(end)", ended))
    # the last write step runs until the sections, the relations and what comes after
    phases: dict[str, float] = {}
    for (name, t), (_next, t2) in zip(marks, marks[1:], strict=False):
        phases[name] = round(phases.get(name, 0.0) + t2 - t, 2)
    if "(import)" in phases:
        phases["the rest: cycle check, commit, derived tables after it"] = phases.pop("(import)")
    return {
        "seconds": ended - started,
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "created": {k: v["created"] for k, v in report.counts.items()},
        "relations": report.relations,
        "phases": phases,
    }


def reimport_workbook(folder: str) -> dict:
    result = import_workbook(folder)
    result["changed"] = any(result["created"].values())
    return result


def recompute(repeat: str = "3") -> dict:
    _django()
    import statistics

    from clientmap.customers import rules
    from clientmap.customers.models import CustomerRelation

    warm = []
    for _ in range(int(repeat)):
        t = time.perf_counter()
        rules.recompute()
        warm.append(time.perf_counter() - t)
    CustomerRelation.objects.all().delete()
    t = time.perf_counter()
    n = rules.recompute()
    cold = time.perf_counter() - t
    return {"seconds": statistics.median(warm), "warm": warm, "cold": cold, "relations": n}


def server_cpu() -> float | None:
    """CPU seconds (user + system) of this connection's PostgreSQL backend so far, read from
    /proc when the server runs on this machine; None on SQLite (its work is in this process)
    or where /proc does not show the backend."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def import_mapped(path: str, preset: str) -> dict:
    _django()
    from clientmap.imports import mapping

    server = server_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    report = mapping.import_mapped(path, mapping.load(preset))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    server_after = server_cpu()
    return {
        "seconds": seconds,
        "cpu_seconds": round(cpu, 2),
        # the PostgreSQL backend's CPU in the same span (the client's is cpu_seconds)
        "server_cpu_seconds": None
        if server is None or server_after is None
        else round(server_after - server, 2),
        "rows": report.rows,
        "created": {k: v["created"] for k, v in report.counts.items()},
        "skipped": report.skipped,
    }


STEPS = {
    "baseline": baseline,
    "baseline-file": baseline_file,
    "migrate": migrate,
    "import": import_workbook,
    "reimport": reimport_workbook,
    "recompute": recompute,
    "mapped": import_mapped,
}

if __name__ == "__main__":
    step, *args = sys.argv[1:]
    out = STEPS[step](*args)
    out["peak_mb"] = peak_mb()
    print(json.dumps(out))
