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


def baseline(requests_csv: str, db_file: str) -> dict:
    """The raw floor: read the request rows and executemany them into one bare table."""
    Path(db_file).unlink(missing_ok=True)
    con = sqlite3.connect(db_file)
    con.execute(
        "CREATE TABLE request (key TEXT, requester TEXT, team TEXT, service TEXT, status TEXT, "
        "payment TEXT, opened TEXT, accepted TEXT, target TEXT, closed TEXT, title TEXT)"
    )
    started = time.perf_counter()
    with open(requests_csv, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        con.executemany("INSERT INTO request VALUES (?,?,?,?,?,?,?,?,?,?,?)", reader)
    con.commit()
    seconds = time.perf_counter() - started
    rows = con.execute("SELECT COUNT(*) FROM request").fetchone()[0]
    con.close()
    return {"seconds": seconds, "rows": rows}


def baseline_file(path: str, db_file: str) -> dict:
    """The raw floor for a foreign export: csv.reader (gunzipped) + executemany of every row,
    every column, into one bare table."""
    import gzip

    Path(db_file).unlink(missing_ok=True)
    con = sqlite3.connect(db_file)
    started = time.perf_counter()
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        cols = ", ".join(f"c{i} TEXT" for i in range(len(header)))
        con.execute(f"CREATE TABLE raw ({cols})")
        marks = ", ".join("?" * len(header))
        con.executemany(f"INSERT INTO raw VALUES ({marks})", reader)
    con.commit()
    seconds = time.perf_counter() - started
    rows = con.execute("SELECT COUNT(*) FROM raw").fetchone()[0]
    con.close()
    return {"seconds": seconds, "rows": rows}


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientmap.settings")
    import django

    django.setup()


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
    _django()
    from clientmap.imports import workbook

    started = time.perf_counter()
    report = workbook.import_workbook(folder)
    return {
        "seconds": time.perf_counter() - started,
        "created": {k: v["created"] for k, v in report.counts.items()},
        "relations": report.relations,
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


def import_mapped(path: str, preset: str) -> dict:
    _django()
    from clientmap.imports import mapping

    started = time.perf_counter()
    report = mapping.import_mapped(path, mapping.load(preset))
    return {
        "seconds": time.perf_counter() - started,
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
