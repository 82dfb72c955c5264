"""``clientmap presets [NAME]``: the mappings shipped for common exports, or one of them in full."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientmap.imports import mapping


class Command(BaseCommand):
    help = _(
        "List the preset mappings (import --format NAME), or print one as TOML to start your own."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", help=_("a preset to print in full"))

    def handle(self, *args: Any, **opts: Any) -> None:
        found = mapping.presets()
        name = opts["name"]
        if name:
            if name not in found:
                raise CommandError(
                    _("No preset %(name)r (presets: %(names)s).")
                    % {"name": name, "names": ", ".join(sorted(found))}
                )
            self.stdout.write(found[name].read_text(encoding="utf-8"), ending="")
            return
        for key in sorted(found):
            m = mapping.load(key)
            self.stdout.write(f"{key:<12} {m.description}")
