"""Keyboard only (WCAG 2.1.1, 2.4.1, 2.4.3, 2.4.7): on the overview, the value-chain map and a
wish page, Tab reaches every control, in document order (top bar, then the page), each with a
focus that can be seen; the skip link comes first and lands in the main content; a node of the
map opens its page with Enter."""

from __future__ import annotations

import pytest

from clientmap.directory.models import Person
from clientmap.imports import demo
from clientmap.valuechain import rules
from clientmap.voice import services as voice
from tests.browser.helpers import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every visible control, numbered in document order, with how it looks when not focused.
MARK = """() => {
  const sel = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), ' +
              'select:not([disabled]), textarea:not([disabled]), summary, [tabindex]';
  const look = el => { const s = getComputedStyle(el); const r = el.querySelector('rect');
    const rs = r ? getComputedStyle(r) : null;
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.backgroundColor,
            rs ? rs.stroke + ' ' + rs.strokeWidth : ''].join('|'); };
  // checkVisibility: rendered, not visibility:hidden, not inside a closed <details>.
  const all = [...document.querySelectorAll(sel)].filter(el =>
    el.checkVisibility({visibilityProperty: true}) && el.tabIndex >= 0 && !el.closest('[inert]'));
  all.forEach((el, i) => { el.dataset.kbd = i; el.dataset.kbdLook = look(el); });
  return all.map(el => (el.textContent || el.name || el.id || el.tagName).trim().slice(0, 40));
}"""

ACTIVE = """() => { const el = document.activeElement; if (!el || el === document.body) return null;
  const s = getComputedStyle(el); const r = el.querySelector('rect');
  const rs = r ? getComputedStyle(r) : null;
  const look = [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.backgroundColor,
                rs ? rs.stroke + ' ' + rs.strokeWidth : ''].join('|');
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1;
  const ring = s.boxShadow !== 'none';
  const stroke = rs && parseFloat(rs.strokeWidth) >= 2;
  return {kbd: el.dataset.kbd === undefined ? null : Number(el.dataset.kbd),
          tag: el.tagName, text: (el.textContent || el.name || '').trim().slice(0, 40),
          visible: look !== el.dataset.kbdLook && (outline || ring || stroke)}; }"""


def tab_through(page) -> tuple[list[str], list[dict]]:
    """Press Tab from the top of the page until focus leaves the page or comes back round.

    Waits for the page's own late requests first (the top bar's unread count arrives by htmx
    after load and replaces its link), so the controls are numbered as the user meets them."""
    page.wait_for_load_state("networkidle")
    controls = page.evaluate(MARK)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    stops: list[dict] = []
    for _ in range(len(controls) + 5):
        page.keyboard.press("Tab")
        active = page.evaluate(ACTIVE)
        if active is None or (stops and active["kbd"] == stops[0]["kbd"]):
            break
        stops.append(active)
    return controls, stops


def assert_sensible(controls: list[str], stops: list[dict]) -> None:
    order = [s["kbd"] for s in stops]
    assert None not in order, f"Tab reached something that is not a visible control: {stops}"
    missing = [controls[i] for i in range(len(controls)) if i not in order]
    assert not missing, f"Tab never reaches: {missing}"
    assert order == sorted(order), f"Tab order differs from the document's: {order}"
    hidden = [s["text"] or s["tag"] for s in stops if not s["visible"]]
    assert not hidden, f"no visible focus on: {hidden}"
    assert stops[0]["tag"] == "A" and "main content" in stops[0]["text"].lower(), stops[0]


def skip_link_lands_in_main(page) -> None:
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    inside = page.evaluate("!!document.activeElement.closest('main')")
    assert inside, "after the skip link, Tab does not land in the main content"


@pytest.fixture
def world():
    demo.load()
    rules.invalidate()
    author = Person.objects.get(key="nsa-appdir")
    return voice.submit_wish(author, "Export expense reports to Excel", "For month end.")


def test_overview_by_keyboard(page, live_server, world) -> None:
    login(page, live_server.url)
    page.goto(f"{live_server.url}/")
    controls, stops = tab_through(page)
    assert_sensible(controls, stops)
    skip_link_lands_in_main(page)


def test_value_chain_map_by_keyboard(page, live_server, world) -> None:
    login(page, live_server.url)
    page.goto(f"{live_server.url}/value-chain/")
    controls, stops = tab_through(page)
    assert_sensible(controls, stops)
    nodes = page.locator("svg.vc-graph a.vc-node")
    assert nodes.count() > 5  # the default map: teams inside their units
    skip_link_lands_in_main(page)
    # Every node is a Tab stop; Enter on one opens its page.
    target = nodes.nth(nodes.count() // 2)
    href = target.get_attribute("href")
    key = target.get_attribute("data-key")
    target.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{href}")
    assert href and key and page.url.endswith(href)


def test_wish_page_by_keyboard(page, live_server, world) -> None:
    for username in ("portal", "admin"):  # the author's view, and staff with the triage form
        page.context.clear_cookies()
        login(page, live_server.url, username)
        page.goto(f"{live_server.url}/voice/wishes/{world.key}/")
        controls, stops = tab_through(page)
        assert_sensible(controls, stops)
        texts = " ".join(s["text"] for s in stops).lower()
        assert "vote" in texts or "take my vote back" in texts, texts
        skip_link_lands_in_main(page)
