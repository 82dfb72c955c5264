"""Core bookkeeping: the derived tables (see ``clientmap.core.derived``) and background jobs.

Background jobs as the product sees them: one row per unit of work, with progress.

The queue itself is the Django tasks API (``django_tasks``, the backport of Django 6's
``django.tasks``) with its database backend. What that library lacks lives here and in
:mod:`clientmap.core.jobs`: idempotency keys, retries with backoff, progress, and a reaper for
jobs left running by a worker that died.
"""

from __future__ import annotations

import uuid

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


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("job"), max_length=100, help_text=_("the registered job name"))
    key = models.CharField(
        _("idempotency key"),
        max_length=300,
        unique=True,
        help_text=_("a job enqueued twice with the same key runs once"),
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveIntegerField(_("maximum attempts"), default=3)
    progress = models.JSONField(_("progress"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    worker = models.CharField(_("worker"), max_length=100, blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    run_after = models.DateTimeField(_("run after"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="job_status")]

    def __str__(self) -> str:
        return f"{self.name} {self.key} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class WorkerBeat(models.Model):
    """A ``clientmap worker`` process, and when it last said it was alive."""

    worker_id = models.CharField(_("worker"), max_length=100, primary_key=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    last_seen = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("job worker")
        verbose_name_plural = _("job workers")

    def __str__(self) -> str:
        return self.worker_id
