"""Changing the fit by hand: staff overrides with a reason and an expiry."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientmap.core import audit
from clientmap.directory.models import Organization
from clientmap.fit import signals
from clientmap.fit.models import Group, Override


def override(org: Organization, *, group: int, reason: str, expires: date, user=None) -> Override:
    """Place ``org`` in ``group`` until ``expires`` (inclusive); the reason is required."""
    errors = {}
    if group not in Group.values:
        errors["group"] = _("The group must be 1, 2, 3 or 4.")
    if not (reason or "").strip():
        errors["reason"] = _("Say why: an override needs a reason.")
    if expires is None or expires < timezone.localdate():
        errors["expires"] = _("The expiry date must be today or later.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        before = _in_force(org)
        made = Override.objects.create(
            organization=org,
            group=group,
            reason=reason.strip(),
            expires=expires,
            created_by=user if user is not None and user.is_authenticated else None,
        )
        audit.record(
            user,
            "fit.override",
            org,
            before={"override": before},
            after={"override": _shape(made)},
        )
    return made


def clear(org: Organization, *, user=None) -> int:
    """End the overrides in force now (they stay in the record, marked cleared)."""
    with transaction.atomic():
        before = _in_force(org)
        n = Override.objects.filter(
            organization=org, cleared_at__isnull=True, expires__gte=timezone.localdate()
        ).update(cleared_at=timezone.now())
        if n:
            signals.mark(organization_ids=[org.pk])  # an update: no model signal sees it
            audit.record(
                user, "fit.clear", org, before={"override": before}, after={"override": None}
            )
    return n


# --- the audit log's view of an override ----------------------------------------------------


def _shape(o: Override | None) -> dict | None:
    if o is None:
        return None
    return {"group": o.group, "reason": o.reason, "expires": o.expires.isoformat()}


def _in_force(org: Organization) -> dict | None:
    return _shape(
        Override.objects.filter(
            organization=org, cleared_at__isnull=True, expires__gte=timezone.localdate()
        )
        .order_by("-id")
        .first()
    )
