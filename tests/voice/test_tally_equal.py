"""The open wishes' count stored in ``WishTally`` (kept by triggers, ``voice.tally``) equals the
count it replaces — after every kind of write of a wish: submitted, status changed, merged,
a bulk ``update()`` of many wishes, a survivor deleted (its duplicates un-merged by the
database's ``SET NULL``), a wish deleted, the wish import creating and then updating wishes,
and a rollback."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from django.db import transaction

from clientmap.imports import workbook
from clientmap.voice import overview, services, tally
from clientmap.voice.models import Wish, WishTally
from tests import factories as f
from tests import story as demo

pytestmark = pytest.mark.django_db


def _reference() -> int:
    return Wish.objects.filter(merged_into__isnull=True).exclude(status__in=tally.CLOSED).count()


def _check() -> None:
    assert tally.stored() == _reference()
    assert overview.asks()["open_wishes"] == _reference()


@pytest.mark.parametrize("seed", range(4))
def test_stored_count_equals_the_count_after_every_write(seed) -> None:
    rnd = random.Random(seed)
    authors = [f.person() for _ in range(3)]
    _check()
    wishes = [
        services.submit_wish(
            rnd.choice(authors), f"Wish {i}", visibility=rnd.choice(Wish.Visibility.values)
        )
        for i in range(30)
    ]
    _check()
    assert tally.stored() == 30
    for w in rnd.sample(wishes, 12):
        services.change_status(w, rnd.choice(Wish.Status.values), reason="r")
        _check()
    survivors = rnd.sample(wishes, 3)
    for w in rnd.sample([w for w in wishes if w not in survivors], 8):
        w.refresh_from_db()
        services.merge(w, rnd.choice(survivors))
        _check()
    # set-based writes that send no signal
    some = [w.pk for w in rnd.sample(wishes, 10)]
    Wish.objects.filter(pk__in=some).update(status=rnd.choice(Wish.Status.values))
    _check()
    Wish.objects.filter(pk__in=some[:5]).update(merged_into=None)
    _check()
    Wish.objects.filter(pk__in=some[5:]).update(title="renamed")  # not a counted column
    _check()
    # a survivor deleted: the database sets its duplicates' merged_into to null
    survivors[0].delete()
    _check()
    Wish.objects.filter(pk__in=[w.pk for w in rnd.sample(wishes[5:], 4)]).delete()
    _check()
    # a write rolled back leaves the count as it was
    before = tally.stored()
    with pytest.raises(RuntimeError), transaction.atomic():
        Wish.objects.filter(merged_into__isnull=True).update(status=Wish.Status.DELIVERED)
        raise RuntimeError
    assert tally.stored() == before
    _check()


def test_the_wish_import_keeps_it(tmp_path: Path) -> None:
    demo.write_workbook(tmp_path)
    header = "key,author,title,text,team,service,status,created,visibility\n"
    rows = [
        "W-1,nsa-appdir,Receipts,,t-core,,planned,2026-10-01,public\n",
        "W-2,aur-fin-1,Report,,t-erp,,new,2026-10-02,organization\n",
        "W-3,aur-fin-1,Done,,t-erp,,delivered,2026-10-02,public\n",
    ]
    (tmp_path / "wishes.csv").write_text(header + "".join(rows), encoding="utf-8")
    workbook.import_workbook(tmp_path)
    _check()
    assert tally.stored() == 2
    # the same file again, with statuses changed: the import's update()s
    rows[0] = rows[0].replace("planned", "declined")
    rows[2] = rows[2].replace("delivered", "new")
    (tmp_path / "wishes.csv").write_text(header + "".join(rows), encoding="utf-8")
    workbook.import_workbook(tmp_path)
    _check()
    assert tally.stored() == 2


def test_no_row_means_counted_and_install_sets_it() -> None:
    author = f.person()
    for i in range(3):
        services.submit_wish(author, f"Wish {i}")
    WishTally.objects.all().delete()
    assert tally.stored() is None
    assert overview.asks()["open_wishes"] == 3  # counted
    tally.install()
    assert tally.stored() == 3
    services.submit_wish(author, "one more")
    _check()
