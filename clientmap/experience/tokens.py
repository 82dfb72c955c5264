"""Signed survey links: the token is the permission, so it must be unforgeable and expire.

A token is made by the shared helper ``clientmap.core.signing`` for the purpose ``survey``
(a token made for another purpose — an attestation, a password reset — never validates here),
carrying the survey's id. The signature makes it tamper-evident. Expiry is the survey's own
``expires_at`` (configurable, ``CLIENTMAP_SURVEY_EXPIRY_DAYS``): the token itself lives a day
longer, so an expired survey is still known and its page speaks the recipient's language. Single
use is the survey's ``answered_at`` column, set by a conditional UPDATE so two concurrent
answers cannot both win (the helper's spent-token table is not needed for that).

Links mailed before the switch (Django's ``TimestampSigner`` under the old salt) are still read,
until their surveys expire.
"""

from __future__ import annotations

import math
from datetime import datetime

from django.core import signing as django_signing
from django.utils import timezone

from clientmap.core import signing

PURPOSE = "survey"
LEGACY_SALT = "clientmap.experience.survey"


def make(survey_id: int, expires_at: datetime | None = None) -> str:
    """The token of a survey, valid until a day after ``expires_at`` (default: the helper's)."""
    days = None
    if expires_at is not None:
        days = max(math.ceil((expires_at - timezone.now()).total_seconds() / 86400), 0) + 1
    return signing.make_token(PURPOSE, {"survey": int(survey_id)}, max_age_days=days)


def read(token: str) -> int | None:
    """The survey id of a genuine token, else None (tampered, truncated, foreign, or a day past
    its survey's expiry)."""
    try:
        payload = signing.read_token(PURPOSE, token)
    except signing.TokenError:
        return _legacy(token)
    try:
        return int(payload["survey"])
    except (KeyError, TypeError, ValueError):
        return None


def _legacy(token: str) -> int | None:
    try:
        value = django_signing.TimestampSigner(salt=LEGACY_SALT).unsign(str(token))
    except django_signing.BadSignature:
        return None
    try:
        return int(value)
    except ValueError:
        return None
