"""Core records: bookkeeping of the derived tables (see ``clientmap.core.derived``), spent
one-use tokens, API tokens, the audit log."""

from __future__ import annotations

from django.conf import settings
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


class UsedToken(models.Model):
    """A signed one-use token that has been spent (see :mod:`clientmap.core.signing`)."""

    digest = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(_("purpose"), max_length=50)
    used_at = models.DateTimeField(_("used at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("used token")
        verbose_name_plural = _("used tokens")

    def __str__(self) -> str:
        return f"{self.purpose} {self.digest[:8]}"


class ApiToken(models.Model):
    """A personal API token: ``Authorization: Bearer cm_…``. Only a keyed hash is stored."""

    class Scope(models.TextChoices):
        READ = "read", _("read only")
        WRITE = "write", _("read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(
        _("prefix"), max_length=12, help_text=_("The start of the token, to recognise it.")
    )
    digest = models.CharField(max_length=64, unique=True)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.READ)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def read_only(self) -> bool:
        return self.scope == self.Scope.READ

    @property
    def expired(self) -> bool:
        from django.utils import timezone

        return self.expires_at is not None and self.expires_at <= timezone.now()


class AuditEvent(models.Model):
    """Who changed what: imports, overrides, merges, triage, roles and tokens."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=50, db_index=True)
    object_type = models.CharField(_("object type"), max_length=50, blank=True)
    object_key = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_key}"
