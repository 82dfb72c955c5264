"""The service catalogue and the consumption edges that make the value chain (V1)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientmap.directory.models import Organization, Team, Unit


class Service(models.Model):
    class Status(models.TextChoices):
        LIVE = "live", _("live")
        PLANNED = "planned", _("planned")
        RETIRED = "retired", _("retired")

    key = models.CharField(_("key"), max_length=200, unique=True)
    name = models.CharField(_("name"), max_length=300)
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("provider team"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.LIVE
    )

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Consumption(models.Model):
    """``consumer`` (a service, a unit or an organization) consumes ``provider`` (a service)."""

    provider = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        related_name="consumed_by",
        verbose_name=_("provider service"),
    )
    consumer_service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="consumes",
        verbose_name=_("consumer service"),
    )
    consumer_unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="consumes",
        verbose_name=_("consumer unit"),
    )
    consumer_organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="consumes",
        verbose_name=_("consumer organization"),
    )

    class Meta:
        verbose_name = _("consumption")
        verbose_name_plural = _("consumptions")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        consumer_service__isnull=False,
                        consumer_unit__isnull=True,
                        consumer_organization__isnull=True,
                    )
                    | Q(
                        consumer_service__isnull=True,
                        consumer_unit__isnull=False,
                        consumer_organization__isnull=True,
                    )
                    | Q(
                        consumer_service__isnull=True,
                        consumer_unit__isnull=True,
                        consumer_organization__isnull=False,
                    )
                ),
                name="consumption_exactly_one_consumer",
            ),
            models.UniqueConstraint(
                fields=["provider", "consumer_service"],
                condition=Q(consumer_service__isnull=False),
                name="unique_service_consumption",
            ),
            models.UniqueConstraint(
                fields=["provider", "consumer_unit"],
                condition=Q(consumer_unit__isnull=False),
                name="unique_unit_consumption",
            ),
            models.UniqueConstraint(
                fields=["provider", "consumer_organization"],
                condition=Q(consumer_organization__isnull=False),
                name="unique_organization_consumption",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consumer} → {self.provider}"

    @property
    def consumer(self) -> models.Model:
        return self.consumer_service or self.consumer_unit or self.consumer_organization
