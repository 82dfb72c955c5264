from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import get_language_from_path

from clientmap.core import derived, replica
from clientmap.core.roles import role_of
from clientmap.directory import sso


def path_without_language(path: str) -> str:
    """``/es/teams/x/?q=1`` → ``/teams/x/?q=1``.

    The language switcher posts to the unprefixed ``/i18n/setlang/``, where the default language
    is active; Django can only translate a ``next`` URL it can resolve in that language, so it
    gets the unprefixed path and adds the new prefix itself.
    """
    lang = get_language_from_path(path)
    if lang and path.startswith(f"/{lang}/"):
        return path[len(lang) + 1 :]
    return path


def clientmap(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    role = role_of(user) if user is not None else "none"
    return {
        "cm_role": role,
        "cm_internal": role in {"staff", "team_member"},
        "cm_next": path_without_language(request.get_full_path()),
        # With a read replica: the primary does not answer, so pages say writes are unavailable.
        "cm_writes_unavailable": replica.configured() and not replica.primary_available(),
        # derived tables read from their last complete build while a job rebuilds them
        "cm_catching_up": bool(derived.catching_up()),
        # sign-in with the organization's identity provider, when configured
        "cm_sso": sso.provider_name() if sso.enabled() else "",
    }
