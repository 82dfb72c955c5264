"""Hardening: sign-in throttling (django-axes) on the login form and on token creation,
``clientmap unlock USER``; Argon2 as the first password hasher, old hashes upgraded."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command

from clientmap.core.models import ApiToken
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return 3


def login(client, username, password, ip="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_locks_after_n_failures_per_user_and_address(client, home, limit):
    f.user("victim")
    for _ in range(limit - 1):
        assert login(client, "victim", "wrong").status_code == 200  # the form again
    r = login(client, "victim", "wrong")
    assert r.status_code == 429
    assert "Too many failed sign-ins" in r.content.decode()
    # now even the right password is refused from that address …
    assert login(client, "victim", f.PASSWORD).status_code == 429
    # … but not from another one, nor for another user from the first
    assert login(client, "victim", f.PASSWORD, ip="10.0.0.2").status_code == 302
    f.user("bystander")
    assert login(Client(), "bystander", f.PASSWORD).status_code == 302
    out = StringIO()
    call_command("unlock", "victim", stdout=out)
    assert "Unlocked victim" in out.getvalue()
    assert login(Client(), "victim", f.PASSWORD).status_code == 302


def test_a_success_resets_the_count(client, home, limit):
    f.user("forgetful")
    for _ in range(limit - 1):
        login(client, "forgetful", "wrong")
    assert login(client, "forgetful", f.PASSWORD).status_code == 302
    c = Client()
    for _ in range(limit - 1):
        assert login(c, "forgetful", "wrong").status_code == 200


def test_token_creation_needs_the_password_and_is_throttled(client, home, limit):
    user = f.user("tokener")
    client.force_login(user)
    r = client.post(
        "/tokens/", {"name": "t", "password": "wrong"}, REMOTE_ADDR="10.0.0.9", follow=True
    )
    assert "password is needed" in r.content.decode()
    assert not ApiToken.objects.exists()
    for _ in range(limit):
        client.post("/tokens/", {"name": "t", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    r = client.post(
        "/tokens/", {"name": "t", "password": f.PASSWORD}, REMOTE_ADDR="10.0.0.9", follow=True
    )
    assert "Too many failed sign-ins" in r.content.decode()
    assert not ApiToken.objects.exists()
    call_command("unlock", "tokener", stdout=StringIO())
    client.post("/tokens/", {"name": "t", "password": f.PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert ApiToken.objects.filter(user=user).count() == 1


def test_argon2_first_and_old_hashes_upgraded_at_login(client, home, settings):
    from clientmap import settings as product

    settings.PASSWORD_HASHERS = product.PASSWORD_HASHERS  # the suite uses a fast hasher
    user = f.user("hashy")
    assert user.password.startswith("argon2")
    user.password = make_password(f.PASSWORD, hasher="pbkdf2_sha256")
    user.save()
    assert login(client, "hashy", f.PASSWORD).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2")


from django.test import Client  # noqa: E402
