"""The reader of the SIGKILL tests reads once the killed worker's last transaction has landed.

PostgreSQL finishes a COMMIT whose client was killed (an import's commit checks every deferred
foreign key it wrote: seconds at scale); a reader started meanwhile read the derived tables'
state from before the commit and the data after it, and saw the imported accounts unplaced
(``tests/ops/fault_driver.py``, :func:`settle`). Here the killed worker's session is a second
connection with a transaction in flight: the reader must wait for it, then see its writes and
the mark they carry. (Planted: a reader that does not wait returns while the transaction is
still open, before the mark is visible.)"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.ops.scratch import KIND

pytestmark = [
    pytest.mark.skipif(KIND != "postgresql", reason="a server that outlives its client"),
    pytest.mark.django_db(transaction=True),
]


def _other_session():
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"],
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        password=s["PASSWORD"] or None,
    )


def test_the_reader_after_a_kill_waits_for_the_dead_workers_last_transaction() -> None:
    from clientmap.core import derived
    from tests.ops import fault_driver

    derived.rebuild("fit_placements")  # built, nothing due
    connection.close()  # the reader is the only session of ours
    other = _other_session()  # the killed worker's session: its commit still landing
    other.execute(
        "UPDATE core_derivedstate SET version = version + 1 WHERE name = 'fit_placements'"
    )
    other.execute("INSERT INTO core_stalescope (name, everyone) VALUES ('fit_placements', true)")
    seen: dict = {}

    def read() -> None:
        fault_driver.settle(timeout=60)
        seen["due"] = derived.versions()["fit_placements"][:2]  # (version, built)
        connection.close()

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(1.0)
    try:
        assert reader.is_alive(), "the reader read while the worker's transaction was in flight"
    finally:
        other.commit()
        other.close()
    reader.join(60)
    assert not reader.is_alive()
    version, built = seen["due"]
    assert version != built  # the mark the transaction carried is seen: the read rebuilds
