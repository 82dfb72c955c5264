"""The benchmark suite: ``python -m bench [--requests N] [--database-url URL]``.

It generates a deterministic synthetic world in the workbook format (bench/world.py; default
100 000 people, 2 000 teams, 1 000 000 requests, 300 000 involvements, 10 000 organizations),
then, each step in its own process so that its peak memory is its own:

1. the raw baseline: Python's ``sqlite3`` ``executemany`` of the same request rows into one
   table without constraints;
2. the workbook import of the whole world (one transaction, customer relations included);
3. the same import again (must change nothing);
4. recomputing all customer relations (median of 3, then once from an empty table);
5. the real ServiceNow incident log through the ``servicenow`` preset into an empty database,
   when ../shared/data is there;

and prints a table with the ratio of import to baseline. ``--database-url`` runs steps 2–5 on
PostgreSQL (a scratch database: it is emptied). Results go to bench/results/bench-<db>-<N>.json.
Other areas add sections: ``--with graph`` (bench/graph.py, the value chain against networkx),
``--with voice`` (bench/voice.py, wishes and votes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import world

ROOT = Path(__file__).resolve().parent.parent
SHARED = next(
    (p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()),
    ROOT.parent / "shared" / "data",
)
SERVICENOW = SHARED / "servicenow-incident-log" / "incident_event_log.csv.gz"


def run_step(env: dict, *args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.step", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"bench step {args[0]} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["load"]:  # python -m bench load: pages and API under load (bench/load.py)
        from bench import load

        return load.main(argv[1:])
    if argv[:1] == ["pages"]:  # python -m bench pages: every main page in-process (bench/pages.py)
        from bench import pages

        return pages.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL scratch database URL")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--servicenow-only",
        action="store_true",
        help="only the real ServiceNow log against its raw load (no synthetic world)",
    )
    parser.add_argument(
        "--import-only",
        action="store_true",
        help="only the raw baseline, the import and the ServiceNow log (no reimport, no recompute)",
    )
    parser.add_argument(
        "--with",
        dest="sections",
        action="append",
        default=[],
        choices=["graph", "voice"],
        help="also run another area's benchmark (graph: value chain vs networkx; voice: wishes)",
    )
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="clientmap-bench-"))
    env = dict(os.environ, CLIENTMAP_DATA_DIR=str(tmp), PYTHONPATH=str(ROOT))
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url

    if args.servicenow_only:
        return servicenow_only(env, tmp, args)
    scale = world.Scale(requests=args.requests)
    t = time.perf_counter()
    counts = world.write(tmp / "world", scale)
    generated = time.perf_counter() - t
    print(
        f"world generated in {generated:.1f} s: " + ", ".join(f"{k} {v}" for k, v in counts.items())
    )

    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "rows": counts,
    }
    results["baseline"] = run_step(
        env, "baseline", str(tmp / "world" / "requests.csv"), str(tmp / "raw.sqlite3")
    )
    print(f"baseline executemany: {results['baseline']['seconds']:.2f} s")
    results["database"] = run_step(env, "migrate")["database"]
    results["import"] = run_step(env, "import", str(tmp / "world"))
    print(f"import: {results['import']['seconds']:.2f} s")
    if not args.import_only:
        results["reimport"] = run_step(env, "reimport", str(tmp / "world"))
        results["recompute"] = run_step(env, "recompute")
    if SERVICENOW.exists():
        # Into an empty database, as a user's first import would be.
        results.update(servicenow(env, tmp))
    for section in args.sections:
        # Sections of other areas: ``python -m bench.<name>`` writes bench/results/<name>.json.
        cmd = [sys.executable, "-m", f"bench.{section}"]
        if args.database_url:
            cmd += ["--database-url", args.database_url]
        print(f"running bench.{section} …")
        subprocess.run(cmd, env=env, cwd=ROOT, check=True)
        section_file = ROOT / "bench" / "results" / f"{section}.json"
        if section_file.exists():
            results[section] = json.loads(section_file.read_text())

    base = results["baseline"]["seconds"]
    imp = results["import"]
    rows = [
        (
            "raw baseline (sqlite3 executemany, requests only)",
            f"{base:.2f} s",
            f"{results['baseline']['peak_mb']:.0f} MB",
            "",
        ),
        (
            "workbook import, whole world",
            f"{imp['seconds']:.2f} s",
            f"{imp['peak_mb']:.0f} MB",
            f"{imp['seconds'] / base:.1f}x baseline",
        ),
    ]
    rows += [
        (f"  {name}", f"{secs:.2f} s", "", "a phase of the import")
        for name, secs in imp.get("phases", {}).items()
        if secs >= 0.01
    ]
    if not args.import_only:
        rows += [
            (
                "same import again",
                f"{results['reimport']['seconds']:.2f} s",
                f"{results['reimport']['peak_mb']:.0f} MB",
                "changed nothing" if not results["reimport"]["changed"] else "CHANGED",
            ),
            (
                "recompute all relations (median of 3)",
                f"{results['recompute']['seconds']:.2f} s",
                f"{results['recompute']['peak_mb']:.0f} MB",
                f"{results['recompute']['relations']} relations",
            ),
            ("recompute from an empty table", f"{results['recompute']['cold']:.2f} s", "", ""),
        ]
    if "servicenow" in results:
        rows += servicenow_rows(results)
    results["import_to_baseline"] = round(imp["seconds"] / base, 2)
    results["import_to_baseline_cpu"] = round(
        imp["cpu_seconds"] / results["baseline"]["cpu_seconds"], 2
    )
    results["load_average"] = os.getloadavg()[0]
    rows.insert(
        2,
        (
            "  import, CPU time of the timed part",
            f"{imp['cpu_seconds']:.2f} s",
            "",
            f"{results['import_to_baseline_cpu']:.1f}x baseline CPU "
            f"({results['baseline']['cpu_seconds']:.2f} s); load average "
            f"{results['load_average']:.1f}",
        ),
    )
    width = max(len(r[0]) for r in rows)
    print()
    print(
        f"Clientmap benchmark — {results['database']}, {args.requests} requests, {results['machine']}"
    )
    print(f"{'step':<{width}}  {'time':>10}  {'peak':>8}  note")
    for name, secs, mem, note in rows:
        print(f"{name:<{width}}  {secs:>10}  {mem:>8}  {note}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"bench-{results['database']}-{args.requests}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {path.relative_to(ROOT)}")
    if not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return results


def servicenow(env: dict, tmp: Path) -> dict:
    """The real log through the preset into an empty database, and its raw load, same run."""
    out = {
        "servicenow_baseline": run_step(
            env, "baseline-file", str(SERVICENOW), str(tmp / "raw-servicenow.sqlite3")
        )
    }
    sn_env = dict(env, CLIENTMAP_DATA_DIR=str(tmp / "servicenow"))
    (tmp / "servicenow").mkdir(exist_ok=True)
    run_step(sn_env, "migrate")
    out["servicenow"] = run_step(sn_env, "mapped", str(SERVICENOW), "servicenow")
    out["servicenow_to_baseline"] = round(
        out["servicenow"]["seconds"] / out["servicenow_baseline"]["seconds"], 2
    )
    out["servicenow_to_baseline_cpu"] = round(
        out["servicenow"]["cpu_seconds"] / out["servicenow_baseline"]["cpu_seconds"], 2
    )
    out["load_average"] = os.getloadavg()[0]
    return out


def servicenow_rows(results: dict) -> list[tuple[str, str, str, str]]:
    sn, raw = results["servicenow"], results["servicenow_baseline"]
    return [
        (
            "raw load of the ServiceNow log (csv + executemany, every column)",
            f"{raw['seconds']:.2f} s",
            f"{raw['peak_mb']:.0f} MB",
            f"{raw['rows']} rows",
        ),
        (
            "ServiceNow log, servicenow preset, empty database",
            f"{sn['seconds']:.2f} s",
            f"{sn['peak_mb']:.0f} MB",
            f"{results['servicenow_to_baseline']:.2f}x raw load; {sn['rows']} rows",
        ),
        (
            "  the same two, CPU time of the timed part (raw load / import)",
            f"{raw['cpu_seconds']:.2f} s",
            f"{sn['cpu_seconds']:.2f} s",
            f"{results['servicenow_to_baseline_cpu']:.2f}x raw load (CPU); "
            f"load average {results['load_average']:.1f}",
        ),
    ] + (
        [
            (
                "  the PostgreSQL server's CPU time during the import (its backend)",
                f"{sn['server_cpu_seconds']:.2f} s",
                "",
                "not in the import's CPU time above; its wall time includes it",
            )
        ]
        if sn.get("server_cpu_seconds") is not None
        else []
    )


def servicenow_only(env: dict, tmp: Path, args) -> dict:
    if not SERVICENOW.exists():
        raise SystemExit(f"real data not found at {SERVICENOW}")
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    }
    results["database"] = run_step(env, "migrate")["database"]
    results.update(servicenow(env, tmp))
    print(f"Clientmap benchmark — ServiceNow log only, {results['database']}, {results['machine']}")
    for name, secs, mem, note in servicenow_rows(results):
        print(f"{name:<66}  {secs:>10}  {mem:>8}  {note}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"bench-servicenow-{results['database']}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return results


if __name__ == "__main__":
    main()
