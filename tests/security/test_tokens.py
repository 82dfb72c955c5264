"""Defect 2: API tokens replace HTTP Basic: per user, shown once, stored as a keyed hash,
read or read-write, expiring, revocable, last use shown; token requests need no CSRF token,
session requests still do."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from clientmap.core import tokens
from clientmap.core.models import ApiToken, AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(home):
    return f.user("tok-staff", staff=True)


def auth(text: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {text}"}


def test_stored_as_keyed_hash_never_in_clear(staff, settings):
    record, text = tokens.create_token(staff)
    assert text.startswith(record.prefix + "_") and len(text) > 40
    stored = ApiToken.objects.get(pk=record.pk)
    assert text not in (stored.digest, stored.prefix, stored.name)
    settings.CLIENTMAP_API_TOKEN_KEY = "server-key"
    expected = hmac.new(b"server-key", text.encode(), hashlib.sha256).hexdigest()
    assert tokens.digest(text) == expected
    # a new server key invalidates every token
    assert tokens.check(text) is None


def test_checking_a_token_never_runs_the_password_hasher(client, staff):
    _r, text = tokens.create_token(staff)
    with mock.patch("django.contrib.auth.hashers.check_password") as hasher:
        assert client.get("/api/directory/teams", **auth(text)).status_code == 200
    hasher.assert_not_called()


def test_write_token_writes_without_csrf(staff):
    _r, text = tokens.create_token(staff)
    c = Client(enforce_csrf_checks=True)
    r = c.post("/api/customers/recompute", **auth(text))
    assert r.status_code == 200, r.content


def test_read_only_token_reads_but_cannot_write(client, staff):
    _r, text = tokens.create_token(staff, read_only=True)
    assert client.get("/api/directory/teams", **auth(text)).status_code == 200
    r = client.post("/api/customers/recompute", **auth(text))
    assert r.status_code == 403 and "read-only" in r.json()["detail"]


def test_session_writes_still_need_csrf(staff):
    c = Client(enforce_csrf_checks=True)
    c.force_login(staff)
    assert c.post("/api/customers/recompute").status_code == 403
    c.get("/tokens/")  # sets the CSRF cookie
    token = c.cookies["csrftoken"].value
    assert c.post("/api/customers/recompute", HTTP_X_CSRFTOKEN=token).status_code == 200


def test_expired_revoked_unknown_and_inactive_are_401(client, staff):
    _r, live = tokens.create_token(staff, expires_days=1)
    assert client.get("/api/directory/teams", **auth(live)).status_code == 200
    rec, old = tokens.create_token(staff, expires_days=1)
    ApiToken.objects.filter(pk=rec.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/directory/teams", **auth(old)).status_code == 401
    rec, gone = tokens.create_token(staff)
    tokens.revoke(rec)
    assert client.get("/api/directory/teams", **auth(gone)).status_code == 401
    assert client.get("/api/directory/teams", **auth(live[:-1] + "x")).status_code == 401
    assert client.get("/api/directory/teams", HTTP_AUTHORIZATION="Bearer ").status_code == 401
    staff.is_active = False
    staff.save()
    assert client.get("/api/directory/teams", **auth(live)).status_code == 401


def test_last_used_is_recorded(client, staff):
    rec, text = tokens.create_token(staff)
    assert rec.last_used_at is None
    client.get("/api/directory/teams", **auth(text))
    rec.refresh_from_db()
    assert rec.last_used_at is not None


def test_portal_token_reaches_only_the_portal(client, home):
    portal = f.user("tok-portal", person=f.person(f.org()))
    _r, text = tokens.create_token(portal)
    assert client.get("/api/voice/wishes", **auth(text)).status_code == 200
    assert client.get("/api/directory/teams", **auth(text)).status_code == 401


def test_cli_create_list_revoke(client, staff):
    out, err = StringIO(), StringIO()
    call_command(
        "token", "create", "tok-staff", "--read-only", "--expires", "7", stdout=out, stderr=err
    )
    text = out.getvalue().strip()
    assert "shown once" in err.getvalue()
    rec = tokens.check(text)
    assert rec is not None and rec.read_only
    assert timedelta(days=6.9) < rec.expires_at - timezone.now() <= timedelta(days=7)
    listing = StringIO()
    call_command("token", "list", "tok-staff", stdout=listing)
    assert rec.prefix in listing.getvalue() and text not in listing.getvalue()
    call_command("token", "revoke", rec.prefix, stdout=StringIO())
    assert tokens.check(text) is None
    with pytest.raises(CommandError, match="No user"):
        call_command("token", "create", "nobody-here", stdout=StringIO())
    with pytest.raises(CommandError, match="positive"):
        call_command("token", "create", "tok-staff", "--expires", "0", stdout=StringIO())


def test_ui_creates_shows_once_and_revokes(client, staff):
    client.force_login(staff)
    r = client.post(
        "/tokens/",
        {"name": "backup script", "scope": "write", "expires": "30", "password": f.PASSWORD},
    )
    assert r.status_code == 200
    html = r.content.decode()
    rec = ApiToken.objects.get(name="backup script")
    text = html.split('id="token-text">')[1].split("<")[0]
    assert tokens.check(text).pk == rec.pk and not rec.read_only
    again = client.get("/tokens/").content.decode()
    assert text not in again and rec.prefix in again  # shown once, listed by its prefix
    assert client.post("/tokens/", {"action": "revoke", "token": rec.pk}).status_code == 302
    assert tokens.check(text) is None
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "token.create",
        "token.revoke",
    }


def test_ui_default_is_read_only_and_bad_expiry_is_explained(client, staff):
    client.force_login(staff)
    client.post("/tokens/", {"name": "ro", "password": f.PASSWORD})
    assert ApiToken.objects.get(name="ro").read_only
    r = client.post(
        "/tokens/", {"name": "bad", "expires": "-3", "password": f.PASSWORD}, follow=True
    )
    assert "between 1 and 3650" in r.content.decode()
    assert not ApiToken.objects.filter(name="bad").exists()


def test_a_user_cannot_revoke_another_users_token(client, staff, home):
    rec, text = tokens.create_token(staff)
    other = f.user("tok-other", person=f.person())
    client.force_login(other)
    assert client.post("/tokens/", {"action": "revoke", "token": rec.pk}).status_code == 404
    assert rec.prefix not in client.get("/tokens/").content.decode()
    assert tokens.check(text) is not None


def test_readme_api_example_uses_a_token():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "Authorization: Bearer" in readme and "clientmap token create" in readme
    api_doc = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    assert "-u admin:" not in api_doc and "Bearer" in api_doc
