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
    Inside a transaction this is atomic on both databases. On PostgreSQL the table is analyzed
    after the load: building the indexes again tells the planner how many rows there are, but
    not what is in them (distinct values, common values), and a table that just grew many times
    over (a first import had no statistics at all) would be planned on wrong figures until
    autovacuum comes by.
    """
    threshold = THRESHOLD if threshold is None else threshold
    if incoming < threshold or existing * 4 > incoming or (only_if_empty and existing):
        yield
        return
    indexes = secondary_indexes(table)
    pg = connection.vendor == "postgresql"
    foreign_keys = _foreign_keys(table) if pg else []
    with connection.cursor() as cursor:
        if pg:
            # PostgreSQL refuses to change a table with pending deferred foreign-key checks:
            # run those checks now (they would run at commit anyway).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # A foreign key checks every inserted row with a trigger; adding it back after the
            # load checks all rows in one join instead. Same names, same definitions.
            for name, _ in foreign_keys:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
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
        for name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        if pg:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(f'ANALYZE "{table}"')


def _foreign_keys(table: str) -> list[tuple[str, str]]:
    """(name, definition) of the table's own foreign keys (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        return list(cursor.fetchall())
