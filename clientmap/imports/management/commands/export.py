"""``clientmap export DIR``: write everything back in the workbook format."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from clientmap.imports import workbook


class Command(BaseCommand):
    help = _("Export every record as a workbook folder of CSV files (the import format).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help=_("folder to write (created if missing)"))

    def handle(self, *args: Any, **opts: Any) -> None:
        written = workbook.export_workbook(opts["path"])
        for name, n in written.items():
            self.stdout.write(f"{name:<20} {n:>9}")
        self.stdout.write(self.style.SUCCESS(_("Exported to %(path)s") % {"path": opts["path"]}))
