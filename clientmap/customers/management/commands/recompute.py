"""``clientmap recompute``: rebuild every customer relation (C1/C2) from the inputs."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from clientmap.customers import rules


class Command(BaseCommand):
    help = _("Recompute all customer relations (rules C1 and C2).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help=_("machine-readable output"))

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        n = rules.recompute()
        seconds = time.perf_counter() - started
        if opts["json"]:
            self.stdout.write(json.dumps({"relations": n, "seconds": round(seconds, 3)}))
        else:
            self.stdout.write(
                _("%(n)d customer relations recomputed in %(s).2f s.") % {"n": n, "s": seconds}
            )
