"""``clientmap worker``: run queued import jobs (for deployments with several web workers)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils.translation import gettext as _

from clientmap.imports import services


class Command(BaseCommand):
    help = _("Run queued import jobs; with --once, run what is queued and stop.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help=_("stop when the queue is empty"))
        parser.add_argument("--sleep", type=float, default=2.0, help=_("seconds between polls"))

    def handle(self, *args: Any, **opts: Any) -> None:
        while True:
            close_old_connections()
            job = services.claim_next()
            if job is None:
                if opts["once"]:
                    return
                time.sleep(opts["sleep"])
                continue
            self.stdout.write(
                _("Importing %(file)s (%(id)s)…") % {"file": job.filename, "id": job.pk}
            )
            job = services.run(job.pk)
            self.stdout.write(f"  {job.get_status_display()}")
