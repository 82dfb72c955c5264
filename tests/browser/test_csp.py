"""Content-Security-Policy: every HTML page (each role, English) loads with no CSP violation in
the browser — no inline script, no inline style, nothing from another origin — and the API docs
work offline (Swagger UI from this server) and list an operation."""

from __future__ import annotations

import pytest

from tests.browser import a11y
from tests.browser.helpers import login
from tests.browser.test_accessibility import _users, _world

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                    " at " + (e.sourceFile || "") + ":" + (e.lineNumber || ""));
});
"""


def test_header_is_strict(client):
    r = client.get("/login/")
    policy = r["Content-Security-Policy"]
    for part in (
        "default-src 'self'",
        "frame-ancestors 'none'",
        "script-src 'self'",
        "style-src 'self'",
    ):
        assert part in policy, policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_no_page_breaks_the_content_security_policy(browser, live_server):
    samples = _world()
    plan = a11y.plan(_users(), samples)
    states = [s for s in plan.states if s.language == "en"]
    assert len({s.name for s in states}) >= 20
    violations: list[str] = []
    by_role: dict[str, list] = {}
    for s in states:
        by_role.setdefault(s.role, []).append(s)
    for role, role_states in by_role.items():
        context = browser.new_context()
        context.add_init_script(WATCH)
        page = context.new_page()
        console: list[str] = []
        page.on(
            "console",
            lambda m, c=console: c.append(m.text) if "Content Security Policy" in m.text else None,
        )
        if a11y.ROLES[role]:
            login(page, live_server.url, a11y.ROLES[role])
        for s in role_states:
            console.clear()
            page.goto(live_server.url + s.path)
            page.wait_for_load_state("load")
            page.wait_for_timeout(150)  # violations are reported asynchronously
            found = page.evaluate("window.__csp || []") + console
            violations += [f"{s.where}: {v}" for v in found]
        context.close()
    assert not violations, "CSP violations:\n" + "\n".join(violations)


def test_api_docs_work_offline_and_list_an_operation(browser, live_server):
    context = browser.new_context()
    context.add_init_script(WATCH)
    outside: list[str] = []

    def route(r):
        if not r.request.url.startswith(live_server.url):
            outside.append(r.request.url)
            return r.abort()
        return r.continue_()

    context.route("**/*", route)
    page = context.new_page()
    page.goto(f"{live_server.url}/api/docs")
    page.get_by_text("/api/directory/teams").first.wait_for(timeout=30_000)
    assert not outside, f"the docs page fetched from elsewhere: {outside}"
    assert page.evaluate("window.__csp") == []
    context.close()
