"""``clientmap backup FILE``: the whole database in one file (see clientmap.core.backup)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from clientmap.core import backup


class Command(BaseCommand):
    help = _("Write the whole database (every table, with counts and checksums) to FILE.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--json", action="store_true", help=_("machine-readable output"))

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        manifest = backup.backup(opts["file"])
        rows = sum(t["count"] for t in manifest["tables"].values())
        if opts["json"]:
            self.stdout.write(json.dumps({"file": str(opts["file"]), "tables": manifest["tables"]}))
            return
        self.stdout.write(
            _("%(rows)d rows of %(tables)d tables written to %(file)s in %(s).1f s.")
            % {
                "rows": rows,
                "tables": len(manifest["tables"]),
                "file": opts["file"],
                "s": time.perf_counter() - started,
            }
        )
