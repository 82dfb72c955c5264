"""Connections under load: a busy pool answers 503 + Retry-After, and no vote is ever lost."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.db import OperationalError
from django.test import Client

from tests import factories as f
from tests.ops.scratch import KIND, ROOT, Scratch
from tests.ops.test_serve import free_port, wait_for

VOTERS = 200


class PoolTimeout(Exception):
    """Stands for psycopg_pool.PoolTimeout (matched by name, as the real one is)."""


def _busy(*args, **kwargs):
    try:
        raise PoolTimeout("couldn't get a connection after 10.00 sec")
    except PoolTimeout as exc:
        raise OperationalError("couldn't get a connection after 10.00 sec") from exc


@pytest.mark.django_db
def test_a_request_that_gets_no_connection_is_answered_503_with_retry_after(monkeypatch) -> None:
    from clientmap.voice import services
    from clientmap.voice.models import Vote, Wish

    person = f.person()
    f.team(members=[person])
    u = f.user("voter", person=person)
    wish = Wish.objects.create(key="w1", title="Faster VPN", author=person)
    client = Client(raise_request_exception=False)
    client.force_login(u)
    monkeypatch.setattr(services, "vote", _busy)
    page = client.post(f"/voice/wishes/{wish.key}/vote/")
    assert page.status_code == 503 and page["Retry-After"] == "2"
    assert b"busy" in page.content
    assert Vote.objects.count() == 0
    api = client.get("/api/voice/wishes", HTTP_ACCEPT="application/json")
    assert api.status_code == 200  # only the request without a connection is refused

    monkeypatch.setattr("clientmap.voice.api.selectors.visible_wishes", _busy)
    api = client.get("/api/voice/wishes")
    assert api.status_code == 503 and api["Retry-After"] == "2"
    assert "busy" in api.json()["detail"]


@pytest.mark.django_db
def test_other_server_errors_stay_500(monkeypatch) -> None:
    from clientmap.voice import services
    from clientmap.voice.models import Wish

    person = f.person()
    f.team(members=[person])
    u = f.user("voter", person=person)
    Wish.objects.create(key="w1", title="x", author=person)
    client = Client(raise_request_exception=False)
    client.force_login(u)

    def broken(*a, **k):
        raise OperationalError("division by zero")

    monkeypatch.setattr(services, "vote", broken)
    assert client.post("/voice/wishes/w1/vote/").status_code == 500


SETUP = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientmap.settings")
import django
django.setup()
from django.contrib.auth import get_user_model, HASH_SESSION_KEY, SESSION_KEY, BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from clientmap.directory.models import Organization, Person
from clientmap.voice.models import Wish
n = int(sys.argv[1])
User = get_user_model()
org = Organization.objects.create(key="acme", name="Acme")
users = User.objects.bulk_create([User(username=f"voter-{i}", password="!") for i in range(n)])
users = list(User.objects.filter(username__startswith="voter-").order_by("pk"))
people = Person.objects.bulk_create(
    [Person(key=f"p/{i} «v»", name=f"Voter {i}", organization=org, user=u) for i, u in enumerate(users)]
)
wish = Wish.objects.create(key="faster-vpn", title="Faster VPN", author=people[0])
keys = []
for u in users:
    s = SessionStore()
    s[SESSION_KEY] = str(u.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = u.get_session_auth_hash()
    s.create()
    keys.append(s.session_key)
print(json.dumps({"wish": wish.key, "sessions": keys}))
"""


@pytest.mark.skipif(KIND != "postgresql", reason="the concurrent-voters test runs on PostgreSQL")
def test_200_concurrent_voters_through_the_production_server_all_count(tmp_path) -> None:
    scratch = Scratch(tmp_path, tag="voters")
    scratch.create("db")
    env = scratch.env("db")
    try:
        subprocess.run(
            [sys.executable, "-m", "clientmap", "migrate", "-v0"], env=env, cwd=ROOT, check=True
        )
        out = subprocess.run(
            [sys.executable, "-c", SETUP, str(VOTERS)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        setup = json.loads(out.stdout.strip().splitlines()[-1])
        port = free_port()
        # Fewer pooled connections than threads, and a short wait for one: 503s will happen.
        env.update(CLIENTMAP_DB_POOL_MAX="2", CLIENTMAP_DB_POOL_TIMEOUT="1")
        server = subprocess.Popen(
            [sys.executable, "-m", "clientmap", "serve", f"127.0.0.1:{port}"]
            + ["--workers", "2", "--threads", "6", "--no-collectstatic"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/healthz")
        codes: list[int] = []
        retried = [0]
        lock = threading.Lock()
        go = threading.Event()
        token = "a" * 32

        def voter(session_key: str) -> None:
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode()
            req = urllib.request.Request(
                f"{base}/voice/wishes/{setup['wish']}/vote/",
                data=body,
                headers={"Cookie": f"sessionid={session_key}; csrftoken={token}"},
            )
            opener = urllib.request.build_opener(NoRedirect)
            go.wait()
            code: int | str = "no answer"
            for _attempt in range(60):
                try:
                    with opener.open(req, timeout=240) as r:
                        code = r.status
                except urllib.error.HTTPError as e:
                    code = e.code
                    if code == 503:  # nothing was written: send it again, as told
                        with lock:
                            retried[0] += 1
                        time.sleep(float(e.headers.get("Retry-After", "1")))
                        continue
                except OSError as exc:
                    code = f"{type(exc).__name__}: {exc}"
                break
            with lock:
                codes.append(code)

        threads = [threading.Thread(target=voter, args=(k,)) for k in setup["sessions"]]
        for t in threads:
            t.start()
        go.set()
        for t in threads:
            t.join(timeout=300)
        server.terminate()
        server.wait(timeout=60)
        import psycopg

        with psycopg.connect(scratch.url("db")) as conn:
            count = conn.execute(
                "SELECT vote_count FROM voice_wish WHERE key = 'faster-vpn'"
            ).fetchone()[0]
            rows = conn.execute("SELECT count(*) FROM voice_vote").fetchone()[0]
        print(
            f"{VOTERS} voters: {codes.count(302)} counted, {retried[0]} answers were 503 (retried)"
        )
        assert sorted(set(codes)) == [302], {c: codes.count(c) for c in set(codes)}
        assert count == rows == VOTERS
    finally:
        scratch.drop("db")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
