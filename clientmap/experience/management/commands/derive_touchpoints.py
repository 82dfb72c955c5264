"""``clientmap derive-touchpoints``: rebuild the derived touchpoints (after a bulk change made
outside the importer)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from clientmap.experience import derive


class Command(BaseCommand):
    help = _("Rebuild the touchpoints derived from requests and impact notices.")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        n = derive.derive()
        self.stdout.write(
            _("%(n)d derived touchpoints in %(s).1f s.")
            % {"n": n, "s": time.perf_counter() - started}
        )
