"""``clientmap backup`` / ``clientmap restore``: every table round-trips, counts and checksums."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.core.management.color import no_style
from django.db import connection

from clientmap.core import backup
from clientmap.directory.models import Organization, Person
from clientmap.imports import demo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(db):
    demo.load()
    p = Person.objects.order_by("pk").first()
    p.name = 'Zoë "=SUM(A1)" Ünïcødé / 100% 日本語'
    p.save()
    return p


def _empty_the_database() -> None:
    tables = [m._meta.db_table for m in backup.all_models()]
    connection.ops.execute_sql_flush(
        connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True)
    )


def test_backup_then_restore_into_an_empty_database_is_lossless(world, tmp_path: Path) -> None:
    before = backup.table_checksums()
    assert sum(t["count"] for t in before.values()) > 100
    call_command("backup", str(tmp_path / "b.zip"))
    _empty_the_database()
    assert backup.holds_data() == []
    call_command("restore", str(tmp_path / "b.zip"))
    assert backup.table_checksums() == before
    assert Person.objects.get(pk=world.pk).name == world.name
    # sequences continue after the restored ids
    new = Organization.objects.create(key="after-restore", name="x")
    assert new.pk > max(Organization.objects.exclude(pk=new.pk).values_list("pk", flat=True))


def test_restore_into_a_freshly_migrated_database_needs_no_replace(world, tmp_path: Path) -> None:
    """What a user does: ``clientmap migrate`` on a new database, then ``clientmap restore``.
    The rows migrate writes itself (the derived tables' versions, the open-wish tally) are not
    data to protect; and the tally is restored as it was, not counted twice."""
    before = backup.table_checksums()
    call_command("backup", str(tmp_path / "b.zip"))
    _empty_the_database()
    call_command("migrate", verbosity=0)  # post_migrate: the tally row and its triggers

    assert backup.holds_data() == []
    call_command("restore", str(tmp_path / "b.zip"))
    assert backup.table_checksums() == before
    from clientmap.voice import tally

    assert tally.stored() == tally.counted() > 0


def test_restore_refuses_a_database_with_data_unless_replace(world, tmp_path: Path) -> None:
    call_command("backup", str(tmp_path / "b.zip"))
    before = backup.table_checksums()
    Person.objects.filter(pk=world.pk).update(name="changed after the backup")
    changed = backup.table_checksums()
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(tmp_path / "b.zip"))
    assert backup.table_checksums() == changed  # refused: nothing touched
    call_command("restore", str(tmp_path / "b.zip"), "--replace")
    assert backup.table_checksums() == before


def test_a_damaged_backup_restores_nothing(world, tmp_path: Path) -> None:
    good = tmp_path / "b.zip"
    call_command("backup", str(good))
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "tables/directory.person.jsonl":
                data = data.replace(b"Z", b"z", 1)
            dst.writestr(item, data)
    before = backup.table_checksums()
    with pytest.raises(CommandError, match="does not read back"):
        call_command("restore", str(bad), "--replace")
    assert backup.table_checksums() == before
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="not a Clientmap backup"):
        call_command("restore", str(tmp_path / "junk.zip"), "--replace")


def test_content_checksums_ignore_ids_but_not_data(world) -> None:
    a = backup.content_checksums()
    Person.objects.filter(pk=world.pk).update(name=world.name + ".")
    assert backup.content_checksums()["directory.person"] != a["directory.person"]


def test_content_checksums_leave_out_how_long_a_run_took_but_not_what_it_made(world) -> None:
    """Two fit runs that placed everyone alike compare equal whatever their duration (the
    SIGKILL tests compare a crashed-and-rerun database with a clean run); what they made
    still counts."""
    from clientmap.fit.models import Recompute

    run = Recompute.objects.create(as_of="2026-01-01", window_days=365, seconds=1.5, accounts=3)
    a = backup.content_checksums()["fit.recompute"]
    Recompute.objects.filter(pk=run.pk).update(seconds=9.25)
    assert backup.content_checksums()["fit.recompute"] == a
    Recompute.objects.filter(pk=run.pk).update(accounts=4)
    assert backup.content_checksums()["fit.recompute"] != a
