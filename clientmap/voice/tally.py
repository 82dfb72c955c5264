"""How many wishes are open, stored (``WishTally``, one row) and kept by the database itself.

The overview shows the number of open wishes (not merged; not delivered, declined or already
covered). Counting them reads every open wish's index entry (≈ 11 000 at the bench's 20 000
wishes: 2 ms of SQLite per overview). The count is kept instead **by row triggers on
``voice_wish``**, in the transaction of each write that changes it, whatever wrote it: voice's
services (a wish submitted, its status changed, a merge), the wish import's ``update()``\\ s,
the admin, a survivor deleted (``merged_into`` set to null by the database's cascade), a bulk
``update()`` of many wishes, a delete. Why triggers rather than Python at each write: several of
those writes are set-based ``update()`` calls and cascades that send no signal, in more than one
layer; a trigger cannot be bypassed by a new path. A concurrent write waits on the tally row's
lock, as votes do on ``vote_count``.

``install()`` (re)creates the triggers and sets the row from a count; it runs after every
``migrate`` and ``flush`` (``post_migrate``), so a database made without migrations (the
tests' ``--no-migrations``) or emptied has them too. When the row is missing (a database
emptied without ``post_migrate``), ``open_wishes()`` counts. ``tests/voice/test_tally_equal.py``
compares the stored count with the count it replaces after every kind of write.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

from clientmap.voice.models import Wish

CLOSED = (Wish.Status.DELIVERED, Wish.Status.DECLINED, Wish.Status.ALREADY_COVERED)
_CLOSED_SQL = ", ".join(f"'{s}'" for s in CLOSED)
_OPEN = f"merged_into_id IS NULL AND status NOT IN ({_CLOSED_SQL})"
_OPEN_NEW = f"NEW.merged_into_id IS NULL AND NEW.status NOT IN ({_CLOSED_SQL})"
_OPEN_OLD = f"OLD.merged_into_id IS NULL AND OLD.status NOT IN ({_CLOSED_SQL})"

_SQLITE = [
    "DROP TRIGGER IF EXISTS voice_wish_tally_insert",
    "DROP TRIGGER IF EXISTS voice_wish_tally_delete",
    "DROP TRIGGER IF EXISTS voice_wish_tally_update",
    f"""CREATE TRIGGER voice_wish_tally_insert AFTER INSERT ON voice_wish
        WHEN {_OPEN_NEW}
        BEGIN UPDATE voice_wishtally SET open = open + 1 WHERE id = 1; END""",
    f"""CREATE TRIGGER voice_wish_tally_delete AFTER DELETE ON voice_wish
        WHEN {_OPEN_OLD}
        BEGIN UPDATE voice_wishtally SET open = open - 1 WHERE id = 1; END""",
    f"""CREATE TRIGGER voice_wish_tally_update AFTER UPDATE OF status, merged_into_id ON voice_wish
        WHEN ({_OPEN_NEW}) IS NOT ({_OPEN_OLD})
        BEGIN UPDATE voice_wishtally
              SET open = open + (CASE WHEN {_OPEN_NEW} THEN 1 ELSE -1 END) WHERE id = 1; END""",
]

_POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION voice_wish_tally() RETURNS trigger AS $$
        DECLARE d integer := 0;
        BEGIN
          IF TG_OP <> 'DELETE' THEN
            IF {_OPEN_NEW} THEN d := d + 1; END IF;
          END IF;
          IF TG_OP <> 'INSERT' THEN
            IF {_OPEN_OLD} THEN d := d - 1; END IF;
          END IF;
          IF d <> 0 THEN
            UPDATE voice_wishtally SET open = open + d WHERE id = 1;
          END IF;
          RETURN NULL;
        END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS voice_wish_tally ON voice_wish",
    """CREATE TRIGGER voice_wish_tally
        AFTER INSERT OR DELETE OR UPDATE OF status, merged_into_id ON voice_wish
        FOR EACH ROW EXECUTE FUNCTION voice_wish_tally()""",
]

_COUNT = f"SELECT COUNT(*) FROM voice_wish WHERE {_OPEN}"


def install(using: str = DEFAULT_DB_ALIAS) -> None:
    """Create (or replace) the triggers and set the tally row from a count, in one
    transaction."""
    from django.db import transaction

    connection = connections[using]
    statements = _POSTGRESQL if connection.vendor == "postgresql" else _SQLITE
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # no write of a wish between the count and the triggers
            cursor.execute("LOCK TABLE voice_wish IN SHARE ROW EXCLUSIVE MODE")
        for sql in statements:
            cursor.execute(sql)
        cursor.execute("DELETE FROM voice_wishtally")
        cursor.execute(
            f"INSERT INTO voice_wishtally (id, open) SELECT 1, COUNT(*) FROM voice_wish WHERE {_OPEN}"
        )


def stored(using: str = DEFAULT_DB_ALIAS) -> int | None:
    """The stored count, or None when there is no tally row."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT open FROM voice_wishtally WHERE id = 1")
        row = cursor.fetchone()
    return None if row is None else row[0]


def counted(using: str = DEFAULT_DB_ALIAS) -> int:
    """The count the stored one replaces."""
    with connections[using].cursor() as cursor:
        cursor.execute(_COUNT)
        return cursor.fetchone()[0]


def open_wishes(using: str = DEFAULT_DB_ALIAS) -> int:
    """How many wishes are open: the stored count (one primary-key read), else counted."""
    n = stored(using)
    return counted(using) if n is None else n


def on_post_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """After ``migrate`` or ``flush``: install, once both tables exist (not after a migrate to
    before them)."""
    tables = set(connections[using].introspection.table_names())
    if {"voice_wish", "voice_wishtally"} <= tables:
        install(using)
