"""Every page ships in English, Spanish, Portuguese and Russian; the switcher keeps the page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from clientmap.core.context_processors import path_without_language
from clientmap.directory.models import Person
from clientmap.imports import demo

pytestmark = pytest.mark.django_db

HEADINGS = {
    "en": "Who are our customers?",
    "es": "¿Quiénes son nuestros clientes?",
    "pt": "Quem são os nossos clientes?",
    "ru": "Кто наши клиенты?",
}


def test_path_without_language() -> None:
    assert (
        path_without_language("/es/teams/t-sales/?kind=internal") == "/teams/t-sales/?kind=internal"
    )
    assert path_without_language("/teams/t-sales/") == "/teams/t-sales/"
    assert path_without_language("/estonia/") == "/estonia/"


@pytest.mark.parametrize("lang", ["es", "pt", "ru", "en"])
def test_switching_language_keeps_the_page(client, lang) -> None:
    demo.load()
    client.force_login(User.objects.get(username="admin"))
    start = client.get("/teams/t-sales/?kind=internal")
    response = client.post("/i18n/setlang/", {"language": lang, "next": start.context["cm_next"]})
    assert response.status_code == 302 and response["Location"] == "/teams/t-sales/?kind=internal"
    page = client.get(response["Location"])
    assert HEADINGS[lang] in page.content.decode()
    assert f'<html lang="{lang}">' in page.content.decode()


@pytest.mark.parametrize("lang", ["es", "pt", "ru"])
def test_every_area_is_translated(lang) -> None:
    """A string from each area comes out translated (catches a missing or stale .mo)."""
    from django.utils import translation

    samples = [
        "Who are our customers?",  # customers
        "Organizations",  # directory
        "Import data",  # imports
        "Teams reaching no paying customer",  # value chain
        "Nothing was imported: the database is exactly as it was.",
        "teams whose work reaches no paying customer",  # the overview
    ]
    with translation.override(lang):
        untranslated = [s for s in samples if translation.gettext(s) == s]
    assert untranslated == []


def test_the_chosen_language_is_kept_in_cookie_and_profile(client) -> None:
    demo.load()
    client.force_login(User.objects.get(username="admin"))
    client.post("/i18n/setlang/", {"language": "ru", "next": "/"})
    assert Person.objects.get(user__username="admin").ui_language == "ru"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    # every page, without prefix
    for url in ("/", "/teams/", "/people/", "/value-chain/", "/voice/"):
        assert '<html lang="ru">' in client.get(url).content.decode(), url
    # the profile wins on another browser (no cookie)
    other = Client()
    other.force_login(User.objects.get(username="admin"))
    assert '<html lang="ru">' in other.get("/").content.decode()


def test_an_old_prefixed_link_goes_to_the_same_page_in_its_language(client) -> None:
    demo.load()
    client.force_login(User.objects.get(username="admin"))
    client.post("/i18n/setlang/", {"language": "pt", "next": "/"})
    response = client.get("/es/teams/t-sales/?kind=internal")
    assert response.status_code == 302 and response["Location"] == "/teams/t-sales/?kind=internal"
    assert '<html lang="es">' in client.get(response["Location"]).content.decode()
    assert '<html lang="es">' in client.get("/people/").content.decode()  # kept from then on
    assert Person.objects.get(user__username="admin").ui_language == "pt"  # the profile's own
    fresh = Client()
    fresh.get("/ru/login/")
    assert fresh.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    assert '<html lang="ru">' in fresh.get("/login/").content.decode()


def test_switching_on_the_login_page_returns_to_it_and_is_kept_after_login(client) -> None:
    demo.load()
    Person.objects.filter(user__username="member").update(ui_language="")
    login = client.get("/login/?next=/teams/")
    nxt = login.context["cm_next"]
    assert nxt == "/login/?next=/teams/"
    response = client.post("/i18n/setlang/", {"language": "es", "next": nxt})
    assert response["Location"] == "/login/?next=/teams/"
    assert '<html lang="es">' in client.get(response["Location"]).content.decode()
    done = client.post("/login/?next=/teams/", {"username": "member", "password": demo.PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/teams/"
    assert '<html lang="es">' in client.get("/teams/").content.decode()
    assert Person.objects.get(user__username="member").ui_language == "es"


def test_a_foreign_next_is_refused(client) -> None:
    response = client.post("/i18n/setlang/", {"language": "es", "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    "lang, forms",
    [
        ("en", {1: "1 vote", 2: "2 votes", 5: "5 votes", 21: "21 votes"}),
        ("ru", {1: "1 голос", 2: "2 голоса", 5: "5 голосов", 21: "21 голос", 12: "12 голосов"}),
        ("es", {1: "1 voto", 2: "2 votos"}),
        ("pt", {1: "1 voto", 5: "5 votos"}),
    ],
)
def test_counts_meet_nouns_in_the_right_plural_form(lang, forms) -> None:
    from django.template import Context, Template
    from django.utils import translation

    t = Template(
        "{% load i18n %}{% blocktranslate count counter=n %}{{ counter }} vote{% plural %}"
        "{{ counter }} votes{% endblocktranslate %}"
    )
    with translation.override(lang):
        for n, text in forms.items():
            assert t.render(Context({"n": n})) == text


def test_no_template_puts_a_count_before_a_plural_noun_without_ngettext() -> None:
    """A ``{% blocktranslate with n=… %}{{ n }} things`` reads "1 things": use ``count``."""
    import re
    from pathlib import Path

    nouns = "votes|customers|people|teams|requests|services|alerts|wishes|messages|rows|units|organizations|days"
    bad = re.compile(r"\{% blocktranslate with [^%]*%\}[^{]*\{\{ ?\w+ ?\}\} (" + nouns + r")\b")
    found = [
        f"{p}: {m.group(0)[:80]}"
        for p in Path("clientmap").rglob("*.html")
        for m in bad.finditer(p.read_text(encoding="utf-8"))
    ]
    assert found == []
