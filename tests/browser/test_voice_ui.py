"""A customer's whole loop in the browser: submit, see a suggestion, vote, get mail, attest."""

from __future__ import annotations

import pytest
from django.core import mail

from clientmap.voice import services
from clientmap.voice.models import Attestation, Wish
from tests import story as demo
from tests.browser.helpers import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_loop(page, live_server) -> None:
    demo.load()
    existing = services.submit_wish(
        demo_person("nsa-arch-1"), "Export expense reports to Excel", "for month end"
    )
    login(page, live_server.url, "portal")
    assert "/voice/" in page.url  # a portal user lands on the wishes
    page.fill("#wish-title", "excel export of expense report")
    page.locator("#similar a", has_text=existing.title).wait_for()  # suggested while typing
    page.click(f"#similar a:has-text('{existing.title}')")
    page.click(".vote-button")
    page.locator(".vote-count", has_text="1").wait_for()
    page.locator("text=Take my vote back").wait_for()
    page.fill("textarea[name=text]", "Please!")
    page.check("input[name=follow]")
    page.click("text=Send")
    # staff delivers it; the customer is told by mail and asked once whether it helped
    services.change_status(Wish.objects.get(pk=existing.pk), Wish.Status.DELIVERED)
    assert any(m.to == ["dana.whitfield@agency.example"] for m in mail.outbox)
    att = Attestation.objects.get(wish=existing, person__key="nsa-appdir")
    page.goto(f"{live_server.url}/voice/attest/{att.link_token()}/")
    page.check("input[value=yes]")
    page.click("text=Send")
    page.locator("text=Thank you: your answer is recorded.").wait_for()
    assert Attestation.objects.get(pk=att.pk).helped is True


def demo_person(key: str):
    from clientmap.directory.models import Person

    return Person.objects.get(key=key)
