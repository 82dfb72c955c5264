import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.voice.test_demand_stored import _world, _check
from clientmap.voice import services
from clientmap.core import derived


@pytest.mark.django_db(transaction=True)
def test_probe():
    rnd, people, teams, wishes = _world(1)
    _check()
    for label, fn in [
        (
            "vote",
            lambda: services.vote(wishes[3], people[5]) or services.unvote(wishes[3], people[5]),
        ),
        ("merge", lambda: services.merge(wishes[2], wishes[1])),
    ]:
        with CaptureQueriesContext(connection) as ctx:
            fn()
            derived.ensure_current()
        print("=====", label, len(ctx.captured_queries))
        for q in ctx.captured_queries:
            s = q["sql"]
            print("  ", s[:160].replace("\n", " "))
