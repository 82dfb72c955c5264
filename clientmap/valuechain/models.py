"""What the value chain records: the messages sent to customers about a failure (V2)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImpactNotice(models.Model):
    """One message sent to one direct customer affected by a service failure ("tell the affected
    customers", from a service's impact page or from a ranked alert).

    This is the touchpoint record of the recipient's journey until the experience area adds
    journeys: one row per recipient and message, with what was sent, to which address, in which
    language, when and by whom. Rows are kept when the service is deleted (``service_key`` stays).
    """

    person = models.ForeignKey(
        "directory.Person",
        on_delete=models.CASCADE,
        related_name="impact_notices",
        verbose_name=_("person"),
    )
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="impact_notices",
        verbose_name=_("service"),
    )
    service_key = models.CharField(_("service key"), max_length=200)
    alert_key = models.CharField(_("alert"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"))
    language = models.CharField(_("language"), max_length=10, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("message"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )

    class Meta:
        verbose_name = _("impact notice")
        verbose_name_plural = _("impact notices")
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["service", "-sent_at"], name="notice_service_sent"),
            models.Index(fields=["person", "-sent_at"], name="notice_person_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.service_key} → {self.email} ({self.sent_at:%Y-%m-%d %H:%M})"


class Alert(models.Model):
    """An alert kept from a feed (the workbook's alerts.csv, or a feed uploaded and kept), so the
    overview can tell which teams' paying customers the month's alerts reach. ``service`` is the
    component resolved by key, then by name; an unknown component is kept with no service and
    shown as unknown, never dropped."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    component = models.CharField(_("component"), max_length=300)
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("service"),
    )
    severity = models.CharField(_("severity"), max_length=50, blank=True)
    time = models.DateTimeField(_("time"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-time", "key"]
        indexes = [models.Index(fields=["time"], name="alert_time")]

    def __str__(self) -> str:
        return f"{self.key}: {self.component}"
