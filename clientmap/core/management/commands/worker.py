"""``clientmap worker``: run background jobs (the Django tasks database worker, with our heartbeat).

Run one or more beside the web processes (a systemd unit; see docs/deployment.md). On start it
reaps jobs left running by a worker that died; while it runs, a thread reports that it is alive,
flushes the progress of its job and reaps again every 30 seconds.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django_tasks_db.management.commands.db_worker import Worker

from clientmap.core import jobs
from clientmap.core.db import retrying


class Command(BaseCommand):
    help = _(
        "Run background jobs (imports, rebuilds, sends); with --batch, run what is queued and stop."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch",
            "--once",
            action="store_true",
            dest="batch",
            help=_("stop when the queue is empty"),
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help=_("seconds between polls of an empty queue")
        )
        parser.add_argument(
            "--queue-name", default="default", help=_("queues to run, comma separated, or *")
        )
        parser.add_argument(
            "--max-tasks", type=int, default=None, help=_("stop after this many jobs")
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        wid = f"{socket.gethostname()[:40]}:{os.getpid()}:{get_random_string(6)}"
        jobs.set_worker_id(wid)
        for job in retrying(jobs.reap):
            self.stdout.write(
                _("Reaped %(key)s: %(status)s") % {"key": job.key, "status": job.status}
            )
        retrying(lambda: jobs.beat(wid))
        heartbeat = jobs.Heartbeat(wid)
        heartbeat.start()
        worker = Worker(
            queue_names=opts["queue_name"].split(","),
            interval=opts["interval"],
            batch=opts["batch"],
            backend_name="default",
            startup_delay=not opts["batch"],
            max_tasks=opts["max_tasks"],
            worker_id=wid[:64],
            excluded_queue_names=[],
        )
        if not opts["batch"]:
            worker.configure_signals()
            self.stdout.write(_("Worker %(id)s waiting for jobs (Ctrl+C to stop).") % {"id": wid})
        try:
            worker.run()
        finally:
            heartbeat.stopped.set()
