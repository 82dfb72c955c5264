"""``clientmap jobs``: the background jobs, their progress and outcome; reap or retry them."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientmap.core import jobs
from clientmap.core.models import Job


class Command(BaseCommand):
    help = _(
        "List background jobs (newest first); --reap fails or requeues jobs whose worker died."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help=_("machine-readable output"))
        parser.add_argument(
            "--status", choices=[s.value for s in Job.Status], help=_("only jobs in this status")
        )
        parser.add_argument("--limit", type=int, default=50, help=_("at most this many jobs"))
        parser.add_argument(
            "--reap", action="store_true", help=_("first reap jobs whose worker is gone")
        )
        parser.add_argument(
            "--retry", metavar="KEY", help=_("queue this failed job again (its key or id)")
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["reap"]:
            jobs.reap()
        if opts["retry"]:
            job = Job.objects.filter(key=opts["retry"]).first()
            if job is None:
                try:
                    job = Job.objects.filter(pk=opts["retry"]).first()
                except Exception:  # noqa: BLE001 — not a UUID
                    job = None
            if job is None:
                raise CommandError(_("No job has the key or id %(key)s.") % {"key": opts["retry"]})
            if job.status != Job.Status.FAILED:
                raise CommandError(
                    _("Only a failed job can be retried; this one is %(s)s.")
                    % {"s": job.get_status_display()}
                )
            jobs.enqueue(job.name, job.params, key=job.key, retry_failed=True)
        qs = Job.objects.all()
        if opts["status"]:
            qs = qs.filter(status=opts["status"])
        rows = [jobs.as_dict(j) for j in qs[: opts["limit"]]]
        if opts["json"]:
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write(_("No jobs."))
            return
        for r in rows:
            p = r["progress"]
            pct = f" {p.get('percent', 0)}%" if r["status"] == "running" else ""
            step = f" {p['step']}" if p.get("step") and r["status"] == "running" else ""
            self.stdout.write(
                f"{r['created_at'][:19]}  {r['status']:<8}{pct}{step}  {r['name']}  {r['key']}"
                f"  ({_('attempt')} {r['attempts']}/{r['max_attempts']})"
            )
            if r["error"]:
                self.stdout.write(f"    {r['error']}")
