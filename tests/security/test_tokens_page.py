"""The API tokens page (/tokens/) for every user, not only staff: created and revoked in the UI,
shown once, and the last-used time shown (issue 10, "API tokens")."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django.utils.dateformat import format as date_format

from clientmap.core import tokens
from clientmap.core.models import ApiToken
from tests import factories as f

pytestmark = pytest.mark.django_db


def _row(html: str, prefix: str) -> str:
    (row,) = [r for r in html.split("<tr>") if f"<code>{prefix}…</code>" in r]
    return row


def test_the_page_shows_when_a_token_was_last_used(client, home):
    user = f.user("tok-used", person=f.person(f.org()))
    used, text = tokens.create_token(user, name="used")
    unused, _ = tokens.create_token(user, name="unused")
    client.force_login(user)
    assert "never" in _row(client.get("/tokens/").content.decode(), used.prefix)
    assert client.get("/api/voice/wishes", HTTP_AUTHORIZATION=f"Bearer {text}").status_code == 200
    used.refresh_from_db()
    shown = date_format(timezone.localtime(used.last_used_at), "Y-m-d H:i")
    html = client.get("/tokens/").content.decode()
    cells = _row(html, used.prefix).split("<td")
    assert shown in cells[-2] and "never" not in cells[-2]  # the "Last used" column
    assert "never" in _row(html, unused.prefix).split("<td")[-2]


@pytest.mark.parametrize("role", ["portal", "team_member"])
def test_a_user_who_is_not_staff_creates_and_revokes_a_token_in_the_ui(client, home, role):
    person = f.person(f.org()) if role == "portal" else f.person()
    if role == "team_member":
        f.team(members=[person])
    user = f.user(f"tok-{role}", person=person)
    client.force_login(user)
    r = client.post(
        "/tokens/", {"name": "my script", "scope": "read", "expires": "7", "password": f.PASSWORD}
    )
    html = r.content.decode()
    text = html.split('id="token-text">')[1].split("<")[0]
    record = ApiToken.objects.get(user=user, name="my script")
    assert tokens.check(text).pk == record.pk and record.read_only
    assert text not in client.get("/tokens/").content.decode()  # shown once
    r = client.post("/tokens/", {"action": "revoke", "token": record.pk}, follow=True)
    assert r.status_code == 200 and "revoked" in _row(r.content.decode(), record.prefix)
    assert tokens.check(text) is None


def test_a_user_who_signs_in_through_the_identity_provider_needs_no_password_for_a_token(
    client, home
):
    user = f.user("tok-sso", person=f.person(f.org()))
    user.set_unusable_password()  # as the identity provider's sign-in makes them
    user.save()
    client.force_login(user)
    page = client.get("/tokens/").content.decode()
    assert 'name="password"' not in page
    r = client.post("/tokens/", {"name": "sso script"})
    assert 'id="token-text"' in r.content.decode()
    assert ApiToken.objects.filter(user=user, name="sso script").exists()
