"""The accessibility gate: axe-core (WCAG 2.1 A and AA) on every HTML page, for every role, in
every language. Fails on any serious or critical violation, printing rule, page and selector;
moderate and minor ones are listed in the output. See docs/accessibility.md.

It runs on SQLite only (the suite runs twice; the pages do not depend on the database):
set CLIENTMAP_A11Y_ALL_DATABASES=1 to run it on another database too.
"""

from __future__ import annotations

import io
import os
import time
from collections import Counter, defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from clientmap.directory.models import Person
from clientmap.imports import demo
from clientmap.imports import services as import_services
from clientmap.valuechain import rules
from clientmap.voice import services as voice
from clientmap.voice.models import Attestation, Wish
from tests.browser import a11y
from tests.browser.helpers import login

pytestmark = [pytest.mark.django_db(transaction=True)]


def _world() -> dict:
    """The demo, plus what its pages need to show everything: wishes (one delivered, with an
    attestation link), a vote, a comment, and a failed import job with its errors."""
    demo.load()
    rules.invalidate()
    people = {p.key: p for p in Person.objects.filter(key__in=["nsa-appdir", "nsa-arch-1"])}
    wish = voice.submit_wish(
        people["nsa-appdir"], "Export expense reports to Excel", "For the month-end close."
    )
    voice.vote(wish, people["nsa-arch-1"])
    voice.comment(wish, people["nsa-arch-1"], "We need this too.")
    delivered = voice.submit_wish(people["nsa-arch-1"], "Receipts in PDF", "")
    voice.change_status(delivered, Wish.Status.DELIVERED, reason="Shipped in 4.2")
    token = Attestation.objects.filter(wish=delivered).first().link_token()  # the signed link
    admin = get_user_model().objects.get(username="admin")
    job = import_services.create_job(
        user=admin, filename="people.zip", stream=io.BytesIO(b"not a zip"), format="workbook"
    )
    import_services.run(job.pk)
    from clientmap.experience import tokens
    from clientmap.experience.models import Survey

    survey = Survey.objects.filter(answered_at__isnull=True).order_by("pk").first()
    return {
        # Pages chosen for being full: a team with customers of every kind, a person who is one.
        "customers:team": {"key": "t-sales"},
        "customers:evidence": {"key": "t-sales", "person_key": "nsa-appdir"},
        "customers:person": {"key": "nsa-appdir"},
        "directory:organization": {"key": "aurora"},
        "valuechain:team": {"key": "t-dbhost"},
        "valuechain:service": {"key": "svc-storage"},
        "voice:wish": {"key": wish.key},
        "voice:attest": {"token": token},
        "imports:job": {"pk": job.pk},
        "experience:survey": {"token": tokens.make(survey.pk)},
        "experience:team": {"key": "t-support"},
        "experience:journey": {"key": "nsa-user-2"},
    }


def _users() -> dict:
    User = get_user_model()
    return {
        role: (User.objects.get(username=name) if name else None)
        for role, name in a11y.ROLES.items()
    }


def _only_on_sqlite() -> None:
    if connection.vendor != "sqlite" and not os.environ.get("CLIENTMAP_A11Y_ALL_DATABASES"):
        pytest.skip("The accessibility gate runs on the SQLite run of the suite only.")


def test_every_html_page_is_in_the_gate() -> None:
    """Each URL pattern is visited by some role, or named in SKIP with a reason (no browser)."""
    samples = _world()
    plan = a11y.plan(_users(), samples)
    assert not plan.stale, f"SKIP entries matching no URL pattern any more: {plan.stale}"
    assert not plan.unvisited, (
        "URL patterns the gate cannot visit as an HTML page:\n"
        + "\n".join(f"  {name}: {why}" for name, why in plan.unvisited.items())
        + "\nGive them a sample in tests/browser/test_accessibility.py::_world, or add them to "
        "SKIP in tests/browser/a11y.py with the reason."
    )


@pytest.mark.browser
def test_axe_finds_no_serious_violation_on_any_page(browser, live_server, capsys) -> None:
    _only_on_sqlite()
    if not a11y.AXE.exists():
        pytest.skip(
            f"axe-core is not installed ({a11y.AXE} missing): run scripts/install.sh --dev "
            "(it runs npm ci) to check accessibility."
        )
    started = time.perf_counter()
    samples = _world()
    plan = a11y.plan(_users(), samples)
    only = os.environ.get("CLIENTMAP_A11Y_ONLY")  # e.g. "/fit/": check the paths holding it only
    if only:
        plan.states = [s for s in plan.states if only in s.path]
    assert plan.states, "no page to check"
    axe_source = a11y.AXE.read_text(encoding="utf-8")
    failing: list[a11y.Finding] = []
    advisory: list[a11y.Finding] = []
    wrong_lang: list[str] = []
    review: Counter = Counter()  # rule → nodes axe could not decide on
    review_pages: dict[str, set] = defaultdict(set)
    by_role = defaultdict(list)
    for state in plan.states:
        by_role[state.role].append(state)
    checked = 0
    timing: list[tuple[float, str]] = []
    for role, states in by_role.items():
        # One context (so one login) per role; axe is added to every document before its own
        # scripts run, which a Content-Security-Policy does not block.
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        context.add_init_script(axe_source)
        page = context.new_page()
        page.set_default_timeout(15_000)
        username = a11y.ROLES[role]
        if username:
            login(page, live_server.url, username)
        for state in states:
            t0 = time.perf_counter()
            page.goto(live_server.url + state.path)
            page.wait_for_load_state("load")
            lang = page.evaluate("document.documentElement.lang")
            if not lang or lang.split("-")[0] != state.language:
                wrong_lang.append(f"{state.where}: <html lang={lang!r}>")
            for finding in a11y.run_axe(page, state.where):
                if finding.review:
                    review[finding.rule] += finding.count
                    review_pages[finding.rule].add(state.path)
                elif finding.impact in a11y.FAILING_IMPACTS:
                    failing.append(finding)
                else:
                    advisory.append(finding)
            checked += 1
            timing.append((time.perf_counter() - t0, state.where))
        context.close()
    seconds = time.perf_counter() - started
    pages = len({s.name for s in plan.states})
    with capsys.disabled():
        print(
            f"\naxe-core gate: {checked} page states ({pages} pages; roles "
            f"{dict(Counter(s.role for s in plan.states))}; languages {a11y.LANGUAGES}) "
            f"in {seconds:.0f} s; {len(failing)} serious/critical, {len(advisory)} "
            "moderate/minor findings."
        )
        slow = ", ".join(f"{where} {t:.1f} s" for t, where in sorted(timing, reverse=True)[:3])
        print(f"  slowest: {slow}")
        for name, reason in sorted(plan.skipped.items()):
            if not name.startswith(("api:", "admin:")):
                print(f"  not checked: {name} ({reason})")
        for f in advisory:
            print("  advisory: " + f.line())
        for rule, n in review.most_common():
            shown = sorted(review_pages[rule])
            print(
                f"  to review by hand (axe could not decide): {rule}, {n} nodes on "
                f"{len(shown)} pages: {', '.join(shown[:6])}{' …' if len(shown) > 6 else ''}"
            )
    problems = [f.line() for f in failing] + [f"wrong or missing lang: {w}" for w in wrong_lang]
    assert not problems, "Accessibility violations (WCAG 2.1 AA):\n" + "\n".join(problems)


OVERFLOW = """() => { const d = document.documentElement; const wide = [];
  if (d.scrollWidth > d.clientWidth) {
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > d.clientWidth + 1 && el.checkVisibility() &&
          !(el.parentElement && el.parentElement.getBoundingClientRect().right > d.clientWidth + 1))
        wide.push(el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ?
                  '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' ' + Math.round(r.right));
    }
  }
  return [d.scrollWidth, d.clientWidth, wide.slice(0, 5)]; }"""


@pytest.mark.browser
def test_every_page_reflows_at_320_px(browser, live_server) -> None:
    """WCAG 1.4.10: at 320 CSS px wide no page scrolls sideways (a wide table or picture may
    scroll inside its own box). Staff and the portal user, in English and in Russian."""
    _only_on_sqlite()
    samples = _world()
    users = _users()
    plan = a11y.plan({r: users[r] for r in ("staff", "portal")}, samples)
    only = os.environ.get("CLIENTMAP_A11Y_ONLY")
    if only:
        plan.states = [s for s in plan.states if only in s.path]
    wide = []
    for role in ("staff", "portal"):
        context = browser.new_context(viewport={"width": 320, "height": 640})
        page = context.new_page()
        login(page, live_server.url, a11y.ROLES[role])
        for state in plan.states:
            if state.role != role or state.language not in ("en", "ru"):
                continue
            page.goto(live_server.url + state.path)
            scroll, client, culprits = page.evaluate(OVERFLOW)
            if scroll > client:
                wide.append(f"{state.where}: {scroll} px wide in {client} px ({culprits})")
        context.close()
    assert not wide, "Pages that scroll sideways at 320 px:\n" + "\n".join(wide)
