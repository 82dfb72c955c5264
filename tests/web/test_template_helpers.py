"""The cheaper template helpers give exactly what the constructs they replace gave: ``{% link %}``
the URL of ``{% url %}``, ``when`` the text of ``date_format``, the badges the markup of the
templates they replace — in every language."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import formats, translation

from clientmap.core.templatetags import cm

KEYS = [
    "t-db",
    "Service Desk/Level 2",
    "100%",
    "..",
    ".",
    "a b&c'd\"e",
    "Ünïcødé — ключ",
    "x?y#z",
    "~:@!$()*+,;=",
]
NAMES = [
    "customers:team",
    "customers:person",
    "directory:organization",
    "voice:wish",
    "fit:account",  # <path:key>
]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("name", NAMES)
def test_link_is_the_url_of_reverse(name, key) -> None:
    assert cm.link(name, key) == reverse(name, args=[key])


@pytest.mark.parametrize("key", KEYS)
def test_link_with_two_keys_and_none(key) -> None:
    assert cm.link("customers:evidence", key, "p/1") == reverse(
        "customers:evidence", args=[key, "p/1"]
    )
    assert cm.link("customers:people") == reverse("customers:people")


def test_link_in_a_template_is_escaped_as_url_is() -> None:
    ctx = Context({"k": "a&b'c"})
    linked = Template("{% load cm %}{% link 'customers:team' k %}").render(ctx)
    url = Template("{% url 'customers:team' k %}").render(ctx)
    assert linked == url


def test_an_empty_key_fails_as_url_does() -> None:
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        cm.link("customers:team", "")


@pytest.mark.parametrize("language", ["en", "es", "pt", "ru"])
def test_when_is_date_format(language) -> None:
    with translation.override(language):
        for month in range(1, 13):
            d = date(2026, month, 3 + month)
            assert cm.when(d) == formats.date_format(d, "j M Y")
            moment = datetime(987, month, 28, 9 + month, 5)
            assert cm.when(moment) == formats.date_format(moment, "j M Y, H:i")


OLD = {
    "kind": (
        '{% load i18n %}{% if kind == "internal" %}<span class="badge internal">'
        '{% translate "internal" %}</span>{% elif kind == "external_paying" %}<span class="badge '
        'external_paying">{% translate "external paying" %}</span>{% elif kind == '
        '"external_nonpaying" %}<span class="badge external_nonpaying">'
        '{% translate "external non-paying" %}</span>{% endif %}'
    ),
    "basis": (
        '{% load i18n %}{% if basis %}<span class="basis" title="{% translate \'R requested, '
        "D decides, S specifies, I implements / supports' %}\">{{ basis }}</span>{% else %}"
        '<span class="muted">—</span>{% endif %}'
    ),
    "active": (
        '{% load i18n %}{% if relation.is_customer %}{% if relation.active %}<span class="badge '
        'active">{% translate "active" %}</span>{% else %}<span class="badge lapsed">'
        '{% translate "lapsed" %}</span>{% endif %}{% else %}<span class="badge prospect">'
        '{% translate "prospect" %}</span>{% endif %}'
    ),
}


@pytest.mark.parametrize("language", ["en", "es", "pt", "ru"])
def test_badges_are_the_old_markup(language) -> None:
    with translation.override(language):
        for kind in ["internal", "external_paying", "external_nonpaying", "", "other"]:
            ctx = Context({"kind": kind})
            assert Template(OLD["kind"]).render(ctx) == Template(
                '{% include "customers/_kind.html" %}'
            ).render(ctx)
        for basis in ["", "R", "RDS<I>"]:
            ctx = Context({"basis": basis})
            assert Template(OLD["basis"]).render(ctx) == Template(
                '{% include "customers/_basis.html" %}'
            ).render(ctx)
        for is_customer in (True, False):
            for active in (True, False):
                ctx = Context({"relation": SimpleNamespace(is_customer=is_customer, active=active)})
                assert Template(OLD["active"]).render(ctx) == Template(
                    '{% include "customers/_active.html" %}'
                ).render(ctx)
