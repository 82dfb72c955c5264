"""Bulk loading helpers shared by imports and recomputes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

THRESHOLD = 50_000  # rows: below this, updating indexes row by row is cheap enough


def secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's non-unique indexes."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
                [table],
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                "AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
                [table],
            )
        else:  # pragma: no cover
            return []
        return list(cursor.fetchall())


@contextmanager
def loading(
    table: str,
    incoming: int,
    existing: int,
    threshold: int | None = None,
    *,
    only_if_empty: bool = False,
) -> Iterator[None]:
    """Drop the table's secondary indexes around a large load, and build them again after.

    Sorting once to build an index beats updating it row by row when the load is large
    compared with what is there (at most a quarter of it). Unique indexes stay: they enforce
    keys. ``only_if_empty`` for loads whose statements need the indexes to find existing rows.
    Inside a transaction this is atomic on both databases.
    """
    threshold = THRESHOLD if threshold is None else threshold
    if incoming < threshold or existing * 4 > incoming or (only_if_empty and existing):
        yield
        return
    indexes = secondary_indexes(table)
    pg = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if pg:
            # PostgreSQL refuses to change the indexes of a table with pending deferred
            # foreign-key checks: run those checks now (they would run at commit anyway).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        if pg:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
    with connection.cursor() as cursor:
        if pg:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _, sql in indexes:
            cursor.execute(sql)
        if pg:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
