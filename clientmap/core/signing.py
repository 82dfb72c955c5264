"""Signed tokens for links sent by mail (attestation, surveys): purpose, expiry, one use.

    token = make_token("attestation", {"id": 42}, max_age_days=30)
    payload = read_token("attestation", token)   # check only (e.g. to show the form)
    payload = use_token("attestation", token)    # check and spend: a second call raises TokenUsed

A token is signed with ``SECRET_KEY`` (``django.core.signing``) and a salt naming its purpose,
so a token made for one purpose is refused for another. It carries its expiry (default
``CLIENTMAP_TOKEN_MAX_AGE_DAYS``, 30 days) and a random nonce; spending it records the nonce's
digest in :class:`~clientmap.core.models.UsedToken` under a unique constraint, so a used token
cannot be replayed, even by two requests at the same moment. Every failure is a
:class:`TokenError` with a message that can be shown to the person holding the link.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _


class TokenError(ValueError):
    """A link that cannot be used; ``str(error)`` says why, for the person holding it."""

    message = _("This link is not valid.")

    def __init__(self, message=None) -> None:
        super().__init__(str(message or self.message))


class TokenInvalid(TokenError):
    message = _("This link is not valid (it was changed or belongs elsewhere).")


class TokenExpired(TokenError):
    message = _("This link has expired.")


class TokenUsed(TokenError):
    message = _("This link has already been used.")


def default_max_age_days() -> int:
    return int(getattr(settings, "CLIENTMAP_TOKEN_MAX_AGE_DAYS", 30))


def _salt(purpose: str) -> str:
    if not purpose:
        raise ValueError("a token needs a purpose")
    return f"clientmap.token.{purpose}"


def make_token(purpose: str, payload: Any, max_age_days: float | None = None) -> str:
    """A URL-safe signed token for ``purpose`` carrying ``payload`` (anything JSON can hold)."""
    days = default_max_age_days() if max_age_days is None else max_age_days
    body = {"p": payload, "e": int(time.time() + days * 86400), "n": secrets.token_urlsafe(9)}
    return signing.dumps(body, salt=_salt(purpose), compress=True)


def _open(purpose: str, token: str) -> dict:
    try:
        body = signing.loads(str(token), salt=_salt(purpose))
    except signing.BadSignature:
        raise TokenInvalid from None
    if not isinstance(body, dict) or not {"p", "e", "n"} <= body.keys():
        raise TokenInvalid
    if time.time() > body["e"]:
        raise TokenExpired
    return body


def _digest(purpose: str, nonce: str) -> str:
    return hashlib.sha256(f"{purpose}\0{nonce}".encode()).hexdigest()


def expires_at(purpose: str, token: str) -> datetime:
    """When a (valid) token expires."""
    return datetime.fromtimestamp(_open(purpose, token)["e"], tz=UTC)


def read_token(purpose: str, token: str) -> Any:
    """The payload of a valid, unexpired, unused token; raises :class:`TokenError` otherwise."""
    from clientmap.core.models import UsedToken

    body = _open(purpose, token)
    if UsedToken.objects.filter(digest=_digest(purpose, body["n"])).exists():
        raise TokenUsed
    return body["p"]


def use_token(purpose: str, token: str) -> Any:
    """Like :func:`read_token`, and spends the token: it works once."""
    from clientmap.core.models import UsedToken

    body = _open(purpose, token)
    try:
        with transaction.atomic():
            UsedToken.objects.create(
                digest=_digest(purpose, body["n"]),
                purpose=purpose[:50],
                expires_at=datetime.fromtimestamp(body["e"], tz=UTC),
            )
    except IntegrityError:
        raise TokenUsed from None
    return body["p"]


def forget_expired() -> int:
    """Drop the records of spent tokens that have expired anyway (they can no longer be used)."""
    from clientmap.core.models import UsedToken

    return UsedToken.objects.filter(expires_at__lt=datetime.now(tz=UTC)).delete()[0]
