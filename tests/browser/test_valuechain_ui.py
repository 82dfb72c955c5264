"""The value chain in a real browser: the map's SVG, clicking a node, the impact page."""

from __future__ import annotations

import pytest

from clientmap.valuechain import rules
from tests import story as demo
from tests.browser.helpers import login, snap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world() -> None:
    demo.load()
    rules.invalidate()


def test_map_then_click_a_service_to_see_its_impact(page, live_server, world, shots) -> None:
    login(page, live_server.url)
    page.click("nav >> text=Value chain")
    graph = page.locator("svg.vc-graph")
    graph.wait_for()
    assert graph.locator("a.vc-node").count() > 20
    # Paying customers drawn above the infrastructure.
    top = page.locator('a.vc-node[data-key="space-agency"] rect').bounding_box()
    bottom = page.locator('a.vc-node[data-key="svc-storage"] rect').bounding_box()
    assert top and bottom and top["y"] < bottom["y"]
    snap(page, shots, "value-chain-map")
    page.locator('a.vc-node[data-key="svc-storage"]').click()
    page.wait_for_url("**/value-chain/services/svc-storage/")
    assert "If this service fails" in page.locator("h1").inner_text()
    paying = page.locator("#paying")
    assert "National Space Agency" in paying.inner_text()
    assert "Harbor Health Clinics" in paying.inner_text()
    assert page.locator("svg.vc-graph a.vc-node.focus").count() == 1
    snap(page, shots, "value-chain-impact")


def test_neighbourhood_and_team_reach(page, live_server, world) -> None:
    login(page, live_server.url)
    page.goto(f"{live_server.url}/value-chain/")
    page.fill("input[name=focus]", "svc-db")
    page.select_option("select[name=depth]", "1")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**focus=svc-db**")
    keys = page.locator("svg.vc-graph a.vc-node").evaluate_all(
        "nodes => nodes.map(n => n.dataset.key)"
    )
    assert "svc-db" in keys and "svc-monitoring" not in keys
    page.locator('a.vc-node[data-key="t-dbhost"]').click()
    page.wait_for_url("**/value-chain/teams/t-dbhost/")
    assert "National Space Agency" in page.locator("body").inner_text()


def test_tell_the_affected_customers(page, live_server, world, settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    login(page, live_server.url)
    page.goto(f"{live_server.url}/value-chain/services/svc-helpdesk/")
    form = page.locator("#tell form")
    assert form.locator("fieldset").count() >= 2  # Spanish and Portuguese recipients
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "Sent 2 messages" in page.locator(".messages").inner_text()
    assert "Olivia Grant" in page.locator("#sent").inner_text()
