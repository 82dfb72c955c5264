"""The inbox: a bell with the unread count, the list, mark as read, and each person's choice of
in-app, e-mail or both; impact notices, merged wishes and finished imports arrive in it."""

from __future__ import annotations

import pytest
from django.core import mail

from clientmap.directory import inbox
from clientmap.directory.models import Message
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pat(db):
    person = f.person(key="pat", name="Pat Reader", email="pat@example.org")
    f.user("pat", person=person)
    return person


@pytest.mark.parametrize(
    "delivery, in_app, by_mail", [("both", True, True), ("app", True, False), ("mail", False, True)]
)
def test_each_person_chooses_where_notifications_go(pat, delivery, in_app, by_mail) -> None:
    pat.delivery = delivery
    pat.save()
    inbox.tell(pat, "Something happened", "Details")
    assert Message.objects.filter(person=pat).exists() == in_app
    assert (len(mail.outbox) == 1) == by_mail


def test_a_person_without_a_login_is_told_by_mail(db) -> None:
    someone = f.person(key="nologin", email="n@example.org", delivery="app")
    inbox.tell(someone, "Hello")
    assert not Message.objects.exists() and len(mail.outbox) == 1


def test_bell_list_and_mark_as_read(client, pat) -> None:
    client.login(username="pat", password="pw-Clientmap-2026")
    first = inbox.tell(pat, "First news", url="/voice/")
    inbox.tell(pat, "Second news")
    bell = client.get("/inbox/count/").content.decode()
    assert "2 unread" in bell
    page = client.get("/inbox/").content.decode()
    assert "First news" in page and "Second news" in page and 'href="/voice/"' in page
    client.post("/inbox/", {"action": "read", "message": [first.pk]})
    assert "1 unread" in client.get("/inbox/count/").content.decode()
    assert "First news" not in client.get("/inbox/?unread=1").content.decode()
    client.post("/inbox/", {"action": "read", "all": "1"})
    assert inbox.unread(pat) == 0 and "Inbox" in client.get("/inbox/count/").content.decode()
    client.post("/inbox/", {"action": "delivery", "delivery": "app"})
    pat.refresh_from_db()
    assert pat.delivery == "app"


def test_the_page_pays_no_query_for_the_bell(client, pat) -> None:
    client.login(username="pat", password="pw-Clientmap-2026")
    for _ in range(3):
        inbox.tell(pat, "news")
    html = client.get("/voice/").content.decode()
    assert 'hx-get="/inbox/count/"' in html and "3 unread" not in html  # fetched after the page


def test_someone_elses_messages_are_not_shown(client, pat) -> None:
    other = f.person(key="other", name="Other")
    f.user("other", person=other)
    inbox.tell(pat, "For Pat only")
    client.login(username="other", password="pw-Clientmap-2026")
    assert "For Pat only" not in client.get("/inbox/").content.decode()
    client.post("/inbox/", {"action": "read", "all": "1"})
    assert inbox.unread(pat) == 1


def test_a_merged_wish_tells_its_author(pat) -> None:
    from clientmap.voice import services
    from clientmap.voice.models import Wish

    survivor = Wish.objects.create(key="W-A", author=f.person(key="a"), title="Excel export")
    duplicate = Wish.objects.create(key="W-B", author=pat, title="Export to Excel")
    services.merge(duplicate, survivor)
    message = Message.objects.get(person=pat)
    assert "merged" in message.subject and message.url == "/voice/wishes/W-A/"


def test_an_import_tells_whoever_started_it(pat) -> None:
    from django.contrib.auth import get_user_model

    from clientmap.imports import services
    from clientmap.imports.models import ImportJob

    job = ImportJob.objects.create(
        created_by=get_user_model().objects.get(username="pat"),
        filename="people.zip",
        path="/nonexistent",
        status=ImportJob.Status.DONE,
    )
    services.announce(job)
    message = Message.objects.get(person=pat)
    assert message.kind == "import" and "people.zip" in message.subject
    assert message.url == f"/imports/{job.pk}/"
