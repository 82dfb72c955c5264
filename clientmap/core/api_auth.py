"""API authentication: a personal API token (``Authorization: Bearer cm_…``) or the browser
session (CSRF-checked for writes), per role.

``INTERNAL`` admits staff and team members; ``ANY_USER`` also admits customer portal users;
``STAFF`` only staff (a team member gets 403, before the request body is read).
A read-only token may call ``GET`` (and ``HEAD``/``OPTIONS``) only; anything else answers 403.
Token requests carry no cookie and need no CSRF token; a request authenticated by its session
cookie always does (for unsafe methods).
"""

from __future__ import annotations

from django.conf import settings
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie

from clientmap.core import tokens
from clientmap.core.roles import is_internal_user, is_staff

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class _Bearer(HttpBearer):
    internal_only = False
    staff_only = False

    def authenticate(self, request, token: str):
        record = tokens.check(token)
        if record is None:
            return None
        user = record.user
        if self.internal_only and not is_internal_user(user):
            return None
        if self.staff_only and not is_staff(user):
            raise HttpError(403, "This is for staff users.")
        if record.read_only and request.method not in SAFE_METHODS:
            raise HttpError(403, "This token is read-only: it may only read (GET).")
        request.user = user
        request.api_token = record
        return user


class _Session(APIKeyCookie):
    internal_only = False
    staff_only = False
    param_name: str = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        # The CSRF check matters only for a request its session cookie authenticates.
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = request.user
        if key is None or not user.is_authenticated:
            return None
        if self.internal_only and not is_internal_user(user):
            return None
        if self.staff_only and not is_staff(user):
            raise HttpError(403, "This is for staff users.")
        return user


class InternalBearer(_Bearer):
    internal_only = True


class InternalSession(_Session):
    internal_only = True


class StaffBearer(_Bearer):
    staff_only = True  # any other signed-in user: 403 (known, but not allowed)


class StaffSession(_Session):
    staff_only = True


INTERNAL = [InternalBearer(), InternalSession()]
# Staff only: others get 403 before the request body is even read.
STAFF = [StaffBearer(), StaffSession()]
ANY_USER = [_Bearer(), _Session()]
