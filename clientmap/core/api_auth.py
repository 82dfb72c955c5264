"""API authentication: a browser session (CSRF-checked) or HTTP Basic, per role.

``INTERNAL`` admits staff and team members; ``ANY_USER`` also admits customer portal users.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from ninja.security import HttpBasicAuth, SessionAuth

from clientmap.core.roles import is_internal_user


class _Basic(HttpBasicAuth):
    internal_only = False

    def authenticate(self, request, username: str, password: str):
        user = authenticate(request, username=username, password=password)
        if user is None or not user.is_active:
            return None
        if self.internal_only and not is_internal_user(user):
            return None
        request.user = user
        return user


class _Session(SessionAuth):
    internal_only = False

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is None or (self.internal_only and not is_internal_user(user)):
            return None
        return user


class InternalBasic(_Basic):
    internal_only = True


class InternalSession(_Session):
    internal_only = True


INTERNAL = [InternalSession(), InternalBasic()]
ANY_USER = [_Session(), _Basic()]
