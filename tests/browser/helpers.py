"""Steps shared by the browser tests."""

from __future__ import annotations

from clientmap.imports import demo


def login(page, base: str, username: str = "admin", password: str = demo.PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def snap(page, shots, name: str) -> None:
    """Keep a screenshot when CLIENTMAP_SCREENSHOTS names a folder (see conftest.py)."""
    if shots:
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
