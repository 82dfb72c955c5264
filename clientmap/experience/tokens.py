"""Signed survey links: the token is the permission, so it must be unforgeable and expire.

A token is the survey's id signed with Django's ``TimestampSigner`` under a salt of its own (a
token made for another purpose — an attestation, a password reset — never validates here). The
signature makes it tamper-evident; expiry is the survey's own ``expires_at`` (configurable,
``CLIENTMAP_SURVEY_EXPIRY_DAYS``); single use is the survey's ``answered_at`` column, set by a
conditional UPDATE so two concurrent answers cannot both win. (The security area's
``clientmap.core.signing`` helper was not on main when this was written; switching to it
changes only this module.)
"""

from __future__ import annotations

from django.core import signing

SALT = "clientmap.experience.survey"


def make(survey_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(int(survey_id)))


def read(token: str) -> int | None:
    """The survey id of a genuine token, else None (tampered, truncated, foreign)."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None
    try:
        return int(value)
    except ValueError:
        return None
