"""``clientmap impact SERVICE_KEY``: what breaks, and for whom, if a service fails (V2)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientmap.catalog.models import Service
from clientmap.core.text import table
from clientmap.valuechain import selectors
from clientmap.valuechain.text import counts_text, path_text, paying_table, reached_table


class Command(BaseCommand):
    help = _(
        "Every service, unit, team, direct and paying customer affected if a service fails (V2)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("service", help=_("service key"))
        parser.add_argument("--limit", type=int, default=200, help=_("rows per list"))
        parser.add_argument("--json", action="store_true", help=_("machine-readable output"))

    def handle(self, *args: Any, **opts: Any) -> None:
        service = Service.objects.filter(key=opts["service"]).first()
        if service is None:
            raise CommandError(_("No service with key %(key)r.") % {"key": opts["service"]})
        out = selectors.impact(service, limit=opts["limit"])
        if opts["json"]:
            self.stdout.write(json.dumps(out, indent=2, ensure_ascii=False))
            return
        w = self.stdout.write
        w(_("If %(service)s fails:") % {"service": f"{service.name} ({service.key})"})
        w("")
        paying = out["paying_customers"]
        w(
            _("Paying customers affected: %(n)d (%(d)d directly)")
            % {"n": paying["total"], "d": paying["direct"]}
        )
        if paying["items"]:
            w(paying_table(paying))
        direct = out["direct_customers"]
        w("")
        w(
            _("Direct customers affected: %(n)d — %(c)s")
            % {"n": direct["total"], "c": counts_text(direct)}
        )
        if direct["items"]:
            w(
                table(
                    [_("person"), _("name"), _("kind"), _("team"), _("path")],
                    [
                        (
                            i["person"]["key"],
                            i["person"]["name"],
                            i["kind"],
                            i["team"],
                            path_text(i["path"]),
                        )
                        for i in direct["items"]
                    ],
                )
            )
        for title, key in (
            (_("Teams affected"), "teams"),
            (_("Services affected"), "services"),
            (_("Units affected"), "units"),
            (_("Other organizations affected"), "organizations"),
        ):
            w("")
            w(f"{title}: {out[key]['total']}")
            if out[key]["items"]:
                w(reached_table(out[key]))
