"""One language rule for every page (web layer: request plumbing).

The language a person chose is kept: in a cookie, and — when they are logged in and are a person
of the directory — in their profile (``Person.ui_language``, set only by the switch; the imported
``Person.language`` is the language of the mail they get and does not choose the pages'). Every page honours it. URLs carry no language: a link is the same page in every language,
and an old link with a prefix (``/es/teams/…``) redirects to the same page without it, keeping
the chosen language (a prefix only sets the language of someone who never chose one).

Order: the profile's language when logged in, else the cookie, else the browser's
Accept-Language, else English. The switch (``set_language``) saves the choice in both and returns
to the same page, the login page included; a choice made on the login page is saved in the
profile at login.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

CHOSEN = "cm_language_chosen"  # chosen before logging in, saved in the profile at login
PROFILE = "cm_ui_language"  # the profile's language, kept in the session (no query a page)
CODES = [code for code, _name in settings.LANGUAGES]
PREFIX = re.compile("^/(" + "|".join(map(re.escape, CODES)) + ")(/.*)$")


def person_language(user) -> str:
    person = getattr(user, "person", None) if getattr(user, "is_authenticated", False) else None
    code = getattr(person, "ui_language", "") or ""
    return code if code in CODES else ""


def cookie_language(request: HttpRequest) -> str:
    code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return code if code in CODES else ""


def session_language(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False) or not hasattr(request, "session"):
        return ""
    code = request.session.get(PROFILE, "")
    return code if code in CODES else ""


def choose(request: HttpRequest) -> str:
    """The language of this request."""
    return (
        session_language(request)
        or cookie_language(request)
        or translation.get_language_from_request(request, check_path=False)
        or settings.LANGUAGE_CODE
    )


def strip_prefix(path: str) -> tuple[str, str]:
    """``/es/teams/x/?q=1`` → (``es``, ``/teams/x/?q=1``); other paths unchanged, no language."""
    m = PREFIX.match(path)
    return (m.group(1), m.group(2)) if m else ("", path)


def _set_cookie(response: HttpResponse, code: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
        path=settings.LANGUAGE_COOKIE_PATH,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )


class LanguageMiddleware:
    """Activate the chosen language (after authentication, before login is required)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        prefix, rest = strip_prefix(request.path_info)
        if prefix and not request.path_info.startswith("/api/"):
            query = request.META.get("QUERY_STRING", "")
            response = HttpResponseRedirect(rest + (f"?{query}" if query else ""))
            # An old link with a language is a choice for this browser (not for the profile).
            _set_cookie(response, prefix)
            if session_language(request):
                request.session[PROFILE] = prefix
            return response
        code = choose(request)
        translation.activate(code)
        request.LANGUAGE_CODE = code
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", code)
        vary = response.headers.get("Vary", "")
        if "cookie" not in vary.lower():
            response.headers["Vary"] = f"{vary}, Cookie" if vary else "Cookie"
        return response


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switch: keep the choice (cookie, profile or, before login, the session) and
    go back to the same page."""
    code = request.POST.get("language", "")
    nxt = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        nxt = "/"
    _prefix, nxt = strip_prefix(nxt)
    response = HttpResponseRedirect(nxt)
    if code not in CODES:
        return response
    _set_cookie(response, code)
    person = getattr(request.user, "person", None) if request.user.is_authenticated else None
    if person is not None:
        if person.ui_language != code:
            person.ui_language = code
            person.save(update_fields=["ui_language"])
        request.session[PROFILE] = code
    elif hasattr(request, "session"):
        request.session[CHOSEN] = code
    return response


@receiver(user_logged_in, dispatch_uid="cm-language-at-login")
def _keep_language_chosen_before_login(sender, request, user, **kwargs) -> None:
    """A language chosen on the login page (or before) becomes the profile's language."""
    session = getattr(request, "session", None)
    if session is None:
        return
    code = session.pop(CHOSEN, "")
    person = getattr(user, "person", None)
    if person is None:
        if code in CODES:
            session[PROFILE] = code
        return
    if code in CODES and person.ui_language != code:
        person.ui_language = code
        person.save(update_fields=["ui_language"])
    if person.ui_language in CODES:
        session[PROFILE] = person.ui_language
