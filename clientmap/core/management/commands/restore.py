"""``clientmap restore FILE [--replace]``: load a backup, all or nothing, checksums verified."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientmap.core import backup


class Command(BaseCommand):
    help = _(
        "Restore a backup into this database (migrated first); refuses a database that holds "
        "data unless --replace."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--replace", action="store_true", help=_("replace the data this database holds")
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        try:
            manifest = backup.restore(opts["file"], replace=opts["replace"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(t["count"] for t in manifest["tables"].values())
        self.stdout.write(
            _("%(rows)d rows of %(tables)d tables restored and verified in %(s).1f s.")
            % {"rows": rows, "tables": len(manifest["tables"]), "s": time.perf_counter() - started}
        )
