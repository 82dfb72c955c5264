"""Every page ships in English, Spanish, Portuguese and Russian; the switcher keeps the page."""

from __future__ import annotations

import pytest

from clientmap.core.context_processors import path_without_language
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
    client.login(username="admin", password=demo.PASSWORD)
    start = client.get("/es/teams/t-sales/")  # from a page already in another language
    response = client.post("/i18n/setlang/", {"language": lang, "next": start.context["cm_next"]})
    target = "/teams/t-sales/" if lang == "en" else f"/{lang}/teams/t-sales/"
    assert response.status_code == 302 and response["Location"] == target
    page = client.get(target)
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
