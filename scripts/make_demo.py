"""Generate the demo workbook (clientmap/imports/demo/*.csv) once; the CSV files are committed.

    .venv/bin/python scripts/make_demo.py   # also runs make_demo_touchpoints.py and _accounts.py

Deterministic: a fixed random seed and a fixed anchor date (``ANCHOR``, the demo's "today").
The loader (``clientmap.imports.demo``) shifts every date so that the newest request opened is
the day it is loaded. The seeds' stories (``ORGANIZATIONS`` … ``INVOLVEMENTS`` below, in days
before the anchor) keep their keys; the rest of a mid-size IT department and its paying
customers is generated around them.
"""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta
from pathlib import Path

from clientmap.core.demo_seeds import (
    CONSUMES,
    INVOLVEMENTS,
    ORGANIZATIONS,
    PEOPLE,
    REQUESTS,
    SERVICES,
    TEAM_MEMBERS,
    TEAMS,
    UNITS,
)

ANCHOR = date(2026, 1, 15)
OUT = Path(__file__).resolve().parent.parent / "clientmap" / "imports" / "demo"
SEED = 14

# The seeds' stories come from clientmap/core/demo_seeds.py (shared with tests/story.py).


# --- the rest of the department, generated ----------------------------------------------------

ORGANIZATIONS = ORGANIZATIONS + [
    ("northwind", "Northwind Logistics", ""),
    ("meridian", "Meridian Bank", ""),
]

UNITS = UNITS + [
    ("nw-hq", "northwind", "Northwind head office", ""),
    ("nw-fin", "northwind", 'Finance & "Treasury"', "nw-hq"),
    ("nw-ops", "northwind", "Warehouse operations", "nw-hq"),
    ("mb-hq", "meridian", "Meridian head office", ""),
    ("mb-it", "meridian", "Meridian IT", "mb-hq"),
    ("mb-retail", "meridian", "Retail banking", "mb-hq"),
    ("hh-clinics", "harbor-health", "Clinics", "hh-it"),
]

TEAMS = TEAMS + [
    ("t-identity", "Identity and access management", "aur-infra"),
    ("t-data", "Data, reporting and analytics", "aur-apps"),
]

SERVICES = SERVICES + [
    ("svc-sso", "Single sign-on", "t-identity", "live"),
    ("svc-reporting", "Reporting and dashboards", "t-data", "live"),
]

# Harbor Health's licences are paid in trade (a pilot reference), not bought through the licence
# service: its requests to Sales stay, the consumption edge goes (a readable map, fewer crossings).
CONSUMES = [c for c in CONSUMES if c != ("harbor-health", "svc-licences")]
CONSUMES = CONSUMES + [
    ("svc-sso", "svc-network"),
    ("svc-expense-app", "svc-sso"),
    ("svc-crm", "svc-sso"),
    ("svc-reporting", "svc-erp"),
    ("svc-reporting", "svc-crm"),
    ("aur-finance", "svc-reporting"),
    # The two newer customers buy reporting (with its own support), not the expense application.
    ("northwind", "svc-reporting"),
    ("meridian", "svc-reporting"),
]

FIRST = {
    "en": "James Mary Robert Linda Michael Susan David Karen Daniel Nancy Paul Laura Mark Emily "
    "Steven Rachel Andrew Megan Kevin Sarah Brian Helen George Alice".split(),
    "es": "José Lucía Javier Carmen Álvaro Sofía Andrés Marta Íñigo Paula Raúl Noelia Sergio "
    "Begoña Tomás Ainhoa".split(),
    "pt": "João Mariana Pedro Beatriz Gonçalo Inês Rui Leonor Thiago Camila Vítor Júlia "
    "Rodrigo Letícia".split(),
    "ru": "Ольга Дмитрий Наталья Сергей Екатерина Алексей Татьяна Михаил Ирина Павел Юлия "
    "Андрей".split(),
}
LAST = {
    "en": "Smith Johnson Brown Taylor Wilson Clark Lewis Walker Hall Allen Young King Wright "
    "Scott Green Baker Adams Nelson Hill O'Brien Campbell Mitchell".split(),
    "es": "García Núñez Fernández López Martínez Sánchez Pérez Gómez Díaz Muñoz Álvarez "
    "Romero Ibáñez".split(),
    "pt": "Silva Santos Oliveira Souza Pereira Costa Rodrigues Almeida Nascimento Araújo "
    "Gonçalves Conceição".split(),
    "ru": "Смирнова Иванов Кузнецова Попов Соколова Лебедев Козлова Новиков Морозова Волков "
    "Павлова Зайцев".split(),
}
DOMAIN = {
    "aurora": "aurora.example",
    "space-agency": "agency.example",
    "harbor-health": "harbor.example",
    "city-library": "library.example",
    "northwind": "northwind.example",
    "meridian": "meridian.example",
}

# (organization, units, how many, languages)
POPULATION = [
    ("space-agency", ["nsa-fc-apps", "nsa-fc-ops", "nsa-hq"], 39, ["en", "en", "es"]),
    ("harbor-health", ["hh-it", "hh-clinics", "hh-clinics"], 28, ["pt", "en"]),
    ("city-library", ["lib-admin"], 9, ["ru"]),
    ("northwind", ["nw-fin", "nw-ops", "nw-ops"], 35, ["es", "es", "en"]),
    ("meridian", ["mb-it", "mb-retail", "mb-retail"], 35, ["en", "ru", "pt"]),
    (
        "aurora",
        ["aur-finance", "aur-sales", "aur-services", "aur-product", "aur-exec"],
        75,
        ["en", "en", "es", "pt", "ru"],
    ),
]
# extra members per team (Aurora's own staff)
EXTRA_MEMBERS = {
    "t-storage": 2,
    "t-dbhost": 3,
    "t-network": 3,
    "t-monitoring": 2,
    "t-erp": 4,
    "t-crm": 4,
    "t-core": 3,
    "t-sales": 3,
    "t-impl": 4,
    "t-support": 6,
    "t-identity": 3,
    "t-data": 3,
}
TEAM_UNIT = {t: u for t, _n, u in TEAMS}
TEAM_SERVICE = {t: s for s, _n, t, st in SERVICES if st == "live"}

# Each team's target (days after acceptance) and on-time probability two years ago → now.
SLA = {
    "t-support": (3, 0.62, 0.86),
    "t-impl": (30, 0.55, 0.66),
    "t-sales": (10, 0.85, 0.84),
    "t-erp": (10, 0.80, 0.58),
    "t-crm": (7, 0.72, 0.78),
    "t-data": (14, 0.45, 0.80),
    "t-identity": (5, 0.92, 0.85),
    "t-network": (5, 0.80, 0.82),
    "t-storage": (7, 0.86, 0.90),
    "t-dbhost": (7, 0.74, 0.64),
}
TITLES = {
    "t-support": [
        "Cannot submit an expense report",
        "Receipt upload fails",
        "Approval stuck in the queue",
        "Mileage rates look wrong",
        "Password reset for the expense app",
        "Currency conversion of a foreign receipt",
        "Export of last month's claims",
    ],
    "t-impl": [
        "Onboard a new business unit",
        "Connect the HR feed",
        "Configure approval chains",
        "Set up cost centres",
        "Train the finance team",
    ],
    "t-sales": [
        "Add 50 seats",
        "Renew the annual licence",
        "Quote for the mobile add-on",
        "Move licences to another entity",
    ],
    "t-erp": [
        "New cost centre in the general ledger",
        "Payroll report for the board",
        "Month-end close fails",
        "Add a supplier",
    ],
    "t-crm": [
        "New pipeline stage",
        "Import a list of leads",
        "Dashboard for account managers",
        "Merge duplicate accounts",
    ],
    "t-data": [
        "Quarterly revenue dashboard",
        "Expense trends by department",
        "Data extract for the auditors",
        "Customer churn report",
    ],
    "t-identity": [
        "Access to the ERP for a new hire",
        "Remove access of a leaver",
        "Single sign-on for a new app",
        "Reset two-factor authentication",
    ],
    "t-network": [
        "VPN access",
        "Wi-Fi in the new meeting room",
        "Firewall rule for a partner",
        "Slow connection at the branch office",
    ],
    "t-storage": [
        "More space for the file share",
        "Restore a deleted folder",
        "New backup policy",
        "Object bucket for logs",
    ],
    "t-dbhost": [
        "New database for a test environment",
        "Slow queries on the CRM database",
        "Upgrade to the next major version",
        "Read replica for reporting",
    ],
}


def iso(day: date) -> str:
    return day.isoformat()


def stamp(day: date, rng: random.Random) -> str:
    moment = datetime(day.year, day.month, day.day, rng.randint(8, 18), rng.choice([0, 15, 30, 45]))
    return moment.isoformat() + "+00:00"


def generate() -> dict[str, tuple[list[str], list[tuple]]]:
    rng = random.Random(SEED)
    ago = lambda d: iso(ANCHOR - timedelta(days=d)) if d is not None else ""  # noqa: E731
    ahead = lambda d: iso(ANCHOR + timedelta(days=d)) if d is not None else ""  # noqa: E731

    people = list(PEOPLE)
    members = list(TEAM_MEMBERS)
    by_org: dict[str, list[str]] = {}
    by_unit: dict[str, list[str]] = {}
    used_names = {p[1] for p in people}
    n = 0

    def person(org: str, unit: str, langs: list[str], manager: str = "") -> str:
        nonlocal n
        n += 1
        while True:
            lang = rng.choice(langs)
            name = f"{rng.choice(FIRST[lang])} {rng.choice(LAST[lang])}"
            if name not in used_names:
                break
        used_names.add(name)
        key = f"{org[:3]}-p{n:03d}"
        local = f"p{n:03d}"
        manager = manager or (by_unit.get(unit) or [""])[0]
        people.append((key, name, f"{local}@{DOMAIN[org]}", org, unit, manager, lang))
        by_org.setdefault(org, []).append(key)
        by_unit.setdefault(unit, []).append(key)
        return key

    for org, units, count, langs in POPULATION:
        for i in range(count):
            person(org, units[i % len(units)], langs)
    staff: dict[str, list[str]] = {}
    for team, count in EXTRA_MEMBERS.items():
        for _ in range(count):
            key = person("aurora", TEAM_UNIT[team], ["en", "es", "pt", "ru"])
            members.append((team, key))
            staff.setdefault(team, []).append(key)

    # Requests: who asks which team, paid how.
    pools = []  # (requesters, [(team, weight)], payment)
    for org in ("space-agency", "harbor-health"):
        pay = "trade" if org == "harbor-health" else "cash"
        pools.append((by_org[org], [("t-support", 6), ("t-impl", 2), ("t-sales", 2)], pay, 6))
    for org in ("northwind", "meridian"):
        pools.append((by_org[org], [("t-data", 1)], "cash", 4))
    pools.append((by_org["city-library"], [("t-support", 1)], "free", 1))
    business = by_org["aurora"][:75]
    pools.append(
        (
            business,
            [("t-erp", 3), ("t-crm", 3), ("t-data", 2), ("t-identity", 2), ("t-network", 2)],
            "internal",
            5,
        )
    )
    engineers = [k for ks in staff.values() for k in ks]
    pools.append(
        (
            engineers,
            [("t-storage", 2), ("t-dbhost", 3), ("t-network", 1), ("t-identity", 1)],
            "chargeback",
            3,
        )
    )
    total_weight = sum(p[3] for p in pools)
    requests = []
    for i in range(3000 - len(REQUESTS)):
        pick = rng.uniform(0, total_weight)
        for requesters, teams, pay, weight in pools:  # noqa: B007 — used after the break
            pick -= weight
            if pick <= 0:
                break
        team = rng.choices([t for t, _w in teams], [w for _t, w in teams])[0]
        requester = rng.choice(requesters)
        opened = rng.randint(0, 729) if i else 0  # one opened on the anchor day
        sla, p_then, p_now = SLA[team]
        frac = 1 - opened / 730
        status, accepted, target, closed = "fulfilled", None, None, None
        roll = rng.random()
        if roll < 0.06:
            status, closed = "declined", max(opened - rng.randint(1, 5), 0)
        elif roll < 0.08:
            status, closed = "withdrawn", max(opened - rng.randint(1, 20), 0)
        else:
            accepted = max(opened - rng.randint(0, 2), 0)
            target = accepted - sla  # days ago; negative means ahead
            on_time = rng.random() < p_then + (p_now - p_then) * frac
            done = target + (rng.randint(0, sla) if on_time else -rng.randint(1, 12))
            if done < 0 or (opened < 45 and rng.random() < 0.35):
                status = rng.choice(["accepted", "in_progress", "in_progress"])
                if opened < 3 and rng.random() < 0.5:
                    status, accepted, target = "submitted", None, None
            else:
                closed = done
        requests.append(
            (
                f"REQ-{5001 + i}",
                requester,
                team,
                TEAM_SERVICE[team],
                status,
                pay,
                ago(opened),
                ago(accepted),
                (ago(target) if target >= 0 else ahead(-target)) if target is not None else "",
                ago(closed),
                rng.choice(TITLES[team]),
            )
        )
    story = [
        (k, rq, t, s, st, pay, ago(o), ago(a), ahead(tg), ago(c), title)
        for k, rq, t, s, st, pay, o, a, tg, c, title in REQUESTS
    ]

    involvements = [(p, t, s, role, ago(d), src, "") for p, t, s, role, d, src in INVOLVEMENTS]
    for _i in range(40):
        team = rng.choice(["t-impl", "t-data", "t-erp", "t-crm"])
        org = (
            "aurora"
            if team in ("t-erp", "t-crm", "t-data")
            else rng.choice(["space-agency", "northwind", "meridian"])
        )
        involvements.append(
            (
                rng.choice(by_org[org]),
                team,
                TEAM_SERVICE[team],
                rng.choice(["decides", "specifies", "implements"]),
                ago(rng.randint(1, 400)),
                rng.choice(
                    ["Steering committee", "Design workshop", "Acceptance testing", "Pilot group"]
                ),
                f"{rng.choice([2, 4, 8, 16])}.00",
            )
        )

    # Wishes, votes (one per person), a merged duplicate, comments.
    wish_ideas = [
        ("Export expense reports to Excel", "t-core", "svc-expense-app"),
        ("Scan receipts in bulk", "t-core", "svc-expense-app"),
        ("Approve claims from the phone", "t-core", "svc-mobile"),
        ("Per-diem rates by country", "t-core", "svc-expense-app"),
        ("Faster answers from the help desk at month end", "t-support", "svc-helpdesk"),
        ("A status page for outages", "t-support", "svc-helpdesk"),
        ("Monthly spend dashboard per cost centre", "t-data", "svc-reporting"),
        ("Single sign-on with our own directory", "t-identity", "svc-sso"),
        ("Self-service seat management", "t-sales", "svc-licences"),
        ("Training videos in Spanish", "t-impl", "svc-onboarding"),
        ("Credit-card feed import", "t-core", "svc-expense-app"),
        ("Budget alerts before overspending", "t-data", "svc-reporting"),
        ("Payroll slips in the portal", "t-erp", "svc-erp"),
        ("Dark mode", "t-core", "svc-expense-app"),
        ("Invoices in Portuguese", "t-sales", "svc-licences"),
        ("VPN that works from hotels", "t-network", "svc-network"),
        ("Download all receipts as one PDF", "t-core", "svc-expense-app"),
        ("Customer health score in the CRM", "t-crm", "svc-crm"),
        ("Audit trail export for the auditors", "t-data", "svc-reporting"),
        ("Two approvers for large claims", "t-core", "svc-expense-app"),
    ]
    statuses = [
        "new",
        "new",
        "under_review",
        "planned",
        "in_progress",
        "delivered",
        "declined",
        "already_covered",
    ]
    customers = [
        k
        for org in ("space-agency", "harbor-health", "northwind", "meridian", "city-library")
        for k in by_org[org]
    ]
    voters_pool = customers + business
    wishes, votes, comments = [], [], []
    for i, (title, team, service) in enumerate(wish_ideas, 1):
        key = f"W-{i:03d}"
        created = ANCHOR - timedelta(days=rng.randint(5, 300))
        author = rng.choice(customers if i % 3 else business)
        wishes.append(
            (
                key,
                author,
                title,
                "",
                team,
                service,
                rng.choice(statuses),
                stamp(created, rng),
                "public",
                "",
            )
        )
        count = int(rng.paretovariate(1.2) * 3) % 60
        for voter in rng.sample([v for v in voters_pool if v != author], count):
            when = created + timedelta(days=rng.randint(0, max((ANCHOR - created).days, 0)))
            votes.append((key, voter, stamp(when, rng)))
        if rng.random() < 0.5:
            comments.append(
                (
                    key,
                    rng.choice(voters_pool),
                    stamp(created + timedelta(days=2), rng),
                    rng.choice(
                        [
                            "We need this too.",
                            "Any news?",
                            "+1 from our team",
                            "Would save us hours every month.",
                        ]
                    ),
                )
            )
    # The duplicate, already merged into W-001 (its votes moved there).
    wishes.append(
        (
            "W-021",
            by_org["northwind"][0],
            "Excel export of expenses",
            "",
            "t-core",
            "svc-expense-app",
            "new",
            stamp(ANCHOR - timedelta(days=40), rng),
            "public",
            "W-001",
        )
    )
    # The portal user's wish.
    wishes.append(
        (
            "W-022",
            "nsa-appdir",
            "Receipts forwarded by e-mail",
            "Forward a receipt to an address and it lands in my report.",
            "t-core",
            "svc-expense-app",
            "planned",
            stamp(ANCHOR - timedelta(days=30), rng),
            "public",
            "",
        )
    )
    for voter in rng.sample(customers, 12):
        votes.append(("W-022", voter, stamp(ANCHOR - timedelta(days=rng.randint(1, 29)), rng)))

    # An alert feed: the last six weeks; monitoring is loud, a database alert matters.
    components = [
        ("svc-monitoring", 10),
        ("svc-db", 3),
        ("Database hosting", 1),
        ("svc-network", 3),
        ("svc-helpdesk", 2),
        ("svc-reporting", 2),
        ("svc-storage", 2),
        ("svc-sso", 2),
        ("svc-crm", 1),
        ("printer-7", 1),
    ]
    severities = ["critical", "major", "warning", "warning", "info"]
    alerts = []
    for i in range(80):
        comp = rng.choices([c for c, _w in components], [w for _c, w in components])[0]
        day = ANCHOR - timedelta(days=rng.randint(0, 42))
        text = {
            "svc-monitoring": "Agent heartbeat missing",
            "printer-7": "Paper jam",
        }.get(
            comp,
            rng.choice(
                [
                    "Latency above threshold",
                    "Error rate above 2 %",
                    "Disk 90 % full",
                    "Certificate expires in 7 days",
                ]
            ),
        )
        alerts.append((f"AL-{5000 + i}", comp, rng.choice(severities), stamp(day, rng), text))

    # An impact notice sent ten days ago about the help desk, to some of its customers.
    helpdesk_people = sorted(
        {
            r[1]
            for r in requests
            if r[2] == "t-support" and r[4] != "declined" and r[1] in by_org.get("space-agency", [])
        }
    )[:6] + ["nsa-appdir"]
    notices = []
    sent = stamp(ANCHOR - timedelta(days=10), rng)
    email = {p[0]: p[2] for p in people}
    for key in helpdesk_people:
        notices.append(
            (
                key,
                "svc-helpdesk",
                "AL-5003",
                email[key],
                "en",
                "Service disruption: Customer help desk",
                "Hello,\n\nThe customer help desk is currently disrupted. We are working "
                "on it.\n\nKind regards,\nCustomer support",
                sent,
            )
        )

    # The headers come from the one schema (clientmap/imports/schema.py); the demo leaves the
    # requests' amount and currency empty, so their columns are not written.
    h = _schema().header
    return {
        "organizations.csv": (h("organizations.csv"), ORGANIZATIONS),
        "units.csv": (h("units.csv"), UNITS),
        "people.csv": (h("people.csv"), people),
        "teams.csv": (h("teams.csv"), TEAMS),
        "team_members.csv": (h("team_members.csv"), members),
        "services.csv": (h("services.csv"), SERVICES),
        "consumes.csv": (h("consumes.csv"), CONSUMES),
        "requests.csv": (h("requests.csv", without=("amount", "currency")), story + requests),
        "involvements.csv": (h("involvements.csv"), involvements),
        "wishes.csv": (h("wishes.csv"), wishes),
        "votes.csv": (h("votes.csv"), votes),
        "comments.csv": (h("comments.csv"), comments),
        "alerts.csv": (h("alerts.csv"), alerts),
        "notices.csv": (h("notices.csv"), notices),
    }


def _schema():
    """clientmap.imports.schema, with Django set up first when this runs as a script (the
    schema reads the models' enumerations, the other areas' files register at start-up)."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientmap.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from clientmap.imports import schema

    return schema


def main(out: Path | None = None) -> None:
    out = out or OUT
    out.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in generate().items():
        with open(out / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)
        print(f"{name:<20} {len(rows):>5} rows")
    # The later areas' files are drawn from these: one command writes the whole demo.
    import make_demo_accounts
    import make_demo_touchpoints

    make_demo_touchpoints.main(out)
    make_demo_accounts.main(out)


if __name__ == "__main__":
    main()
