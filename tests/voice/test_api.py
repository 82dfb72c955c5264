"""The voice API: portal users post and vote; staff triage; counts stay exact."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests import story as demo

pytestmark = pytest.mark.django_db


def basic(username: str) -> dict:
    """An API token of the demo user (the name is historical: HTTP Basic is gone)."""
    return f.bearer(username)


def test_post_vote_list_and_triage(client) -> None:
    demo.load()
    created = client.post(
        "/api/voice/wishes",
        {"title": "Receipts by e-mail", "text": "forward a receipt to an address"},
        content_type="application/json",
        **basic("portal"),
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert client.post(f"/api/voice/wishes/{key}/vote", **basic("member")).json()["votes"] == 1
    assert client.post(f"/api/voice/wishes/{key}/vote", **basic("member")).json()["votes"] == 1
    listing = client.get("/api/voice/wishes?sort=demand", **basic("portal")).json()
    assert listing["items"][0]["key"] == key and listing["items"][0]["demand"] >= 1
    hint = client.get("/api/voice/similar?q=receipt%20by%20email", **basic("portal")).json()
    assert hint and hint[0]["key"] == key
    # a portal user cannot triage; staff can
    r = client.post(
        f"/api/voice/wishes/{key}/status",
        {"status": "planned"},
        content_type="application/json",
        **basic("portal"),
    )
    assert r.status_code == 403
    r = client.post(
        f"/api/voice/wishes/{key}/status",
        {"status": "planned"},
        content_type="application/json",
        **basic("admin"),
    )
    assert r.status_code == 200 and r.json()["status"] == "planned"
    assert client.delete(f"/api/voice/wishes/{key}/vote", **basic("member")).json()["votes"] == 0
    cov = client.get("/api/voice/coverage", **basic("member")).json()
    assert cov["coverage"]["all"]["wishes"] == 1
    assert client.get("/api/voice/wishes").status_code == 401
