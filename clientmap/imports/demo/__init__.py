"""The demo: a workbook folder of CSV files shipped in the package (this folder), loaded by the
same importer a user runs (``clientmap import FOLDER --format workbook``).

Aurora Expense Systems, a vendor with an internal IT department of twelve teams, and its paying
customers (the seeds' stories, grown to six organizations, 300 people and 3 000 requests over two
years by ``scripts/make_demo.py``). The files are written with a fixed "today"; the loader moves
every date and time by the same number of days so that the newest request opened is the day it
is loaded — the stories stay current, and loading twice on one day changes nothing.

See docs/demo.md.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from clientmap.directory import inbox
from clientmap.directory.models import Message, Person
from clientmap.imports import demo_experience, workbook
from clientmap.imports.models import ImportJob

FOLDER = Path(__file__).resolve().parent
PASSWORD = os.environ.get("CLIENTMAP_DEMO_PASSWORD", "clientmap-demo")
USERS = [
    # username, person key, staff, superuser
    ("admin", "aur-cio", True, True),
    ("member", "aur-dev-1", False, False),
    ("portal", "nsa-appdir", False, False),
]
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})([T ]\d{2}:\d{2}.*)?$")


def files() -> list[Path]:
    return sorted(FOLDER.glob("*.csv"))


def anchor(folder: Path = FOLDER) -> date:
    """The demo's own "today": the newest ``opened`` date of its requests.csv."""
    with open(folder / "requests.csv", newline="", encoding="utf-8") as fh:
        return max(date.fromisoformat(r["opened"]) for r in csv.DictReader(fh))


def _shift(value: str, days: timedelta) -> str:
    m = _DATE.match(value)
    if not m:
        return value
    try:
        day = date.fromisoformat(m.group(1))
    except ValueError:
        return value
    return (day + days).isoformat() + (m.group(2) or "")


def write_workbook(folder: Path | str, today: date | None = None) -> Path:
    """Copy the demo workbook into ``folder`` with every date moved so the newest request opened
    is ``today`` (default: the local date). Returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    days = (today or timezone.localdate()) - anchor()
    for path in files():
        with open(path, newline="", encoding="utf-8") as src:
            rows = list(csv.reader(src))
        with open(folder / path.name, "w", newline="", encoding="utf-8") as dst:
            w = csv.writer(dst)
            w.writerow(rows[0])
            w.writerows([_shift(v, days) for v in row] for row in rows[1:])
    return folder


def load(today: date | None = None) -> tuple[workbook.Report, list[str]]:
    """Load (or refresh) the demo through the workbook importer, record it in the import
    history, create the three users and leave them something in their inbox."""
    tmp = Path(tempfile.mkdtemp(prefix="clientmap-demo-"))
    try:
        write_workbook(tmp, today)
        started = timezone.now()
        with transaction.atomic():
            report = workbook.import_workbook(tmp)
            demo_experience.load_surveys()
            users = _users()
            _history(report, started)
            _inbox()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report, users


def _users() -> list[str]:
    User = get_user_model()
    made = []
    for username, person_key, staff, superuser in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username, password=PASSWORD, is_staff=staff, is_superuser=superuser
            )
            made.append(username)
        person = Person.objects.get(key=person_key)
        if person.user_id != user.pk:
            Person.objects.filter(user=user).exclude(pk=person.pk).update(user=None)
            person.user = user
            person.save(update_fields=["user"])
    return made


def _history(report: workbook.Report, started: datetime) -> None:
    """The demo load is an import like any other: it appears in *Imports* with its report, and
    the staff user who owns it is told in the inbox when it changed something."""
    if not report.changed and ImportJob.objects.filter(filename="clientmap demo").exists():
        return
    from clientmap.imports import services

    admin = get_user_model().objects.filter(username=USERS[0][0]).first()
    job = ImportJob.objects.create(
        created_by=admin,
        filename="clientmap demo",
        path=str(FOLDER),
        size=sum(p.stat().st_size for p in files()),
        format="workbook",
        status=ImportJob.Status.DONE,
        started_at=started,
        finished_at=timezone.now(),
        report=report.as_dict(),
    )
    services.announce(job, mail=False)


def _inbox() -> None:
    """What the portal user would have been told: a disruption of the help desk they use, and
    their wish being planned (idempotent)."""
    person = Person.objects.filter(key=USERS[2][1]).first()
    if person is None or Message.objects.filter(person=person).exists():
        return
    with override(person.language or None):
        inbox.tell(
            person,
            _("Service disruption: %(service)s") % {"service": "Customer help desk"},
            kind=Message.Kind.IMPACT,
            url="/voice/",
            mail=False,
        )
        inbox.tell(
            person,
            _("“%(title)s” is now %(status)s.")
            % {"title": "Receipts forwarded by e-mail", "status": _("planned")},
            kind=Message.Kind.WISH,
            url="/voice/wishes/W-022/",
            mail=False,
        )
