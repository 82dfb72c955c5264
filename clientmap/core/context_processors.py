from __future__ import annotations

from django.http import HttpRequest

from clientmap.core.roles import role_of


def clientmap(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    role = role_of(user) if user is not None else "none"
    return {"cm_role": role, "cm_internal": role in {"staff", "team_member"}}
