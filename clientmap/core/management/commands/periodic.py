"""``clientmap periodic``: queue the periodic jobs (call it from cron or a systemd timer).

Each periodic job is queued once per period (its key holds the day or the hour), so calling this
every few minutes is harmless. It also reaps jobs whose worker died. ``--run`` runs them here and
now instead of leaving them to ``clientmap worker``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from clientmap.core import jobs


class Command(BaseCommand):
    help = _("Queue the periodic jobs (daily lapse check, derived-table rebuilds) once per period.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--run", action="store_true", help=_("run them now, in this process"))

    def handle(self, *args: Any, **opts: Any) -> None:
        jobs.reap()
        for job in jobs.enqueue_periodic():
            if opts["run"]:
                job = jobs.run(job.pk)
            self.stdout.write(f"{job.key}: {job.get_status_display()}")
