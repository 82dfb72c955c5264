"""The test settings fail any request that runs an N+1 query (django-zeal, tests/conftest.py)."""

import pytest
from zeal.errors import NPlusOneError

from clientmap.directory.models import Unit
from tests import factories as f


@pytest.mark.urls("tests.core.n_plus_one_urls")
def test_a_page_reading_a_relation_per_row_fails(client, db) -> None:
    client.force_login(f.user("zeal-staff", staff=True))
    home = f.home_org()
    for i in range(3):
        unit = Unit.objects.create(key=f"u-{i}", name=f"Unit {i}", organization=home)
        f.team(key=f"t-{i}", unit=unit)
    assert client.get("/joined/").status_code == 200
    with pytest.raises(NPlusOneError):
        client.get("/per-row/")
