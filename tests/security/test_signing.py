"""Defect 8: signed tokens carry a purpose and an expiry, and a used one cannot be replayed."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection

from clientmap.core import signing
from clientmap.voice import services
from clientmap.voice.models import Attestation, Wish
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_round_trip_and_purpose():
    t = signing.make_token("survey", {"person": 7, "survey": "Q3"})
    assert signing.read_token("survey", t) == {"person": 7, "survey": "Q3"}
    assert signing.read_token("survey", t) == {"person": 7, "survey": "Q3"}  # reading is free
    with pytest.raises(signing.TokenInvalid):
        signing.read_token("attestation", t)


def test_tampered_token_is_refused():
    t = signing.make_token("survey", 1)
    body, sig = t.rsplit(":", 1)
    for bad in (t[:-1] + ("A" if t[-1] != "A" else "B"), "x" + t, f"{body}:{sig[::-1]}", "", "::"):
        with pytest.raises(signing.TokenInvalid):
            signing.read_token("survey", bad)


def test_expired_token_is_refused(monkeypatch):
    t = signing.make_token("survey", 1, max_age_days=30)
    import time

    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 29 * 86400)
    assert signing.read_token("survey", t) == 1
    monkeypatch.setattr(time, "time", lambda: now + 31 * 86400)
    with pytest.raises(signing.TokenExpired, match="expired"):
        signing.read_token("survey", t)


def test_default_expiry_is_configurable(settings):
    settings.CLIENTMAP_TOKEN_MAX_AGE_DAYS = 2
    t = signing.make_token("survey", 1)
    left = signing.expires_at("survey", t).timestamp() - __import__("time").time()
    assert 2 * 86400 - 60 < left <= 2 * 86400


def test_used_token_cannot_be_replayed():
    t = signing.make_token("survey", 1)
    assert signing.use_token("survey", t) == 1
    with pytest.raises(signing.TokenUsed, match="already been used"):
        signing.use_token("survey", t)
    with pytest.raises(signing.TokenUsed):
        signing.read_token("survey", t)
    # another token with the same payload is a different token
    assert signing.use_token("survey", signing.make_token("survey", 1)) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_use_spends_once():
    if connection.vendor == "sqlite":
        pytest.skip("one writer at a time on SQLite")
    t = signing.make_token("survey", 1)
    results: list[str] = []

    def go():
        try:
            signing.use_token("survey", t)
            results.append("ok")
        except signing.TokenUsed:
            results.append("used")
        finally:
            connection.close()

    threads = [threading.Thread(target=go) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == ["ok"] + ["used"] * 7


def test_forget_expired():
    from datetime import timedelta

    from django.utils import timezone

    from clientmap.core.models import UsedToken

    signing.use_token("survey", signing.make_token("survey", 1))
    UsedToken.objects.create(
        digest="0" * 64, purpose="survey", expires_at=timezone.now() - timedelta(days=1)
    )
    assert signing.forget_expired() == 1
    assert UsedToken.objects.count() == 1


def test_attestation_link_expires_and_works_once(
    client, home, monkeypatch, django_capture_on_commit_callbacks
):
    author = f.person(email="a@example.org")
    wish = services.submit_wish(author, "Receipts by mail")
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(wish, Wish.Status.DELIVERED)
    body = next(m.body for m in mail.outbox if "/voice/attest/" in m.body)
    link = "/voice/attest/" + body.split("/voice/attest/")[1].split("/")[0] + "/"
    att = Attestation.objects.get(wish=wish)
    assert att.token not in link  # the stored secret is never the link itself
    assert client.get(link).status_code == 200
    assert client.get(f"/voice/attest/{att.token}/").status_code == 404  # unsigned: refused
    import time

    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 31 * 86400)
    r = client.get(link)
    assert r.status_code == 410 and "expired" in r.content.decode()
    client.post(link, {"helped": "yes"})
    assert Attestation.objects.get(pk=att.pk).answered_at is None
    monkeypatch.setattr(time, "time", lambda: now)
    client.post(link, {"helped": "yes"})
    client.post(link, {"helped": "no"})
    assert Attestation.objects.get(pk=att.pk).helped is True
    assert "answer is recorded" in client.get(link).content.decode()
