"""A small world for tests: the seeds' stories alone (the demo before it grew), loaded through
the workbook importer. Tests that count things use this, never the demo.

*Aurora Expense Systems* sells an expense-reporting application (seed 001, Glen). Its buyer is
the applications director of the National Space Agency's Flight Centre: she approves the payment
and is a customer; her boss (the Flight Centre CIO), the agency's CIO and its administrator are
in the chain but not involved, so they are not. The agency's systems architects who chose the
package decide, its implementation team implements, its end users use the product and ask for
nothing. The vendor's core development team serves the product manager, tech lead and architect
who specify its work.

Aurora's own IT department is seed 002's value chain (Rance): storage serves database hosting,
which serves the application teams (ERP, CRM, the expense application's platform), which serve
the business units (Finance, Sales), which serve the paying customers who fund it all. The
monitoring team is consumed by nobody: the team that says "we have no customers".

Dates are relative to the day the demo is loaded, so the story stays current.
"""

from __future__ import annotations

import csv
import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from clientmap.directory.models import Person
from clientmap.imports import workbook

PASSWORD = os.environ.get("CLIENTMAP_DEMO_PASSWORD", "clientmap-demo")

ORGANIZATIONS = [
    ("aurora", "Aurora Expense Systems", "yes"),
    ("space-agency", "National Space Agency", ""),
    ("harbor-health", "Harbor Health Clinics", ""),
    ("city-library", "City Library", ""),
]

UNITS = [
    # key, organization, name, parent
    ("aur-exec", "aurora", "Executive office", ""),
    ("aur-it", "aurora", "IT department", "aur-exec"),
    ("aur-infra", "aurora", "Infrastructure", "aur-it"),
    ("aur-apps", "aurora", "Business applications", "aur-it"),
    ("aur-product", "aurora", "Product development", "aur-exec"),
    ("aur-sales", "aurora", "Sales and accounts", "aur-exec"),
    ("aur-finance", "aurora", "Finance", "aur-exec"),
    ("aur-services", "aurora", "Customer services", "aur-exec"),
    ("nsa-hq", "space-agency", "Agency headquarters", ""),
    ("nsa-fc", "space-agency", "Flight Centre", "nsa-hq"),
    ("nsa-fc-apps", "space-agency", "Flight Centre applications", "nsa-fc"),
    ("nsa-fc-ops", "space-agency", "Flight operations", "nsa-fc"),
    ("hh-it", "harbor-health", "Clinic IT", ""),
    ("lib-admin", "city-library", "Library administration", ""),
]

PEOPLE = [
    # key, name, email, organization, unit, manager, language
    ("aur-ceo", "Helena Brandt", "helena.brandt@aurora.example", "aurora", "aur-exec", "", ""),
    (
        "aur-cio",
        "Rafael Ortega",
        "rafael.ortega@aurora.example",
        "aurora",
        "aur-it",
        "aur-ceo",
        "es",
    ),
    (
        "aur-infra-lead",
        "Mina Park",
        "mina.park@aurora.example",
        "aurora",
        "aur-infra",
        "aur-cio",
        "",
    ),
    (
        "aur-storage-1",
        "Tom Becker",
        "tom.becker@aurora.example",
        "aurora",
        "aur-infra",
        "aur-infra-lead",
        "",
    ),
    (
        "aur-dba-1",
        "Lucia Ferreira",
        "lucia.ferreira@aurora.example",
        "aurora",
        "aur-infra",
        "aur-infra-lead",
        "pt",
    ),
    (
        "aur-net-1",
        "Oleg Sokolov",
        "oleg.sokolov@aurora.example",
        "aurora",
        "aur-infra",
        "aur-infra-lead",
        "ru",
    ),
    (
        "aur-mon-1",
        "Jonas Weber",
        "jonas.weber@aurora.example",
        "aurora",
        "aur-infra",
        "aur-infra-lead",
        "",
    ),
    ("aur-apps-lead", "Grace Liu", "grace.liu@aurora.example", "aurora", "aur-apps", "aur-cio", ""),
    (
        "aur-erp-1",
        "Samuel Adeyemi",
        "samuel.adeyemi@aurora.example",
        "aurora",
        "aur-apps",
        "aur-apps-lead",
        "",
    ),
    (
        "aur-crm-1",
        "Irene Costa",
        "irene.costa@aurora.example",
        "aurora",
        "aur-apps",
        "aur-apps-lead",
        "pt",
    ),
    (
        "aur-vp-product",
        "Victor Hale",
        "victor.hale@aurora.example",
        "aurora",
        "aur-product",
        "aur-ceo",
        "",
    ),
    (
        "aur-pm",
        "Nadia Rahman",
        "nadia.rahman@aurora.example",
        "aurora",
        "aur-product",
        "aur-vp-product",
        "",
    ),
    (
        "aur-techlead",
        "Kenji Sato",
        "kenji.sato@aurora.example",
        "aurora",
        "aur-product",
        "aur-vp-product",
        "",
    ),
    (
        "aur-architect",
        "Elena Petrova",
        "elena.petrova@aurora.example",
        "aurora",
        "aur-product",
        "aur-vp-product",
        "ru",
    ),
    (
        "aur-dev-1",
        "Ana Souza",
        "ana.souza@aurora.example",
        "aurora",
        "aur-product",
        "aur-techlead",
        "pt",
    ),
    (
        "aur-dev-2",
        "Marco Rossi",
        "marco.rossi@aurora.example",
        "aurora",
        "aur-product",
        "aur-techlead",
        "",
    ),
    (
        "aur-dev-3",
        "Ivan Morozov",
        "ivan.morozov@aurora.example",
        "aurora",
        "aur-product",
        "aur-techlead",
        "ru",
    ),
    (
        "aur-sales-dir",
        "Carmen Vidal",
        "carmen.vidal@aurora.example",
        "aurora",
        "aur-sales",
        "aur-ceo",
        "es",
    ),
    (
        "aur-am-1",
        "Peter Nolan",
        "peter.nolan@aurora.example",
        "aurora",
        "aur-sales",
        "aur-sales-dir",
        "",
    ),
    (
        "aur-cfo",
        "Ruth Okafor",
        "ruth.okafor@aurora.example",
        "aurora",
        "aur-finance",
        "aur-ceo",
        "",
    ),
    (
        "aur-fin-1",
        "Diego Alvarez",
        "diego.alvarez@aurora.example",
        "aurora",
        "aur-finance",
        "aur-cfo",
        "es",
    ),
    (
        "aur-fin-2",
        "Sofia Lindqvist",
        "sofia.lindqvist@aurora.example",
        "aurora",
        "aur-finance",
        "aur-cfo",
        "",
    ),
    (
        "aur-svc-lead",
        "Bruno Martins",
        "bruno.martins@aurora.example",
        "aurora",
        "aur-services",
        "aur-ceo",
        "pt",
    ),
    (
        "aur-impl-1",
        "Hannah Cole",
        "hannah.cole@aurora.example",
        "aurora",
        "aur-services",
        "aur-svc-lead",
        "",
    ),
    (
        "aur-support-1",
        "Yusuf Demir",
        "yusuf.demir@aurora.example",
        "aurora",
        "aur-services",
        "aur-svc-lead",
        "",
    ),
    # The space agency (seed 001)
    (
        "nsa-admin",
        "Harold Brooks",
        "harold.brooks@agency.example",
        "space-agency",
        "nsa-hq",
        "",
        "",
    ),
    (
        "nsa-cio",
        "Priya Natarajan",
        "priya.natarajan@agency.example",
        "space-agency",
        "nsa-hq",
        "nsa-admin",
        "",
    ),
    (
        "nsa-fc-cio",
        "Marcus Reed",
        "marcus.reed@agency.example",
        "space-agency",
        "nsa-fc",
        "nsa-cio",
        "",
    ),
    (
        "nsa-appdir",
        "Dana Whitfield",
        "dana.whitfield@agency.example",
        "space-agency",
        "nsa-fc-apps",
        "nsa-fc-cio",
        "",
    ),
    (
        "nsa-arch-1",
        "Leo Fischer",
        "leo.fischer@agency.example",
        "space-agency",
        "nsa-fc-apps",
        "nsa-appdir",
        "",
    ),
    (
        "nsa-arch-2",
        "Maya Gupta",
        "maya.gupta@agency.example",
        "space-agency",
        "nsa-fc-apps",
        "nsa-appdir",
        "",
    ),
    (
        "nsa-impl-1",
        "Chris Young",
        "chris.young@agency.example",
        "space-agency",
        "nsa-fc-apps",
        "nsa-appdir",
        "",
    ),
    (
        "nsa-impl-2",
        "Fatima Zahra",
        "fatima.zahra@agency.example",
        "space-agency",
        "nsa-fc-apps",
        "nsa-appdir",
        "",
    ),
    (
        "nsa-user-1",
        "Ben Carter",
        "ben.carter@agency.example",
        "space-agency",
        "nsa-fc-ops",
        "nsa-fc-cio",
        "",
    ),
    (
        "nsa-user-2",
        "Olivia Grant",
        "olivia.grant@agency.example",
        "space-agency",
        "nsa-fc-ops",
        "nsa-fc-cio",
        "es",
    ),
    (
        "nsa-user-3",
        "Raj Malhotra",
        "raj.malhotra@agency.example",
        "space-agency",
        "nsa-fc-ops",
        "nsa-fc-cio",
        "",
    ),
    # Other customers
    ("hh-itmgr", "Grace O'Neil", "grace.oneil@harbor.example", "harbor-health", "hh-it", "", ""),
    (
        "hh-clerk",
        "Tiago Lima",
        "tiago.lima@harbor.example",
        "harbor-health",
        "hh-it",
        "hh-itmgr",
        "pt",
    ),
    (
        "lib-head",
        "Anya Volkova",
        "anya.volkova@library.example",
        "city-library",
        "lib-admin",
        "",
        "ru",
    ),
]

TEAMS = [
    ("t-storage", "Storage", "aur-infra"),
    ("t-dbhost", "Database hosting", "aur-infra"),
    ("t-network", "Network", "aur-infra"),
    ("t-monitoring", "Monitoring", "aur-infra"),
    ("t-erp", "ERP applications", "aur-apps"),
    ("t-crm", "CRM applications", "aur-apps"),
    ("t-core", "Core product development", "aur-product"),
    ("t-sales", "Sales and accounts", "aur-sales"),
    ("t-impl", "Implementation services", "aur-services"),
    ("t-support", "Customer support", "aur-services"),
]

TEAM_MEMBERS = [
    ("t-storage", "aur-storage-1"),
    ("t-storage", "aur-infra-lead"),
    ("t-dbhost", "aur-dba-1"),
    ("t-network", "aur-net-1"),
    ("t-monitoring", "aur-mon-1"),
    ("t-erp", "aur-erp-1"),
    ("t-erp", "aur-apps-lead"),
    ("t-crm", "aur-crm-1"),
    ("t-core", "aur-dev-1"),
    ("t-core", "aur-dev-2"),
    ("t-core", "aur-dev-3"),
    ("t-sales", "aur-am-1"),
    ("t-sales", "aur-sales-dir"),
    ("t-impl", "aur-impl-1"),
    ("t-support", "aur-support-1"),
]

SERVICES = [
    ("svc-storage", "Block and object storage", "t-storage", "live"),
    ("svc-db", "Database hosting", "t-dbhost", "live"),
    ("svc-network", "Corporate network", "t-network", "live"),
    ("svc-monitoring", "Monitoring and alerting", "t-monitoring", "live"),
    ("svc-erp", "ERP (general ledger, payroll)", "t-erp", "live"),
    ("svc-crm", "CRM", "t-crm", "live"),
    ("svc-expense-app", "Expense reporting application", "t-core", "live"),
    ("svc-mobile", "Expense app for mobile", "t-core", "planned"),
    ("svc-licences", "Licences and subscriptions", "t-sales", "live"),
    ("svc-onboarding", "Implementation and onboarding", "t-impl", "live"),
    ("svc-helpdesk", "Customer help desk", "t-support", "live"),
]

CONSUMES = [
    # consumer, provider
    ("svc-db", "svc-storage"),
    ("svc-erp", "svc-db"),
    ("svc-erp", "svc-network"),
    ("svc-crm", "svc-db"),
    ("svc-crm", "svc-network"),
    ("svc-expense-app", "svc-db"),
    ("svc-expense-app", "svc-storage"),
    ("svc-licences", "svc-crm"),
    ("svc-onboarding", "svc-expense-app"),
    ("svc-helpdesk", "svc-crm"),
    ("aur-finance", "svc-erp"),
    ("aur-sales", "svc-crm"),
    ("aur-services", "svc-crm"),
    ("space-agency", "svc-expense-app"),
    ("space-agency", "svc-licences"),
    ("space-agency", "svc-onboarding"),
    ("space-agency", "svc-helpdesk"),
    ("harbor-health", "svc-expense-app"),
    ("harbor-health", "svc-licences"),
    ("harbor-health", "svc-helpdesk"),
    ("city-library", "svc-expense-app"),
]

# key, requester, team, service, status, payment, opened (days ago), accepted, target (days ahead),
# closed (days ago), title
REQUESTS = [
    (
        "REQ-1001",
        "nsa-appdir",
        "t-sales",
        "svc-licences",
        "fulfilled",
        "cash",
        120,
        115,
        None,
        100,
        "Purchase 400 expense-app seats for the Flight Centre",
    ),
    (
        "REQ-1002",
        "nsa-appdir",
        "t-impl",
        "svc-onboarding",
        "in_progress",
        "cash",
        95,
        90,
        30,
        None,
        "Roll out expense reporting at the Flight Centre",
    ),
    (
        "REQ-1003",
        "nsa-user-2",
        "t-support",
        "svc-helpdesk",
        "fulfilled",
        "cash",
        20,
        19,
        None,
        18,
        "Receipts from the mobile camera come out rotated",
    ),
    (
        "REQ-1004",
        "hh-itmgr",
        "t-sales",
        "svc-licences",
        "accepted",
        "trade",
        60,
        55,
        None,
        None,
        "Licences in exchange for a clinic pilot reference",
    ),
    (
        "REQ-1005",
        "hh-clerk",
        "t-support",
        "svc-helpdesk",
        "fulfilled",
        "trade",
        500,
        499,
        None,
        498,
        "Password reset for the approval workflow",
    ),
    (
        "REQ-1006",
        "lib-head",
        "t-sales",
        "svc-licences",
        "accepted",
        "free",
        40,
        38,
        None,
        None,
        "Free pilot licence for library staff expenses",
    ),
    (
        "REQ-1007",
        "lib-head",
        "t-impl",
        "svc-onboarding",
        "declined",
        "free",
        35,
        None,
        None,
        30,
        "Free on-site training",
    ),
    (
        "REQ-2001",
        "aur-fin-1",
        "t-erp",
        "svc-erp",
        "fulfilled",
        "internal",
        80,
        78,
        None,
        60,
        "Month-end close report for expenses",
    ),
    (
        "REQ-2002",
        "aur-fin-2",
        "t-erp",
        "svc-erp",
        "accepted",
        "chargeback",
        15,
        12,
        45,
        None,
        "Payroll export to the new bank format",
    ),
    (
        "REQ-2003",
        "aur-am-1",
        "t-crm",
        "svc-crm",
        "fulfilled",
        "chargeback",
        70,
        69,
        None,
        50,
        "Renewal pipeline view per account",
    ),
    (
        "REQ-2004",
        "aur-sales-dir",
        "t-erp",
        "svc-erp",
        "declined",
        "internal",
        25,
        None,
        None,
        20,
        "Commission calculation in the ERP",
    ),
    (
        "REQ-2005",
        "aur-erp-1",
        "t-dbhost",
        "svc-db",
        "fulfilled",
        "internal",
        200,
        198,
        None,
        190,
        "More capacity for the ERP database",
    ),
    (
        "REQ-2006",
        "aur-crm-1",
        "t-dbhost",
        "svc-db",
        "accepted",
        "internal",
        10,
        9,
        20,
        None,
        "Read replica for CRM reporting",
    ),
    (
        "REQ-2007",
        "aur-dba-1",
        "t-storage",
        "svc-storage",
        "fulfilled",
        "internal",
        150,
        149,
        None,
        140,
        "Faster volumes for database hosting",
    ),
    (
        "REQ-2008",
        "aur-dev-1",
        "t-dbhost",
        "svc-db",
        "fulfilled",
        "internal",
        45,
        44,
        None,
        40,
        "Test database for the expense app",
    ),
    (
        "REQ-2009",
        "aur-support-1",
        "t-crm",
        "svc-crm",
        "submitted",
        "internal",
        5,
        None,
        30,
        None,
        "Link help-desk tickets to accounts",
    ),
    (
        "REQ-2010",
        "aur-impl-1",
        "t-core",
        "svc-expense-app",
        "fulfilled",
        "internal",
        600,
        598,
        None,
        590,
        "Bulk user import for large customers",
    ),
]

# person, team, service, role, days ago, source
INVOLVEMENTS = [
    ("nsa-appdir", "t-sales", "svc-licences", "decides", 118, "Signed the purchase order"),
    ("nsa-arch-1", "t-sales", "svc-licences", "decides", 130, "Package selection board"),
    ("nsa-arch-2", "t-sales", "svc-licences", "decides", 130, "Package selection board"),
    ("nsa-arch-1", "t-impl", "svc-onboarding", "specifies", 85, "Integration design workshop"),
    ("nsa-impl-1", "t-impl", "svc-onboarding", "implements", 60, "Data migration"),
    ("nsa-impl-2", "t-impl", "svc-onboarding", "implements", 40, "Single sign-on set-up"),
    ("aur-pm", "t-core", "svc-expense-app", "specifies", 14, "Quarterly roadmap"),
    ("aur-pm", "t-core", "svc-mobile", "specifies", 7, "Mobile app requirements"),
    ("aur-techlead", "t-core", "svc-expense-app", "specifies", 21, "Architecture review"),
    ("aur-architect", "t-core", "svc-expense-app", "specifies", 30, "Target architecture"),
    ("aur-vp-product", "t-core", "svc-mobile", "decides", 10, "Approved the mobile budget"),
    ("aur-cfo", "t-erp", "svc-erp", "decides", 90, "Sponsor of the ERP upgrade"),
    ("aur-fin-1", "t-erp", "svc-erp", "implements", 50, "User acceptance testing"),
    ("aur-apps-lead", "t-dbhost", "svc-db", "decides", 210, "Chose the database platform"),
]

USERS = [
    # username, person key, staff, superuser
    ("admin", "aur-cio", True, True),
    ("member", "aur-dev-1", False, False),
    ("portal", "nsa-appdir", False, False),
]


def _write(folder: Path, name: str, header: list[str], rows: list[tuple]) -> None:
    with open(folder / name, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def write_workbook(folder: Path, today: date | None = None) -> None:
    """Write the demo as a workbook folder (the same files a user would fill in)."""
    today = today or date.today()

    def ago(days: int | None) -> str:
        return (today - timedelta(days=days)).isoformat() if days is not None else ""

    def ahead(days: int | None) -> str:
        return (today + timedelta(days=days)).isoformat() if days is not None else ""

    _write(folder, "organizations.csv", ["key", "name", "home"], ORGANIZATIONS)
    _write(folder, "units.csv", ["key", "organization", "name", "parent"], UNITS)
    _write(
        folder,
        "people.csv",
        ["key", "name", "email", "organization", "unit", "manager", "language"],
        PEOPLE,
    )
    _write(folder, "teams.csv", ["key", "name", "unit"], TEAMS)
    _write(folder, "team_members.csv", ["team", "person"], TEAM_MEMBERS)
    _write(folder, "services.csv", ["key", "name", "team", "status"], SERVICES)
    _write(folder, "consumes.csv", ["consumer", "provider"], CONSUMES)
    _write(
        folder,
        "requests.csv",
        [
            "key",
            "requester",
            "team",
            "service",
            "status",
            "payment",
            "opened",
            "accepted",
            "target",
            "closed",
            "title",
        ],
        [
            (k, rq, t, s, st, pay, ago(o), ago(a), ahead(tg), ago(c), title)
            for k, rq, t, s, st, pay, o, a, tg, c, title in REQUESTS
        ],
    )
    _write(
        folder,
        "involvements.csv",
        ["person", "team", "service", "role", "date", "source"],
        [(p, t, s, role, ago(d), src) for p, t, s, role, d, src in INVOLVEMENTS],
    )


def load(today: date | None = None) -> tuple[workbook.Report, list[str]]:
    """Load (or refresh) the demo. Idempotent: a second load on the same day changes nothing."""
    with tempfile.TemporaryDirectory(prefix="clientmap-demo-") as tmp:
        folder = Path(tmp)
        write_workbook(folder, today)
        with transaction.atomic():
            report = workbook.import_workbook(folder)
            users = _users()
    return report, users


def _users() -> list[str]:
    User = get_user_model()
    made = []
    for username, person_key, staff, superuser in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username,
                password=PASSWORD,
                is_staff=staff,
                is_superuser=superuser,
            )
            made.append(username)
        person = Person.objects.get(key=person_key)
        if person.user_id != user.pk:
            Person.objects.filter(user=user).exclude(pk=person.pk).update(user=None)
            person.user = user
            person.save(update_fields=["user"])
    return made
