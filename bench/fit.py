"""Accounts and fit at scale: 10 000 accounts, 500 000 invoices; recompute and page times.

``python -m bench.fit [--accounts 10000 --invoices 500000] [--database-url URL]`` builds the data
with bulk inserts in a fresh database (a temporary SQLite file, or the PostgreSQL database named,
which is emptied): per account invoices over two years (some paid late, some unpaid), important
and other approvals, decision makers (decides involvements), staff ratings, referrals and intents.
It then times the recompute (every account, one snapshot each; median and worst of 3), and,
through Django's test client as a signed-in staff user, the matrix page (SVG + table), the matrix
filtered to one group and one account page; prints p50/p95 and writes bench/results/fit-<db>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=500_000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--keep",
        default="",
        help="a data directory to keep the world in (SQLite) and reuse it when it is there "
        "(PostgreSQL: the database is reused when it holds the accounts)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of one recompute and one page"
    )
    args = parser.parse_args(argv)

    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="clientmap-bench-fit-"))
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
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client

    from clientmap.directory.models import Organization, Person, Team
    from clientmap.engagements.models import Involvement
    from clientmap.fit import rules
    from clientmap.fit.models import Approval, Intent, Invoice, Rating, Referral

    n = args.accounts
    call_command("migrate", verbosity=0)
    reuse = bool(args.keep or args.database_url) and (
        Organization.objects.filter(is_home=False).count() == n
        and Invoice.objects.count() >= args.invoices * 0.99
    )
    if reuse:
        from clientmap.fit.models import Recompute

        Recompute.objects.all().delete()  # each run measures from the same history
        get_user_model().objects.filter(username="bench").delete()
    elif connection.vendor == "postgresql" or args.keep:
        call_command("flush", interactive=False, verbosity=0)

    rnd = random.Random(13)
    today = date.today()
    per = max(1, args.invoices // n)
    started = time.perf_counter()
    people: list = []
    if not reuse:
        with transaction.atomic():
            home = Organization.objects.create(key="home", name="Home", is_home=True)
            Organization.objects.bulk_create(
                [Organization(key=f"acct/{i}", name=f"Account {i:05d}") for i in range(n)],
                batch_size=5000,
            )
            orgs = list(
                Organization.objects.filter(is_home=False)
                .order_by("id")
                .values_list("id", flat=True)
            )
            raters = Person.objects.bulk_create(
                [Person(key=f"staff{i}", name=f"Staff {i}", organization=home) for i in range(50)]
            )
            team = Team.objects.create(key="t", name="Delivery")
            people = []
            for i, org in enumerate(orgs):
                for j in range(1 + i % 8):  # 1 … 8 decision makers
                    people.append(
                        Person(key=f"d{i}-{j}", name=f"Decider {i}-{j}", organization_id=org)
                    )
            Person.objects.bulk_create(people, batch_size=5000)
            deciders = Person.objects.filter(key__startswith="d").values_list("id", flat=True)
            Involvement.objects.bulk_create(
                [
                    Involvement(
                        person_id=p,
                        team=team,
                        role="decides",
                        date=today - timedelta(days=rnd.randrange(300)),
                    )
                    for p in deciders
                ],
                batch_size=5000,
            )
            invoices, approvals, ratings, referrals, intents = [], [], [], [], []
            for i, org in enumerate(orgs):
                habit = rnd.random()  # 0 pays on time … 1 chronic debtor
                amount = Decimal(rnd.randrange(500, 50_000))
                for k in range(per):
                    issued = today - timedelta(days=730 * (per - k) // per)
                    due = issued + timedelta(days=30)
                    late = rnd.random() < habit
                    paid = (
                        due + timedelta(days=rnd.randrange(5, 90))
                        if late
                        else due - timedelta(days=rnd.randrange(5))
                    )
                    if paid > today or (late and rnd.random() < 0.1):
                        paid = None
                    invoices.append(
                        Invoice(
                            key=f"inv/{i}/{k}",
                            organization_id=org,
                            amount=amount,
                            currency="EUR",
                            issued=issued,
                            due=due,
                            paid=paid,
                        )
                    )
                for k in range(5):
                    asked = today - timedelta(days=rnd.randrange(330))
                    answered = asked + timedelta(days=int(rnd.expovariate(1 / (2 + 30 * habit))))
                    approvals.append(
                        Approval(
                            key=f"ap/{i}/{k}",
                            organization_id=org,
                            subject="q",
                            important=k % 2 == 0,
                            asked=asked,
                            answered=answered if answered <= today else None,
                        )
                    )
                for k in range(2):
                    ratings.append(
                        Rating(
                            organization_id=org,
                            rater=raters[(i + k) % 50],
                            score=rnd.randint(1, 5),
                            date=today - timedelta(days=k + 1 + i % 200),
                        )
                    )
                if i % 3 == 0:
                    referrals.append(
                        Referral(
                            organization_id=org,
                            date=today - timedelta(days=i % 300),
                            kind="referral",
                        )
                    )
                intents.append(
                    Intent(
                        organization_id=org,
                        date=today - timedelta(days=i % 300),
                        wants=rnd.choice(["renew", "expand", "reduce", "leave"]),
                    )
                )
            Invoice.objects.bulk_create(invoices, batch_size=5000)
            Approval.objects.bulk_create(approvals, batch_size=5000)
            Rating.objects.bulk_create(ratings, batch_size=5000)
            Referral.objects.bulk_create(referrals, batch_size=5000)
            Intent.objects.bulk_create(intents, batch_size=5000)
    build = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE")

    from clientmap.core import derived

    derived.ensure_current()  # the customer relations, built as they would be in production

    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        rules.recompute()
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)

    recomputes = []
    run = None
    for _ in range(3):
        t = time.perf_counter()
        run = rules.recompute()
        recomputes.append(time.perf_counter() - t)

    User = get_user_model()
    user = User.objects.create_user("bench", password="bench-Clientmap-2026", is_staff=True)
    client = Client()
    client.force_login(user)

    def timed(url: str) -> dict:
        times = []
        for _ in range(args.samples):
            t = time.perf_counter()
            r = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, (url, r.status_code)
        first = times[0]  # the cold read: the matrix is computed, then cached per run
        times.sort()
        return {
            "first_ms": round(first, 1),
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(round(0.95 * len(times))) - 1)], 1),
        }

    if args.profile:
        import cProfile
        import pstats

        client.get("/fit/")
        prof = cProfile.Profile()
        prof.enable()
        client.get("/fit/")
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)

    pages = {
        "matrix": timed("/fit/"),
        "matrix, group 3": timed("/fit/?group=3"),
        "account": timed("/fit/accounts/acct/42/"),
        "moves": timed("/fit/moves/"),
    }
    # Single writes (an invoice saved, as the admin, the API or a form would): each marks its
    # account stale in its transaction and the writer's process brings it current after the
    # commit — the first write after the kept run makes one live run (a whole recompute), the
    # next ones amend it for just their account.
    from clientmap.fit.models import Recompute, Snapshot

    acct = Organization.objects.get(key="acct/42")
    runs_before = Recompute.objects.count()
    writes = []
    for i in range(6):
        t = time.perf_counter()
        Invoice.objects.create(
            key=f"bench/single/{i}",
            organization=acct,
            amount=Decimal(100 + i),
            currency="EUR",
            issued=today - timedelta(days=40),
            due=today - timedelta(days=10),
        )
        writes.append((time.perf_counter() - t) * 1000)
    single = {
        "first_ms": round(writes[0], 1),
        "amend_median_ms": round(statistics.median(writes[1:]), 1),
        "amend_max_ms": round(max(writes[1:]), 1),
        "runs_added": Recompute.objects.count() - runs_before,
        "account_page_after": timed("/fit/accounts/acct/42/"),
    }
    run = Recompute.objects.order_by("-id").first()

    groups = {
        g: Snapshot.objects.filter(recompute=run, group=g).count() for g in (1, 2, 3, 4, None)
    }
    result = {
        "database": connection.vendor,
        "accounts": n,
        "invoices": Invoice.objects.count(),
        "approvals": Approval.objects.count(),
        "decision_makers": Involvement.objects.filter(role="decides").count(),
        "reused_world": reuse,
        "build_s": round(build, 1),
        "recompute_s": [round(x, 2) for x in recomputes],
        "recompute_median_s": round(statistics.median(recomputes), 2),
        "groups": {str(k): v for k, v in groups.items()},
        "pages": pages,
        "single_write": single,
    }
    out = Path(__file__).resolve().parent / "results" / f"fit-{connection.vendor}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
