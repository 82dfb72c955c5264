"""Core records shared by every area: spent one-use tokens."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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
