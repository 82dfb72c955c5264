"""Personal API tokens: created (shown once), checked, revoked; a keyed fast hash is stored.

A token looks like ``cm_<8 characters>_<43 characters>`` (256 random bits). The database keeps
only ``HMAC-SHA256(server key, token)``: a stolen table cannot be replayed, and checking a token
costs microseconds (a password hasher would cost ~0.5 s of CPU per request). The server key is
``CLIENTMAP_API_TOKEN_KEY`` when set, else derived from ``SECRET_KEY`` (changing either revokes
every token).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from clientmap.core.models import ApiToken

PREFIX = "cm_"
# last_used_at is written at most once a minute per token, not on every request
_TOUCH_EVERY = timedelta(seconds=60)


def _server_key() -> bytes:
    key = getattr(settings, "CLIENTMAP_API_TOKEN_KEY", "") or ""
    if key:
        return key.encode()
    return hashlib.sha256(b"clientmap.api-token\0" + settings.SECRET_KEY.encode()).digest()


def digest(token: str) -> str:
    return hmac.new(_server_key(), token.encode(), hashlib.sha256).hexdigest()


def create_token(
    user,
    *,
    read_only: bool = False,
    expires_days: float | None = None,
    name: str = "",
    by=None,
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the record and the token text (shown once, never
    stored). ``expires_days`` None means it never expires."""
    if expires_days is not None and expires_days <= 0:
        raise ValueError("expires_days must be positive")
    visible = secrets.token_urlsafe(6)[:8].replace("_", "x").replace("-", "y")
    text = f"{PREFIX}{visible}_{secrets.token_urlsafe(32)}"
    record = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=f"{PREFIX}{visible}",
        digest=digest(text),
        scope=ApiToken.Scope.READ if read_only else ApiToken.Scope.WRITE,
        expires_at=timezone.now() + timedelta(days=expires_days) if expires_days else None,
    )
    from clientmap.core import audit

    audit.record(
        by or user,
        "token.create",
        record,
        after={"user": user.get_username(), "scope": record.scope, "name": record.name},
    )
    return record, text


def revoke(record: ApiToken, *, by=None) -> None:
    if record.revoked_at is None:
        record.revoked_at = timezone.now()
        record.save(update_fields=["revoked_at"])
        from clientmap.core import audit

        audit.record(by, "token.revoke", record, before={"revoked": False}, after={"revoked": True})


def check(text: str) -> ApiToken | None:
    """The live token ``text`` names (not revoked, not expired, its user active), or None."""
    if not text or not text.startswith(PREFIX) or len(text) > 100:
        return None
    record = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest(text), revoked_at__isnull=True)
        .first()
    )
    if record is None or not record.user.is_active:
        return None
    now = timezone.now()
    if record.expires_at is not None and record.expires_at <= now:
        return None
    if record.last_used_at is None or now - record.last_used_at > _TOUCH_EVERY:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
        record.last_used_at = now
    return record


def user_by_name(username: str):
    User = get_user_model()
    return User.objects.get(**{User.USERNAME_FIELD: username})
