"""Time the set-based recompute of every customer relation (rules C1/C2).

``python -m bench.recompute --requests 100000 [--database-url URL]`` builds a synthetic world
(bench/world.py) in a fresh database, imports it with the workbook importer, then recomputes all
customer relations three times and reports the median. Results are printed and written to
bench/results/recompute-<database>-<requests>.json.
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
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL of a scratch database (it is emptied); default: a temporary SQLite file",
    )
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="clientmap-bench-"))
    os.environ["CLIENTMAP_DATA_DIR"] = str(tmp)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientmap.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import world
    from clientmap.customers import rules
    from clientmap.customers.models import CustomerRelation
    from clientmap.imports import workbook

    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)

    folder = tmp / "world"
    scale = world.Scale(requests=args.requests)
    t = time.perf_counter()
    counts = world.write(folder, scale)
    generate_s = time.perf_counter() - t

    t = time.perf_counter()
    workbook.import_workbook(folder)
    import_s = time.perf_counter() - t

    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        rules.recompute()
        times.append(time.perf_counter() - t)
    # Cold: from an empty relations table (what the first import after an empty start pays).
    CustomerRelation.objects.all().delete()
    t = time.perf_counter()
    rules.recompute()
    cold_s = time.perf_counter() - t
    relations = CustomerRelation.objects.count()
    customers = CustomerRelation.objects.filter(is_customer=True).count()

    result = {
        "database": connection.vendor,
        "python": sys.version.split()[0],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "rows": counts,
        "generate_seconds": round(generate_s, 2),
        "import_seconds": round(import_s, 2),
        "recompute_seconds": [round(x, 3) for x in times],
        "recompute_median_seconds": round(statistics.median(times), 3),
        "recompute_cold_seconds": round(cold_s, 3),
        "relations": relations,
        "customers": customers,
    }
    print(f"database            {result['database']}")
    for name, n in counts.items():
        print(f"{name:<20}{n:>10}")
    print(f"import (workbook)   {import_s:>9.2f} s")
    print(
        f"recompute (median)  {result['recompute_median_seconds']:>9.3f} s over {args.repeat} runs"
    )
    print(f"relations           {relations:>10} ({customers} customers)")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    path = out / f"recompute-{connection.vendor}-{args.requests}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
