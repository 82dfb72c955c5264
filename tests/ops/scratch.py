"""Scratch databases for tests that run the product in subprocesses (faults, load)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
URL = os.environ.get("DATABASE_URL", "")
KIND = "postgresql" if URL.startswith(("postgres://", "postgresql://")) else "sqlite"


class Scratch:
    """Scratch databases of the suite's kind, made from templates, dropped at the end."""

    def __init__(self, folder: Path, tag: str = "fault") -> None:
        self.folder = folder
        self.data = folder / "data"
        self.data.mkdir(exist_ok=True)
        self.names: list[str] = []
        if KIND == "postgresql":
            self.base, _, db = URL.rpartition("/")
            self.prefix = f"{db.split('?')[0]}_{tag}"

    def url(self, name: str) -> str:
        if KIND == "postgresql":
            return f"{self.base}/{self.prefix}_{name}"
        return f"sqlite:///{self.folder / name}.sqlite3"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"{self.base}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def create(self, name: str, template: str | None = None) -> str:
        self.drop(name)
        if KIND == "postgresql":
            tpl = f" TEMPLATE {self.prefix}_{template}" if template else ""
            self._admin(f'CREATE DATABASE "{self.prefix}_{name}"{tpl}')
        elif template:
            for suffix in ("", "-wal", "-shm"):
                src = self.folder / f"{template}.sqlite3{suffix}"
                if src.exists():
                    shutil.copy(src, self.folder / f"{name}.sqlite3{suffix}")
        self.names.append(name)
        return name

    def drop(self, name: str) -> None:
        if KIND == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.prefix}_{name}" WITH (FORCE)')
        else:
            for suffix in ("", "-wal", "-shm"):
                (self.folder / f"{name}.sqlite3{suffix}").unlink(missing_ok=True)

    def env(self, name: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(
            DATABASE_URL=self.url(name),
            CLIENTMAP_DATA_DIR=str(self.data),
            PYTHONPATH=str(ROOT),
            CLIENTMAP_TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        )
        return env

    def start_driver(self) -> None:
        """One long-lived Django process that checks and reruns (saves a start per point)."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ops.fault_driver"],
            # it switches databases under one connection alias: no pool (a pool keeps the first)
            env={**self.env("empty"), "CLIENTMAP_DB_POOL": "0"},
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def driver(self, name: str, *args: str) -> dict:
        for cmd in (["use", self.url(name)], list(args)):
            self.proc.stdin.write(json.dumps(cmd) + "\n")
            self.proc.stdin.flush()
            while True:
                line = self.proc.stdout.readline()
                assert line, "the fault driver died"
                if line.startswith("@@"):
                    out = json.loads(line[2:])
                    break
            assert "failure" not in out, out.get("traceback")
        return out

    def status(self, name: str, key: str) -> str | None:
        """The job's status, read straight from the scratch database."""
        sql = "SELECT status FROM core_job WHERE key = %s"
        if KIND == "postgresql":
            import psycopg

            with psycopg.connect(self.url(name)) as conn:
                row = conn.execute(sql, [key]).fetchone()
        else:
            import sqlite3

            conn = sqlite3.connect(self.folder / f"{name}.sqlite3", timeout=30)
            try:
                row = conn.execute(sql.replace("%s", "?"), [key]).fetchone()
            finally:
                conn.close()
        return row[0] if row else None

    def worker(self, name: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "clientmap", "worker", "--batch", "--interval", "0.2"],
            env=self.env(name),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
