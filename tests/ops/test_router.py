"""The replica router and the read-your-writes pin (the real standby: test_replica.py)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import RequestFactory

from clientmap.core import replica
from clientmap.core.middleware import ReplicaReads
from clientmap.directory.models import Person


@pytest.fixture
def with_replica(monkeypatch):
    monkeypatch.setattr(replica, "configured", lambda: True)


def test_reads_go_to_the_replica_only_in_read_only_requests(with_replica) -> None:
    router = replica.ReplicaRouter()
    assert router.db_for_read(Person) == "default"  # jobs, CLI: no request
    token = replica.begin(read_only=True)
    try:
        assert router.db_for_read(Person) == "replica"
        assert router.db_for_write(Person) == "default"
    finally:
        replica.end(token)
    token = replica.begin(read_only=False)
    try:
        assert router.db_for_read(Person) == "default"
    finally:
        replica.end(token)
    assert router.allow_migrate("replica", "directory") is False


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_on_the_primary_stay_there(with_replica) -> None:
    router = replica.ReplicaRouter()
    token = replica.begin(read_only=True)
    try:
        with transaction.atomic():
            assert router.db_for_read(Person) == "default"
    finally:
        replica.end(token)


def test_a_write_pins_its_author_to_the_primary(with_replica, settings) -> None:
    from django.http import HttpResponse

    seen = []

    def view(request):
        seen.append(replica.ReplicaRouter().db_for_read(Person))
        return HttpResponse("ok")

    mw = ReplicaReads(view)
    rf = RequestFactory()
    response = mw(rf.get("/teams/"))
    assert seen[-1] == "replica" and response["X-Clientmap-Read-From"] == "replica"
    response = mw(rf.post("/voice/wishes/x/vote/"))
    assert seen[-1] == "default" and response["X-Clientmap-Read-From"] == "primary"
    pin = response.cookies[replica.PIN_COOKIE]
    assert pin["max-age"] == settings.REPLICA_PIN_SECONDS and pin["httponly"]
    request = rf.get("/teams/")
    request.COOKIES[replica.PIN_COOKIE] = "1"
    mw(request)
    assert seen[-1] == "default"  # reads their own write from the primary


def test_without_a_replica_nothing_changes() -> None:
    from django.http import HttpResponse

    response = ReplicaReads(lambda r: HttpResponse("ok"))(RequestFactory().post("/x/"))
    assert "X-Clientmap-Read-From" not in response and replica.PIN_COOKIE not in response.cookies
