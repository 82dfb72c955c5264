"""Import jobs: an uploaded file imported in the background, with its progress and report."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    filename = models.CharField(_("file name"), max_length=300)
    path = models.CharField(_("stored file"), max_length=500)
    size = models.BigIntegerField(_("size in bytes"), default=0)
    format = models.CharField(
        _("format"),
        max_length=50,
        help_text=_("workbook (a .zip of the CSV files) or a preset name"),
        blank=True,
    )
    mapping = models.TextField(_("mapping (TOML)"), blank=True)
    check_only = models.BooleanField(_("check only"), default=False)
    skip_invalid = models.BooleanField(_("skip invalid rows"), default=False)
    ignore_unknown = models.BooleanField(
        _("ignore unknown files"),
        default=False,
        help_text=_("workbook: import the files it knows, and name the others in the report"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    report = models.JSONField(_("report"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="importjob_status")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
