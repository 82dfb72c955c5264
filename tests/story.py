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
    USERS,
)
from clientmap.directory.models import Person
from clientmap.imports import schema, workbook

PASSWORD = os.environ.get("CLIENTMAP_DEMO_PASSWORD", "clientmap-demo")


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

    # the headers come from the one schema; amount, currency and hours are left empty here
    h = schema.header
    _write(folder, "organizations.csv", h("organizations.csv"), ORGANIZATIONS)
    _write(folder, "units.csv", h("units.csv"), UNITS)
    _write(folder, "people.csv", h("people.csv"), PEOPLE)
    _write(folder, "teams.csv", h("teams.csv"), TEAMS)
    _write(folder, "team_members.csv", h("team_members.csv"), TEAM_MEMBERS)
    _write(folder, "services.csv", h("services.csv"), SERVICES)
    _write(folder, "consumes.csv", h("consumes.csv"), CONSUMES)
    _write(
        folder,
        "requests.csv",
        h("requests.csv", without=("amount", "currency")),
        [
            (k, rq, t, s, st, pay, ago(o), ago(a), ahead(tg), ago(c), title)
            for k, rq, t, s, st, pay, o, a, tg, c, title in REQUESTS
        ],
    )
    _write(
        folder,
        "involvements.csv",
        h("involvements.csv", without=("hours",)),
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
