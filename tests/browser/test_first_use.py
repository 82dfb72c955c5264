"""First use in a real browser: nothing wider than its box at 1280 and 390 px in the four
languages, and the newcomer's twenty minutes (with a screenshot of each page when
CLIENTMAP_SCREENSHOTS names a folder — `docs/screenshots/` for the README)."""

from __future__ import annotations

import re

import pytest

from clientmap.imports import demo
from tests.browser.helpers import login, snap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/",
    "/teams/",
    "/teams/t-sales/",
    "/teams/t-monitoring/",
    "/people/?status=nobody",
    "/requests/?status=open",
    "/value-chain/",
    "/value-chain/teams/t-dbhost/",
    "/value-chain/teams/t-support/reach-picture/",
    "/value-chain/services/svc-helpdesk/",
    "/value-chain/alerts/",
    "/voice/",
    "/inbox/",
]

# Elements wider than their parent (by more than a pixel), outside boxes that scroll on purpose
# (tables and pictures in a scrolling wrapper).
OVERFLOW = """
() => {
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const parent = el.parentElement;
    if (!parent || el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.position === 'absolute' || s.position === 'fixed') continue;
    const r = el.getBoundingClientRect(), pr = parent.getBoundingClientRect();
    if (r.width === 0 || scrolls(el)) continue;
    if (r.right > pr.right + 1 || r.left < pr.left - 1) {
      out.push(el.tagName + '.' + el.className + ' "' + (el.textContent || '').trim().slice(0, 40) + '" ' + Math.round(r.width) + '>' + Math.round(pr.width));
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push('page scrolls sideways: ' + document.documentElement.scrollWidth);
  return out;
}
"""


@pytest.fixture
def world() -> None:
    demo.load()


@pytest.mark.parametrize("width", [1280, 390])
def test_nothing_is_wider_than_its_box_in_any_language(browser, live_server, world, width) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    login(page, live_server.url, "admin")
    problems = []
    for lang in ("en", "es", "pt", "ru"):
        host = live_server.url.split("//", 1)[1].split(":")[0]
        context.add_cookies(
            [{"name": "django_language", "value": lang, "domain": host, "path": "/"}]
        )
        for url in PAGES:
            page.goto(live_server.url + url)
            assert page.locator("html").get_attribute("lang") == lang
            problems += [f"{lang} {width}px {url}: {p}" for p in page.evaluate(OVERFLOW)]
    context.close()
    assert problems == [], "\n".join(problems)


def test_svg_labels_fit_their_boxes_as_the_browser_draws_them(page, live_server, world) -> None:
    """The real text widths (getBBox), not the estimate, stay inside each node's rectangle."""
    login(page, live_server.url, "admin")
    for url in ("/value-chain/", "/value-chain/?group=services", "/value-chain/teams/t-erp/"):
        page.goto(live_server.url + url)
        bad = page.evaluate(
            """() => [...document.querySelectorAll('svg.vc-graph a.vc-node')].flatMap(a => {
                const r = a.querySelector('rect').getBBox();
                return [...a.querySelectorAll('text')].map(t => t.getBBox()).filter(b =>
                    b.x < r.x - 0.5 || b.x + b.width > r.x + r.width + 0.5 ||
                    b.y < r.y - 0.5 || b.y + b.height > r.y + r.height + 0.5
                ).map(b => a.getAttribute('data-key') + ' ' + Math.round(b.width) + '/' + Math.round(r.width));
            })"""
        )
        assert bad == [], (url, bad)


def test_the_newcomers_twenty_minutes(page, live_server, world, settings, shots) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    base = live_server.url
    page.goto(f"{base}/")
    assert "/login/" in page.url
    snap(page, shots, "login")
    login(page, base, "admin")
    # Switch to Russian from the menu: same page, now in Russian, and it sticks.
    page.select_option("#language-switch", "ru")
    # the switch submits on change: wait for the page that comes back, not the one we are on
    page.locator("html[lang=ru]").wait_for(state="attached")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.url.rstrip("/") == base
    # The overview answers the four questions.
    for block in ("who", "ask", "served", "effort"):
        assert page.locator(f"#{block}").is_visible()
    assert "Нет данных" not in page.locator("main").inner_text()
    snap(page, shots, "overview-ru")
    # Each block's figures lead to the page that explains them.
    page.locator("#ask a[href*='status=open']").first.click()
    page.wait_for_url(re.compile("/requests/"))  # the click navigates: wait for the new page
    assert "/requests/" in page.url and page.locator("table tbody tr").count() > 1
    snap(page, shots, "requests-open")
    page.go_back()
    page.locator(
        "#served tbody a[href*='timeliness'], #served tbody a[href*='status=fulfilled']"
    ).first.click()
    page.wait_for_url(re.compile("/requests/"))  # the click navigates: wait for the new page
    assert "/requests/" in page.url
    page.go_back()
    page.locator("#effort a[href*='/value-chain/teams/']").first.click()
    page.wait_for_url(re.compile("/value-chain/teams/"))
    assert "/value-chain/teams/" in page.url
    snap(page, shots, "team-reach-ru")
    page.goto(f"{base}/")
    page.locator("#effort a[href*='status=nobody']").first.click()
    page.wait_for_url(re.compile("status=nobody"))  # the click navigates: wait for the new page
    assert "status=nobody" in page.url
    snap(page, shots, "nobodys-customers")
    # A team, its reach picture.
    page.goto(f"{base}/teams/t-support/")
    assert page.locator("html").get_attribute("lang") == "ru"
    snap(page, shots, "team-customers-ru")
    page.locator(".team-links a[href$='/reach-picture/']").click()
    page.wait_for_load_state()
    assert page.locator("svg.vc-flow").is_visible()
    snap(page, shots, "reach-picture")
    # The value chain, teams inside their units, a team's paths highlighted.
    page.goto(f"{base}/value-chain/?select=team:t-dbhost")
    assert page.locator("a.vc-node.selected").count() >= 1
    snap(page, shots, "value-chain")
    # Send a notice with the preview.
    page.goto(f"{base}/value-chain/services/svc-helpdesk/")
    assert page.locator(".recipients tbody tr").count() >= 1
    page.locator("#tell form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#preview-title").is_visible()
    snap(page, shots, "notice-preview")
    page.locator("#tell form button.send").click()
    page.wait_for_load_state()
    assert page.locator(".messages").is_visible()
    # The inbox: the bell shows the unread count, the list, mark as read.
    page.goto(f"{base}/")
    page.locator("#bell.has-unread").wait_for()
    page.locator("#bell").click()
    page.wait_for_load_state()
    assert "/inbox/" in page.url and page.locator("tr.unread").count() >= 1
    snap(page, shots, "inbox")
    page.locator("button[name=all]").click()
    page.wait_for_load_state()
    assert page.locator("tr.unread").count() == 0
