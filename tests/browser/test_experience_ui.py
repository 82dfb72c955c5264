"""The whole survey loop in the browser: a request is fulfilled → the survey mail goes out → the
link is opened (GET records nothing) → a score is posted → the team's CSAT and response rate
move; a reused, an expired and a tampered link each get their clear page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from clientmap.experience.models import Survey, Touchpoint
from tests import factories as f
from tests.browser.helpers import snap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_survey_loop(page, browser, live_server, shots) -> None:
    home = f.home_org()
    acme = f.org(key="acme", name="Acme")
    dev = f.person(home, key="dev", email="dev@home.example")
    team = f.team([dev], key="apps", name="Apps")
    ann = f.person(acme, key="ann", name="Ann Lee", email="ann@acme.example")
    req = f.request(ann, team, key="REQ/7", title="New laptop", status="accepted")
    f.user("boss", staff=True, is_superuser=True)
    base = live_server.url

    login(page, base, "boss")
    page.goto(f"{base}/experience/teams/apps/")
    assert page.inner_text("#team-csat").strip() == "—"
    mail.outbox.clear()
    # staff fulfils the request in the admin
    page.goto(f"{base}/admin/engagements/request/{req.pk}/change/")
    page.select_option("select[name=status]", "fulfilled")
    page.fill("input[name=closed]", timezone.localdate().isoformat())
    page.click("input[name=_save]")
    page.wait_for_load_state()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@acme.example"]
    link = re.search(r"https?://\S+/experience/s/\S+/", mail.outbox[0].body).group(0)
    path = link[link.index("/experience/") :]

    page.goto(f"{base}/experience/teams/apps/")
    assert page.inner_text("#team-response").strip() == "0 %"  # sent, not answered

    # the customer opens the link without logging in; opening records nothing
    visitor = browser.new_context(locale="en-US").new_page()
    visitor.goto(base + path)
    visitor.locator("text=How satisfied are you with Apps?").wait_for()
    assert visitor.locator("input[name=score]:checked").count() == 0  # no preselected score
    visitor.goto(base + path)  # a mail scanner opening it again
    assert Survey.objects.get().answered_at is None
    assert not Touchpoint.objects.filter(kind="survey").exists()
    snap(visitor, shots, "survey")
    visitor.check("input[name=score][value='4']")
    visitor.fill("textarea[name=comment]", "Fast, thank you")
    visitor.click("button[type=submit]")
    visitor.locator("#survey-recorded").wait_for()
    assert Touchpoint.objects.get(kind="survey").score == 4

    # the team's CSAT and response rate moved
    page.goto(f"{base}/experience/teams/apps/")
    assert page.inner_text("#team-csat").strip() == "100 %"
    assert page.inner_text("#team-response").strip() == "100 %"
    page.goto(f"{base}/experience/")
    assert page.inner_text("#overall-csat").strip() == "100 %"
    snap(page, shots, "satisfaction")
    # every column heading sorts (server-side; the sort is in the URL, the heading says it)
    page.click("table.satisfaction thead a:text-is('CSAT')")
    page.wait_for_url(re.compile(r"sort=csat"))
    assert page.get_attribute("table.satisfaction th[aria-sort]", "aria-sort") == "ascending"

    # reused link
    visitor.goto(base + path)
    visitor.locator("h1", has_text="Already answered").wait_for()
    # expired link
    bob = f.person(acme, key="bob", name="Bob", email="bob@acme.example")
    f.request(bob, team, status="fulfilled")  # surveyed on save
    s = Survey.objects.get(person=bob)
    Survey.objects.filter(pk=s.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    from clientmap.experience import tokens

    visitor.goto(f"{base}/experience/s/{tokens.make(s.pk)}/")
    visitor.locator("h1", has_text="This link has expired").wait_for()
    # tampered link
    visitor.goto(base + path[:-3] + "x/")
    visitor.locator("h1", has_text="This link is not valid").wait_for()
    # the journey shows the answer
    page.goto(f"{base}/experience/people/ann/journey/")
    page.locator("#timeline .score", has_text="4/5").wait_for()
    visitor.context.close()
