"""A rebuild of every relation writes the same rows whichever way it goes: straight into an
empty table (a first import), as the difference against a stored table (deleted, changed and
new relations), or person by person (a scoped rebuild) — on random worlds."""

from __future__ import annotations

import random

import pytest

from clientmap.core import bulk
from clientmap.customers import rules
from clientmap.customers.models import CustomerRelation
from clientmap.directory.models import Person
from tests import factories as f

FIELDS = [c for c in rules._COLUMNS]


def _world(seed: int) -> None:
    f.random_world(
        random.Random(seed),
        requests=150,
        ages=(3, 200, 500, 900, 2000),
        involvements=30,
        memberships=5,
    )


def _rows() -> list[tuple]:
    return sorted(CustomerRelation.objects.values_list(*FIELDS))


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_from_empty_equals_the_difference_and_the_scoped_rebuild(seed, monkeypatch) -> None:
    _world(seed)
    rules.recompute()
    CustomerRelation.objects.all().delete()
    rel = CustomerRelation._meta.db_table
    indexes = sorted(bulk.secondary_indexes(rel))
    monkeypatch.setattr(bulk, "THRESHOLD", 0)  # the load drops and rebuilds the indexes
    rules.recompute()  # into the empty table
    from_empty = _rows()
    assert from_empty, "the world has relations"
    assert sorted(bulk.secondary_indexes(rel)) == indexes

    # the difference: some relations gone, some changed, the rest as they were
    stored = list(CustomerRelation.objects.order_by("id"))
    CustomerRelation.objects.filter(id__in=[r.id for r in stored[::3]]).delete()
    CustomerRelation.objects.filter(id__in=[r.id for r in stored[1::3]]).update(
        request_count=99, active=False
    )
    rules.recompute()
    assert _rows() == from_empty

    # person by person
    CustomerRelation.objects.all().delete()
    for pid in Person.objects.values_list("id", flat=True):
        rules.recompute(rules.Scope(person_ids=frozenset({pid})))
    assert _rows() == from_empty
