"""The demo tells the X1 story: a liked team that misses promises, a never-asked paying buyer."""

from __future__ import annotations

import pytest

from clientmap.directory.models import Team
from clientmap.experience import selectors
from clientmap.imports import demo

pytestmark = pytest.mark.django_db


def test_demo_experience_story() -> None:
    demo.load()
    support = Team.objects.get(key="t-impl")  # Implementation services: liked, often late
    sales = Team.objects.get(key="t-sales")
    fig = selectors.figures("team", team_ids=[support.pk])[support.pk]
    assert fig.answers.csat >= 0.8  # liked…
    assert fig.promises.kept_share is not None and fig.promises.kept_share < 0.8  # …but late
    assert fig.promises.median_delay_days > 0
    assert 0 < fig.responses.rate < 1
    never = list(selectors.never_asked(team=sales))
    dana = next(p for p in never if p.key == "nsa-appdir")
    assert dana.rank == 0 and dana.last_asked is None  # a paying customer, never asked
    assert [p.rank for p in never] == sorted(p.rank for p in never)  # paying first
    # loading again changes nothing
    report, _users = demo.load()
    assert report.counts.get("touchpoints", {}).get("created", 0) == 0


def test_demo_pages_show_it(staff_client) -> None:
    demo.load()
    html = staff_client.get("/experience/").content.decode()
    assert "Implementation services" in html
    html = staff_client.get(
        "/experience/journey/".replace("journey/", "people/nsa-appdir/journey/")
    ).content.decode()
    assert "Dana Whitfield" in html
