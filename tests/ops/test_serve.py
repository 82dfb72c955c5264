"""The production server: gunicorn with WhiteNoise, ``check --deploy``, ``/healthz``."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import DatabaseError

from clientmap.core import jobs
from clientmap.core.models import WorkerBeat

ROOT = Path(__file__).resolve().parents[2]
CLIENTMAP = [sys.executable, "-m", "clientmap"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(CLIENTMAP_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), **extra)
    return env


@pytest.mark.django_db
def test_healthz_needs_no_login_and_says_nothing_private(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"status", "database", "worker", "worker_seen_seconds_ago"}
    assert data["database"] == "ok" and data["status"] == "degraded"
    assert data["worker"] == "never seen"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_ok_when_a_worker_was_seen_recently(client) -> None:
    jobs.beat("some-host:123:abc")
    data = client.get("/healthz").json()
    assert data["status"] == "ok" and data["worker"] == "ok"
    assert "some-host" not in client.get("/healthz").content.decode()
    WorkerBeat.objects.update(last_seen=WorkerBeat.objects.get().last_seen.replace(year=2020))
    assert client.get("/healthz").json()["worker"] == "stale"


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_is_away(client, monkeypatch) -> None:
    from clientmap.core import health

    class Broken:
        def cursor(self):
            raise DatabaseError("connection refused")

    monkeypatch.setattr(health, "connection", Broken())
    response = client.get("/healthz")
    assert response.status_code == 503 and response["Retry-After"]
    assert response.json() == {"status": "down", "database": "unreachable"}


def test_check_deploy_is_clean_with_debug_off_behind_tls(tmp_path) -> None:
    env = env_for(tmp_path, CLIENTMAP_HTTPS="1", SECRET_KEY="s" * 20 + "-k3y-" + "x9" * 20)
    out = subprocess.run(
        [*CLIENTMAP, "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"nothing answered at {url}")


def test_clientmap_serve_runs_gunicorn_workers_with_compressed_long_cached_statics(
    tmp_path,
) -> None:
    env = env_for(tmp_path)
    subprocess.run([*CLIENTMAP, "migrate", "-v0"], env=env, check=True, timeout=300)
    port = free_port()
    server = subprocess.Popen(
        [*CLIENTMAP, "serve", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/healthz")
        status, headers, body = get(base + "/healthz")
        assert status == 200 and headers["Server"].startswith("gunicorn")
        status, headers, body = get(base + "/")
        assert status == 302 and "/login/" in headers["Location"]  # login required, DEBUG off
        status, headers, page = get(base + "/login/")
        css = re.search(rb'href="(/static/core/clientmap\.[0-9a-f]{12}\.css)"', page)
        assert css, "static names are hashed"
        status, headers, body = get(base + css.group(1).decode(), {"Accept-Encoding": "gzip"})
        assert status == 200 and headers.get("Content-Encoding") == "gzip"
        assert (
            "immutable" in headers["Cache-Control"]
            and "max-age=315360000" in headers["Cache-Control"]
        )
        children = subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(children) == 2, children
    finally:
        server.terminate()
        server.wait(timeout=60)
