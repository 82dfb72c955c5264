"""``clientmap alerts rank FILE``: rank an alert feed by customer impact (V2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientmap.core.text import table
from clientmap.valuechain import feed


class Command(BaseCommand):
    help = _("Alert feeds: rank alerts by the customers they affect (V2).")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, title=_("actions"))
        rank = sub.add_parser(
            "rank",
            help=_(
                "rank a CSV or JSON feed: paying customers reached first, then direct customers, then severity"
            ),
        )
        rank.add_argument(
            "file",
            help=_("CSV or JSON file of alerts (key, service or component, severity, time, text)"),
        )
        rank.add_argument("--json", action="store_true", help=_("machine-readable output"))

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        try:
            alerts = feed.parse_alerts(path.read_bytes(), filename=path.name)
        except (feed.AlertFeedError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        out = feed.rank_alerts(alerts)
        if opts["json"]:
            self.stdout.write(json.dumps(out, indent=2, ensure_ascii=False))
            return
        w = self.stdout.write
        w(
            ngettext(
                "%(n)d alert ranked by customer impact",
                "%(n)d alerts ranked by customer impact",
                len(out["ranked"]),
            )
            % {"n": len(out["ranked"])}
        )
        w(
            table(
                [
                    _("rank"),
                    _("alert"),
                    _("service"),
                    _("paying customers"),
                    _("direct customers"),
                    _("severity"),
                    _("text"),
                ],
                [
                    (
                        r["rank"],
                        r["alert"]["key"],
                        r["service"]["key"],
                        r["paying_customers"],
                        r["direct_customers"],
                        r["alert"]["severity"] or "—",
                        r["alert"]["text"],
                    )
                    for r in out["ranked"]
                ],
            )
        )
        if out["unknown"]:
            w("")
            w(_("Unknown components (%(n)d): not ranked") % {"n": len(out["unknown"])})
            w(
                table(
                    [_("line"), _("alert"), _("component"), _("severity"), _("text")],
                    [
                        (u["line"], u["key"], u["component"], u["severity"] or "—", u["text"])
                        for u in out["unknown"]
                    ],
                )
            )
