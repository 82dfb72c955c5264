"""``clientmap demo``: load the seeds' stories (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from clientmap.imports import demo


class Command(BaseCommand):
    help = _("Load the demo organization, its customers and three users (idempotent).")

    def handle(self, *args: Any, **opts: Any) -> None:
        report, users = demo.load()
        for name, c in report.counts.items():
            self.stdout.write(
                f"{name:<16} {c['created']:>5} {_('created')}, {c['updated']:>5} {_('updated')}, "
                f"{c['unchanged']:>5} {_('unchanged')}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo loaded. Log in as admin (staff), member (team member) or portal "
                    "(customer portal user), password: %(password)s"
                )
                % {"password": demo.PASSWORD}
            )
        )
