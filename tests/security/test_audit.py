"""The audit log: imports, merges, triage, role and token changes, with user, time, object and
before/after; a staff page and a CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from clientmap.core import tokens
from clientmap.core.models import AuditEvent
from clientmap.voice import services
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(home):
    return f.user("audit-staff", staff=True)


def last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("id")


def test_triage_merge_and_cover_are_recorded(client, staff):
    author = f.person()
    a = services.submit_wish(author, "A", key="WA")
    b = services.submit_wish(author, "B", key="WB")
    svc = f.service(key="svc-cover")
    client.force_login(staff)
    client.post(reverse("voice:triage", args=["WA"]), {"action": "status", "status": "planned"})
    e = last("wish.status")
    assert (e.username, e.object_key, e.before, e.after["status"]) == (
        "audit-staff",
        "WA",
        {"status": "new"},
        "planned",
    )
    client.post(reverse("voice:triage", args=["WB"]), {"action": "cover", "service": "svc-cover"})
    assert last("wish.cover").after == {"covered_by": ["svc-cover"]}
    client.post(reverse("voice:triage", args=["WA"]), {"action": "merge", "into": "WB"})
    e = last("wish.merge")
    assert e.object_key == "WA" and e.after["merged_into"] == "WB" and e.user == staff
    assert a and b and svc


def test_role_and_token_changes_are_recorded(client, staff):
    other = f.user("audit-other")
    client.force_login(staff)
    # an admin edit made through a request is attributed to its user
    from django.test import RequestFactory

    from clientmap.core import audit

    token = audit.current_user.set(staff)
    try:
        other.is_staff = True
        other.save()
    finally:
        audit.current_user.reset(token)
    e = last("role.user")
    assert (e.object_key, e.before, e.after, e.username) == (
        "audit-other",
        {"is_staff": False},
        {"is_staff": True},
        "audit-staff",
    )
    rec, _text = tokens.create_token(other, read_only=True, by=staff)
    assert last("token.create").after["scope"] == "read"
    tokens.revoke(rec, by=staff)
    assert last("token.revoke").username == "audit-staff"
    t = f.team(key="audit-team", members=[f.person(key="audit-person")])
    e = last("role.team_member")
    assert e.object_key == "audit-person" and e.after == {"team": t.key}
    assert RequestFactory  # imported for the reader: the middleware sets the user per request


def test_a_finished_import_job_is_recorded(staff, tmp_path):
    from clientmap.imports.models import ImportJob

    job = ImportJob.objects.create(filename="x.zip", path=str(tmp_path / "x"), created_by=staff)
    assert not AuditEvent.objects.filter(action__startswith="import.").exists()
    job.status = ImportJob.Status.FAILED
    job.errors = [{"message": "bad"}]
    job.save(update_fields=["status", "errors"])
    e = last("import.failed")
    assert e.user == staff and "x.zip" in e.object_key and e.after["errors"] == 1


def test_staff_page_filters_and_exports_csv(client, staff):
    f.person(key="=evil")
    services.submit_wish(f.person(), '=HYPERLINK("x")', key="=W")
    w = services.submit_wish(f.person(), "ok", key="W2")
    services.change_status(w, "planned", by=staff)
    client.force_login(staff)
    html = client.get(reverse("audit")).content.decode()
    assert "wish.status" in html and "W2" in html
    # Look in the table only: the page's random CSRF token may hold "W2" by chance.
    filtered = client.get(reverse("audit") + "?action=token.").content.decode()
    assert "<table" in filtered
    table = filtered.split("<table", 1)[1].split("</table>", 1)[0]
    assert "W2" not in table and "wish.status" not in table
    r = client.get(reverse("audit") + "?format=csv")
    body = b"".join(r.streaming_content).decode()[1:]
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["time", "user", "action"]
    assert any(row[2] == "wish.status" and row[4] == "W2" for row in rows)
    assert all(not c.startswith(("=", "+", "-", "@")) for row in rows for c in row)


def test_audit_page_is_for_staff_only(client, home):
    client.force_login(f.user("audit-member", person=f.person()))
    assert client.get(reverse("audit")).status_code == 403


def test_fit_overrides_are_recorded_from_the_page_and_the_api(client, staff):
    from datetime import timedelta

    from django.utils import timezone

    org = f.org(key="audit-acme")
    until = timezone.localdate() + timedelta(days=30)
    client.force_login(staff)
    client.post(
        reverse("fit:override", args=[org.key]),
        {"group": "2", "reason": "strategic account", "expires": until.isoformat()},
    )
    e = last("fit.override")
    assert (e.user, e.object_key, e.before) == (staff, "audit-acme", {"override": None})
    assert e.after["override"] == {
        "group": 2,
        "reason": "strategic account",
        "expires": until.isoformat(),
    }
    bot = f.user("audit-bot", staff=True)
    r = Client().delete(f"/api/fit/overrides/{org.key}", **f.bearer(bot))
    assert r.status_code == 200
    e = last("fit.clear")
    assert e.user == bot and e.before["override"]["group"] == 2 and e.after == {"override": None}
    # nothing in force: nothing ended, nothing recorded
    client.post(reverse("fit:clear_override", args=[org.key]))
    assert AuditEvent.objects.filter(action="fit.clear").count() == 1


def test_a_command_line_import_is_recorded_with_the_data_or_not_at_all(db, tmp_path):
    from django.core.management import CommandError, call_command

    from clientmap.directory.models import Team
    from clientmap.imports import demo

    book = tmp_path / "book"
    book.mkdir()
    demo.write_workbook(book)
    call_command("import", str(book), "--check", "--no-progress")
    assert not AuditEvent.objects.filter(action__startswith="import.").exists()
    call_command("import", str(book), "--no-progress")
    e = last("import.done")
    assert e.username.startswith("cli:") and e.user is None and e.object_key == str(book)
    assert e.after["via"] == "cli" and e.after["counts"]["teams"]["created"] == Team.objects.count()
    # a refused file: nothing written, nothing recorded
    (book / "teams.csv").write_text("key,name\n,no key\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import", str(book), "--no-progress")
    assert AuditEvent.objects.filter(action="import.done").count() == 1
