"""Bookkeeping of the derived tables (see ``clientmap.core.derived``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DerivedState(models.Model):
    """One row per derived table: the version of its inputs and the version it was built for.

    Every write that changes an input bumps ``version`` in the same transaction; bringing the
    table current sets ``built`` to the version it saw and ``built_for`` to the parameters it was
    built with (for customer relations: the day and the active window).
    """

    name = models.CharField(_("name"), max_length=64, unique=True)
    version = models.BigIntegerField(_("input version"), default=1)
    built = models.BigIntegerField(_("built for version"), default=0)
    built_for = models.CharField(_("built for"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("derived table state")
        verbose_name_plural = _("derived table states")

    def __str__(self) -> str:
        return f"{self.name} v{self.version} (built v{self.built})"

    @property
    def is_current(self) -> bool:
        return self.built == self.version


class StaleScope(models.Model):
    """What changed since a derived table was last built: everything, a person or an
    organization (plain ids: ``core`` sits below the directory). Written with the version bump,
    consumed by the next rebuild."""

    name = models.CharField(_("name"), max_length=64, db_index=True)
    everyone = models.BooleanField(_("everyone"), default=False)
    person_id = models.BigIntegerField(_("person"), null=True, blank=True)
    organization_id = models.BigIntegerField(_("organization"), null=True, blank=True)

    class Meta:
        verbose_name = _("stale scope")
        verbose_name_plural = _("stale scopes")

    def __str__(self) -> str:
        if self.everyone:
            return f"{self.name}: everyone"
        return f"{self.name}: person {self.person_id} organization {self.organization_id}"
