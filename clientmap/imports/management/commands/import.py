"""``clientmap import PATH``: load a workbook folder (or, later, a mapped export)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientmap.imports import workbook


class Command(BaseCommand):
    help = _(
        "Import a workbook folder of CSV files in one transaction. A bad value stops the import "
        "with file, line and column, and nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help=_("workbook folder"))
        parser.add_argument(
            "--format", default="workbook", choices=["workbook"], help=_("input format")
        )
        parser.add_argument(
            "--check", action="store_true", help=_("validate only: report what would change")
        )
        parser.add_argument("--json", action="store_true", help=_("machine-readable output"))

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        try:
            report = workbook.import_workbook(opts["path"], check=opts["check"])
        except workbook.WorkbookError as exc:
            if opts["json"]:
                self.stdout.write(
                    json.dumps({"ok": False, "errors": [e.as_dict() for e in exc.errors]}, indent=2)
                )
            raise CommandError(
                _("Nothing was imported. %(n)d problem(s):\n%(errors)s")
                % {"n": len(exc.errors), "errors": "\n".join(f"  {e}" for e in exc.errors)}
            ) from None
        seconds = time.perf_counter() - started
        if opts["json"]:
            self.stdout.write(
                json.dumps({"ok": True, **report.as_dict(), "seconds": seconds}, indent=2)
            )
            return
        self.stdout.write(
            f"{_('file'):<16} {_('created'):>9} {_('updated'):>9} {_('unchanged'):>10}"
        )
        for name, c in report.counts.items():
            self.stdout.write(
                f"{name:<16} {c['created']:>9} {c['updated']:>9} {c['unchanged']:>10}"
            )
        if report.checked_only:
            self.stdout.write(_("Check only: nothing was written."))
        elif not report.changed:
            self.stdout.write(_("Nothing changed: the database already holds this workbook."))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Imported in %(s).1f s; %(r)d customer relations recomputed.")
                    % {"s": seconds, "r": report.relations or 0}
                )
            )
