"""URL path converters for keys that come from other tools.

Keys are whatever the source system used: Jira components, ServiceNow groups
("Service Desk/Level 2"), spreadsheet cells. They may hold "/", "%", "?", "#", spaces, dots,
quotes and any alphabet. Every URL that carries a key uses ``<key:name>``.

A key becomes one path segment: ``%`` is written ``%25`` and ``/`` ``%2F`` (and a key made only
of dots, which browsers would collapse as "." or "..", has its dots written ``%2E``); Django's
``reverse`` then percent-encodes the result as usual. The server decodes the request path once,
so the segment arrives without a raw "/" and :func:`key_from_url` undoes the first step. A client
that builds a URL by hand does the same with :func:`key_to_url` followed by normal
percent-encoding — see docs/api.md.
"""

from __future__ import annotations

from urllib.parse import quote, unquote


def key_to_url(key: str) -> str:
    """The path-segment form of a key, before the URL's usual percent-encoding."""
    seg = key.replace("%", "%25").replace("/", "%2F")
    if seg and set(seg) == {"."}:
        seg = "%2E" * len(seg)
    return seg


def key_from_url(segment: str) -> str:
    """The key a (once-decoded) path segment names."""
    return unquote(segment)


def quote_key(key: str) -> str:
    """The full URL form of a key (what a script puts between two slashes)."""
    return quote(key_to_url(key), safe="")


class KeyConverter:
    """``<key:name>``: any non-empty key, as one path segment."""

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return key_from_url(value)

    def to_url(self, value: str) -> str:
        return key_to_url(str(value))


def register() -> None:
    from django.urls import register_converter
    from django.urls.converters import get_converters

    if "key" not in get_converters():
        register_converter(KeyConverter, "key")
