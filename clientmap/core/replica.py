"""Reads from a PostgreSQL read replica (``DATABASE_REPLICA_URL``), writes to the primary.

:class:`ReplicaRouter` sends a read to the ``replica`` alias only inside a request that
:class:`~clientmap.core.middleware.ReplicaReads` marked as read-only (GET/HEAD pages and API
reads), and never inside a transaction on the primary. A user who just wrote is pinned to the
primary for ``CLIENTMAP_REPLICA_PIN_SECONDS`` (a cookie), so they read their own write even
while the replica is still catching up. Jobs, the CLI and every write use the primary.

When the primary does not answer, pages keep reading from the replica and say that writes are
unavailable (:func:`primary_available`, checked at most every few seconds per process).
"""

from __future__ import annotations

import contextvars
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"
PIN_COOKIE = "cm_primary"

_reads_from_replica: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "clientmap_reads_from_replica", default=False
)
_used: contextvars.ContextVar[set | None] = contextvars.ContextVar(
    "clientmap_db_used", default=None
)


def configured() -> bool:
    return REPLICA in settings.DATABASES


def pin_seconds() -> int:
    return int(getattr(settings, "REPLICA_PIN_SECONDS", 10))


def begin(read_only: bool) -> contextvars.Token:
    _used.set(set())
    return _reads_from_replica.set(read_only)


def end(token: contextvars.Token) -> None:
    _reads_from_replica.reset(token)


def used() -> set:
    return _used.get() or set()


def _note(alias: str) -> str:
    seen = _used.get()
    if seen is not None:
        seen.add(alias)
    return alias


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if (
            _reads_from_replica.get()
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
            and configured()
        ):
            return _note(REPLICA)
        return _note(DEFAULT_DB_ALIAS)

    def db_for_write(self, model, **hints):
        return _note(DEFAULT_DB_ALIAS)

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


_primary_state = {"at": 0.0, "ok": True}


def primary_available(every: float = 3.0) -> bool:
    """Whether the primary answers (with a replica configured; cached for ``every`` seconds)."""
    if not configured():
        return True
    now = time.monotonic()
    if now - _primary_state["at"] < every:
        return _primary_state["ok"]
    base = connections[DEFAULT_DB_ALIAS]
    options = {k: v for k, v in base.settings_dict.get("OPTIONS", {}).items() if k != "pool"}
    options["connect_timeout"] = 2
    conn = base.__class__({**base.settings_dict, "OPTIONS": options}, alias="primary-check")
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
        ok = True
    except DatabaseError:
        ok = False
    finally:
        try:
            conn.close()
        except DatabaseError:
            pass
    _primary_state.update(at=now, ok=ok)
    return ok
