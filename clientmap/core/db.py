"""Small database helpers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError

T = TypeVar("T")


def retrying(fn: Callable[[], T], attempts: int = 40) -> T:
    """Run ``fn``, retrying briefly while SQLite reports the database or a table as locked.

    SQLite has one writer at a time; its busy timeout covers most waits, but not every case
    (a shared-cache database, as in tests, answers "table is locked" at once).
    """
    for attempt in range(attempts):
        try:
            return fn()
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")
