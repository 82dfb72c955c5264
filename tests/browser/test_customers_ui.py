"""The foundation's journeys in a real browser: log in, a team's customers, evidence, language."""

from __future__ import annotations

import pytest

from clientmap.imports import demo
from tests.browser.helpers import login, snap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world() -> None:
    demo.load()


def test_login_then_overview(page, live_server, world, shots) -> None:
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url  # everything needs a login
    login(page, live_server.url, "admin")
    assert page.locator("h1").first.is_visible()
    assert "/login/" not in page.url
    snap(page, shots, "overview")


def test_team_customers_and_evidence(page, live_server, world, shots) -> None:
    login(page, live_server.url, "admin")
    page.click("nav >> text=Teams")
    page.click("text=Sales and accounts")
    assert "Who are our customers?" in page.locator("h1").inner_text()
    row = page.locator("tr", has_text="Dana Whitfield").first
    assert "RD" in row.inner_text()
    row.locator(".evidence-toggle").click()
    evidence = page.locator(".evidence-row").first
    evidence.wait_for()
    assert "REQ-1001" in evidence.inner_text()
    snap(page, shots, "team-customers")


def test_filter_by_kind_without_reload(page, live_server, world) -> None:
    login(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/teams/t-sales/")
    assert page.locator("tr", has_text="Anya Volkova").count() == 1  # external non-paying
    page.select_option("select[name=kind]", "external_paying")
    page.locator("tr", has_text="Anya Volkova").wait_for(state="detached")
    assert page.locator("tr", has_text="Dana Whitfield").count() == 1


def test_person_page_explains_a_manager(page, live_server, world, shots) -> None:
    login(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/people/nsa-fc-cio/")
    assert "Manager of a customer" in page.content()
    snap(page, shots, "person-not-customer")


def test_switch_language(page, live_server, world, shots) -> None:
    login(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/teams/t-sales/")
    page.select_option("#language-switch", "es")
    page.wait_for_load_state()
    page.locator("html[lang=es]").wait_for()
    assert "¿Quiénes son nuestros clientes?" in page.locator("h1").inner_text()
    page.select_option("#language-switch", "ru")
    page.locator("html[lang=ru]").wait_for()
    assert "Кто наши клиенты?" in page.locator("h1").inner_text()
    snap(page, shots, "team-customers-ru")
    page.select_option("#language-switch", "en")
    page.locator("html[lang=en]").wait_for()


def test_portal_user_does_not_see_internal_pages(page, live_server, world) -> None:
    login(page, live_server.url, "portal")
    response = page.goto(f"{live_server.url}/teams/t-sales/")
    assert response.status in (403, 404) or "/teams/t-sales/" not in page.url
    assert "Dana Whitfield" not in page.content() or "Who are our customers?" not in page.content()
