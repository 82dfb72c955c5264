"""Load, tried: ``python -m bench load --database-url postgres://…/scratch``.

Builds (or, with the same number of requests already imported, reuses) the synthetic world on
PostgreSQL, serves it with ``clientmap serve`` (the production server and settings), and drives
the main pages and API reads, one after the other, for a bounded time each from a small
keep-alive HTTP client of ours on loopback (threads). Reports per page: requests per second,
p50/p95/p99 latency and errors, and in the same run the throughput of a bare Django view (a
constant, through the same server, middleware and session) — the target is every main page at
≥ 0.5× the bare view. ``--soak MINUTES`` then cycles through all pages and samples the server
processes' memory (RSS) every 10 s: it must stay flat. Results: bench/results/load.json.

``--template bench1m`` makes a missing ``--database-url`` a copy of a world built once (the
shared 1M world; the template itself is never served); ``--only REGEX`` drives only some pages
(the bare view always, first and again at the end: the ratios are to the mean of the two).

A ``clientmap worker`` runs beside the server, as in production. After the pages (and the
soak), the run tries **the first request after a change**: it makes every derived table due
for a whole rebuild (what a new day does: the relations lapse with the date) and times the
first overview request — which must not wait for the rebuild: the worker makes it while the page is served
from the last complete build (``X-Clientmap-Catching-Up``) — and how long until the tables
are current again.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SETUP = """
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientmap.settings")
import django
django.setup()
from django.contrib.auth import get_user_model, HASH_SESSION_KEY, SESSION_KEY, BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Count
from clientmap.directory.models import Organization, Person, Team
from clientmap.customers.models import CustomerRelation
User = get_user_model()
u, _ = User.objects.get_or_create(username="bench-staff", defaults={"is_staff": True, "is_superuser": True})
s = SessionStore()
s[SESSION_KEY] = str(u.pk)
s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
s[HASH_SESSION_KEY] = u.get_session_auth_hash()
s.create()
team = (CustomerRelation.objects.values("team__key").annotate(n=Count("id")).order_by("-n").first() or {}).get("team__key")
person = CustomerRelation.objects.values_list("person__key", flat=True).order_by("person_id").first()
org = Organization.objects.filter(is_home=False).values_list("key", flat=True).order_by("id").first()
print(json.dumps({"session": s.session_key, "team": team, "person": person, "org": org,
                  "requests": __import__("clientmap.engagements.models", fromlist=["Request"]).Request.objects.count()}))
"""

BARE = "/bench/bare/"
BARE_AGAIN = "bare view (constant), again at the end"
PAGES = [
    ("bare view (constant)", BARE),
    ("home / overview", "/"),
    ("teams", "/teams/"),
    ("a team's customers (the largest team)", "/teams/{team}/"),
    ("people", "/people/"),
    ("a person", "/people/{person}/"),
    ("organizations", "/directory/"),
    ("an organization", "/directory/{org}/"),
    ("voice portal", "/voice/"),
    ("value chain", "/value-chain/"),
    ("API: team customers", "/api/customers/teams/{team}/customers?limit=50"),
    ("API: people", "/api/directory/people?limit=50"),
    ("API: customer of a person", "/api/customers/people/{person}"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def drive(port: int, path: str, cookie: str, seconds: float, concurrency: int) -> dict:
    """``concurrency`` keep-alive clients request ``path`` for ``seconds``; latencies in ms."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        while time.perf_counter() < stop:
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie, "Accept-Language": "en"})
                r = conn.getresponse()
                r.read()
                ok = 200 <= r.status < 400
                key = str(r.status)
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                ok, key = False, type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            elapsed = (time.perf_counter() - t) * 1000
            if ok:
                mine.append(elapsed)
            else:
                with lock:
                    errors[key] = errors.get(key, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return (
            round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)
            if latencies
            else 0.0
        )

    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / wall, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else 0.0,
        "errors": errors,
    }


def get_once(port: int, path: str, cookie: str, timeout: float = 120) -> dict:
    """One request: status, milliseconds and the catching-up header."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    t = time.perf_counter()
    try:
        conn.request("GET", path, headers={"Cookie": cookie, "Accept-Language": "en"})
        r = conn.getresponse()
        r.read()
        status, catching = r.status, r.getheader("X-Clientmap-Catching-Up") or ""
    except (OSError, http.client.HTTPException) as exc:
        status, catching = type(exc).__name__, ""
    finally:
        conn.close()
    return {
        "status": status,
        "ms": round((time.perf_counter() - t) * 1000, 1),
        "catching_up": catching,
    }


def _body(port: int, path: str) -> bytes:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", path)
        return conn.getresponse().read()
    except (OSError, http.client.HTTPException):
        return b""


def a_new_day(database_url: str) -> None:
    """Every derived table built "for another day": the next read finds a whole rebuild due."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE core_derivedstate SET built_for = 'the day before' WHERE built <> 0")


def first_request_after_a_change(port: int, cookie: str, database_url: str) -> dict:
    a_new_day(database_url)
    first = get_once(port, "/", cookie)
    started = time.perf_counter()
    out = {"first_overview": first}
    if first["catching_up"]:
        while time.perf_counter() - started < 600:
            time.sleep(2)
            again = get_once(port, "/", cookie)
            if not again["catching_up"]:
                out["current_again_after_s"] = round(time.perf_counter() - started, 1)
                out["first_current_overview"] = again
                break
    print(
        f"{'first overview after a new day':45s} status {first['status']}  {first['ms']:9.1f} ms"
        f"  catching up: {first['catching_up'] or '-'}"
        + (
            f"; current again after {out['current_again_after_s']} s"
            if "current_again_after_s" in out
            else ""
        ),
        flush=True,
    )
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the gunicorn master and workers)."""
    out = subprocess.run(["ps", "-o", "rss=", "--ppid", str(pid)], capture_output=True, text=True)
    own = subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True)
    kb = sum(int(x) for x in (out.stdout + own.stdout).split())
    return round(kb / 1024, 1)


def _analyze(url: str) -> None:
    """Fresh planner statistics, as autovacuum gives them soon after a bulk load (without them
    PostgreSQL plans the 1M-row tables as if they were empty)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")


def _create_database(url: str, template: str = "") -> None:
    """The scratch database, made when missing (a copy of ``template`` when given: a shared
    world built once, never served itself)."""
    import psycopg
    from psycopg import sql

    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    if template and template == name:
        raise SystemExit(f"--template {template} is the world to copy, not the one to serve")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            query = "CREATE DATABASE {} TEMPLATE {}" if template else "CREATE DATABASE {}"
            ids = [sql.Identifier(n) for n in (name, template) if n]
            for attempt in range(30):
                try:
                    conn.execute(sql.SQL(query).format(*ids))
                    break
                except psycopg.errors.ObjectInUse:  # someone else is copying the template
                    if attempt == 29:
                        raise
                    time.sleep(10)
            print(f"created {name}" + (f" from {template}" if template else ""), flush=True)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m bench load", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=15, help="per page")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--workers", type=int, default=0, help="gunicorn processes (default: serve's)"
    )
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--soak", type=float, default=0, help="minutes of soak (memory flat)")
    parser.add_argument(
        "--template",
        default="",
        help="make a missing --database-url a copy of this database (a world built once)",
    )
    parser.add_argument(
        "--only", default="", help="a regular expression: only the pages whose name matches"
    )
    parser.add_argument(
        "--no-new-day", action="store_true", help="leave out the first request after a new day"
    )
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("--database-url postgres://…/scratch is required (it may be emptied)")

    tmp = Path(tempfile.mkdtemp(prefix="clientmap-load-"))
    env = dict(os.environ, CLIENTMAP_DATA_DIR=str(tmp), PYTHONPATH=str(ROOT))
    env.update(DATABASE_URL=args.database_url, CLIENTMAP_URLCONF="bench.load_urls")
    env.pop("DEBUG", None)
    cm = [sys.executable, "-m", "clientmap"]

    def setup() -> dict:
        out = subprocess.run(
            [sys.executable, "-c", SETUP], env=env, cwd=ROOT, capture_output=True, text=True
        )
        if out.returncode:
            sys.stderr.write(out.stderr)
            raise SystemExit("setup failed")
        return json.loads(out.stdout.strip().splitlines()[-1])

    _create_database(args.database_url, args.template)
    subprocess.run([*cm, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    info = setup()
    built = False
    if info["requests"] != args.requests:
        from bench import world

        print(f"building the world of {args.requests} requests …", flush=True)
        subprocess.run([*cm, "flush", "--no-input"], env=env, cwd=ROOT, check=True)
        world.write(tmp / "world", world.Scale(requests=args.requests))
        t = time.perf_counter()
        subprocess.run(
            [*cm, "import", str(tmp / "world"), "--format", "workbook"],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"imported in {time.perf_counter() - t:.0f} s", flush=True)
        _analyze(args.database_url)
        info = setup()
        built = True
    else:
        print(f"reusing the world of {info['requests']} requests", flush=True)

    port = free_port()
    serve = [*cm, "serve", f"127.0.0.1:{port}", "--threads", str(args.threads)]
    if args.workers:
        serve += ["--workers", str(args.workers)]
    server = subprocess.Popen(
        serve, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    worker = subprocess.Popen(
        [*cm, "worker"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "requests_in_world": info["requests"],
        "world_built_now": built,
        "seconds_per_page": args.seconds,
        "concurrency": args.concurrency,
        "server": {"workers": args.workers or "default", "threads": args.threads},
        "pages": {},
        "load_average_at_start": os.getloadavg(),
    }
    try:
        deadline = time.time() + 180
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit(
                        "the server did not start: "
                        + (server.stderr.read() if server.poll() is not None else "")
                    ) from None
                time.sleep(0.5)
        cookie = f"sessionid={info['session']}"
        deadline = time.time() + 120
        while b'"worker": "ok"' not in _body(port, "/healthz") and time.time() < deadline:
            time.sleep(1)
        pages = [(n, p) for n, p in PAGES if p == BARE or not args.only or re.search(args.only, n)]
        # the bare view first and again last: the machine's load moves during a run
        for name, path in [*pages, (BARE_AGAIN, BARE)]:
            url = path.format(**info)
            drive(port, url, cookie, min(2.0, args.seconds / 5), 2)  # warm up
            r = drive(port, url, cookie, args.seconds, args.concurrency)
            load = round(os.getloadavg()[0], 2)
            results["pages"][name] = {"path": url, **r, "load_average": load}
            print(
                f"{name:45s} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.1f}  p95 {r['p95_ms']:7.1f}  p99 {r['p99_ms']:7.1f} ms  errors {sum(r['errors'].values())}  load {load}",
                flush=True,
            )
        bare = statistics.fmean(results["pages"][n]["rps"] for n in (PAGES[0][0], BARE_AGAIN)) or 1
        results["bare_rps"] = round(bare, 1)
        for r in results["pages"].values():
            r["ratio_to_bare"] = round(r["rps"] / bare, 2)
        print(f"bare view, mean of both: {bare:.1f} req/s", flush=True)
        for name, r in results["pages"].items():
            print(f"{name:45s} {r['ratio_to_bare']:5.2f}× bare", flush=True)
        if args.soak:
            samples = []
            end = time.time() + args.soak * 60
            while time.time() < end:
                for _name, path in PAGES[1:]:
                    drive(port, path.format(**info), cookie, 1.0, args.concurrency)
                samples.append(
                    {
                        "t": round(args.soak * 60 - (end - time.time())),
                        "rss_mb": rss_mb(server.pid),
                        "load": round(os.getloadavg()[0], 2),
                    }
                )
                print(f"soak {samples[-1]}", flush=True)
            results["soak"] = samples
        # Last (its whole rebuilds at 1M keep the worker busy for minutes, on the same cores):
        # the first request after a new day must not wait for them.
        if not args.no_new_day:
            results["after_a_change"] = first_request_after_a_change(
                port, cookie, args.database_url
            )
    finally:
        for proc in (worker, server):
            proc.terminate()
        for proc in (worker, server):
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:  # a worker inside a long rebuild finishes it first
                proc.kill()
                proc.wait(timeout=60)
    results["load_average_at_end"] = os.getloadavg()
    out = ROOT / "bench" / "results" / "load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"results in {out}")
    return results


if __name__ == "__main__":
    main()
