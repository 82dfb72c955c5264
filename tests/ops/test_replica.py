"""A real hot standby: pages read from it, a write shows after catch-up, reads survive the primary.

The test starts its own primary (initdb in a temporary folder, on a free port — the shared
server at 127.0.0.1:5432 is never touched), a hot standby made from it with pg_basebackup, and
``clientmap serve`` with DATABASE_URL → primary and DATABASE_REPLICA_URL → standby. It skips,
saying why, where the PostgreSQL server binaries are missing (/usr/lib/postgresql/*/bin).
Also runnable alone: ``scripts/replica-test.sh``.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.ops.scratch import KIND, ROOT
from tests.ops.test_serve import free_port, wait_for

pytestmark = [
    pytest.mark.replica,
    pytest.mark.skipif(
        KIND != "postgresql" and not os.environ.get("CLIENTMAP_REPLICA_TEST"),
        reason="the replica test runs once, in the PostgreSQL pass (CLIENTMAP_REPLICA_TEST=1 to force)",
    ),
]


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_basebackup"))
    if found:
        return Path(found[-1]).parent
    exe = shutil.which("pg_basebackup")
    return Path(exe).parent if exe and shutil.which("initdb") else None


BIN = _bin_dir()

SETUP = """
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientmap.settings")
import django
django.setup()
from django.contrib.auth import get_user_model, HASH_SESSION_KEY, SESSION_KEY, BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from clientmap.directory.models import Organization, Person
from clientmap.voice.models import Wish
org = Organization.objects.create(key="acme", name="Acme")
sessions = []
people = []
for i in range(2):
    u = get_user_model().objects.create(username=f"reader-{i}", password="!")
    people.append(Person.objects.create(key=f"p{i}", name=f"Reader {i}", organization=org, user=u))
    s = SessionStore()
    s[SESSION_KEY] = str(u.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = u.get_session_auth_hash()
    s.create()
    sessions.append(s.session_key)
Wish.objects.create(key="replicated-wish", title="Read me from the replica", author=people[0])
print(json.dumps(sessions))
"""


class Cluster:
    def __init__(self, folder: Path, name: str) -> None:
        self.dir = folder / name
        self.port = free_port()
        self.sock = folder

    def pg(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(BIN / tool), *args]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=300)

    def start(self) -> None:
        self.pg(
            "pg_ctl", "-D", str(self.dir), "-l", str(self.dir) + ".log", "-w", "-t", "120",
            "-o", f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self.pg("pg_ctl", "-D", str(self.dir), "-m", "fast", "-w", "stop", check=False)

    def url(self, db: str = "clientmap") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"


def _get(url: str, session: str, pin: bool = False) -> tuple[int, dict, bytes]:
    cookie = f"sessionid={session}" + ("; cm_primary=1" if pin else "")
    req = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _post(url: str, session: str) -> tuple[int, dict, bytes]:
    token = "b" * 32
    req = urllib.request.Request(
        url,
        data=urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode(),
        headers={"Cookie": f"sessionid={session}; csrftoken={token}"},
    )
    try:
        with urllib.request.build_opener(_NoRedirect).open(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.mark.skipif(BIN is None, reason="PostgreSQL server binaries (initdb, pg_ctl, "
                    "pg_basebackup) not found in /usr/lib/postgresql/*/bin: replica test skipped")  # fmt: skip
def test_pages_read_from_a_hot_standby_and_survive_the_primary_stopping() -> None:
    import psycopg

    folder = Path(tempfile.mkdtemp(prefix="clientmap-replica-"))
    os.chmod(folder, 0o777)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    primary, standby = Cluster(folder, "primary"), Cluster(folder, "standby")
    server = None
    try:
        primary.pg("initdb", "-D", str(primary.dir), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with open(primary.dir / "postgresql.conf", "a") as conf:
            conf.write("wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n")
        primary.start()
        with psycopg.connect(primary.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE clientmap")
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(
            DATABASE_URL=primary.url(),
            CLIENTMAP_DATA_DIR=str(folder / "data"),
            PYTHONPATH=str(ROOT),
            CLIENTMAP_DB_POOL_TIMEOUT="3",
            CLIENTMAP_REPLICA_PIN_SECONDS="3",
        )
        subprocess.run([sys.executable, "-m", "clientmap", "migrate", "-v0"], env=env, check=True)
        out = subprocess.run(
            [sys.executable, "-c", SETUP], env=env, capture_output=True, text=True, check=True
        )
        reader, voter = json.loads(out.stdout.strip().splitlines()[-1])

        primary.pg(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(standby.dir), "-R", "-X", "stream",
        )  # fmt: skip
        standby.start()

        env["DATABASE_REPLICA_URL"] = standby.url()
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "clientmap", "serve", f"127.0.0.1:{port}"]
            + ["--workers", "1", "--threads", "2", "--no-collectstatic"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/healthz")
        api = f"{base}/api/voice/wishes/replicated-wish"

        # 1. read-only pages and API reads come from the standby
        status, headers, body = _get(f"{base}/voice/wishes/replicated-wish/", reader)
        assert status == 200 and headers["X-Clientmap-Read-From"] == "replica"
        assert b"Read me from the replica" in body
        status, headers, body = _get(api, reader)
        assert status == 200 and headers["X-Clientmap-Read-From"] == "replica"
        assert json.loads(body)["votes"] == 0

        # 2. a write goes to the primary; its author reads it back at once from the primary
        status, headers, _ = _post(f"{base}/voice/wishes/replicated-wish/vote/", voter)
        assert status == 302 and "cm_primary=1" in headers.get("Set-Cookie", "")
        status, headers, body = _get(api, voter, pin=True)
        assert headers["X-Clientmap-Read-From"] == "primary" and json.loads(body)["votes"] == 1
        # … and everyone reads it from the standby once it has caught up
        deadline = time.time() + 60
        while time.time() < deadline:
            status, headers, body = _get(api, reader)
            if json.loads(body)["votes"] == 1:
                break
            time.sleep(0.2)
        assert headers["X-Clientmap-Read-From"] == "replica" and json.loads(body)["votes"] == 1

        # 3. the primary stops (ours): reads go on, writes are refused with a clear message
        primary.stop()
        time.sleep(3.5)  # the per-process check of the primary is cached for 3 s
        status, headers, body = _get(f"{base}/voice/wishes/replicated-wish/", reader)
        assert status == 200 and headers["X-Clientmap-Read-From"] == "replica"
        assert b"Writes are unavailable" in body and b"Read me from the replica" in body
        status, headers, body = _get(api, reader)
        assert status == 200 and json.loads(body)["votes"] == 1
        status, headers, body = _post(f"{base}/voice/wishes/replicated-wish/vote/", reader)
        assert status == 503 and b"Writes are unavailable" in body, body[:300]
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)
        standby.stop()
        primary.stop()
        shutil.rmtree(folder, ignore_errors=True)
