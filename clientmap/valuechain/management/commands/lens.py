"""``clientmap lens TEAM_KEY``: how much of a team's work traces to a paying customer (V3)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientmap.core.text import table
from clientmap.directory.models import Team
from clientmap.valuechain import selectors
from clientmap.valuechain.text import path_text, percent


class Command(BaseCommand):
    help = _(
        "The share of a team's work that traces to a paying customer, and what traces to none (V3)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("team", help=_("team key"))
        parser.add_argument("--limit", type=int, default=200, help=_("rows per list"))
        parser.add_argument("--json", action="store_true", help=_("machine-readable output"))

    def handle(self, *args: Any, **opts: Any) -> None:
        team = Team.objects.filter(key=opts["team"]).first()
        if team is None:
            raise CommandError(_("No team with key %(key)r.") % {"key": opts["team"]})
        out = selectors.lens(team, limit=opts["limit"])
        if opts["json"]:
            self.stdout.write(json.dumps(out, indent=2, ensure_ascii=False))
            return
        w = self.stdout.write
        w(_("Paying-customer lens of %(team)s") % {"team": f"{team.name} ({team.key})"})
        r, i, h = out["requests"], out["involvements"], out["hours"]
        w(
            _(
                "Requests: %(t)d of %(n)d trace to a paying customer (%(p)s); "
                "%(d)d directly (%(dp)s), the rest through the home organization."
            )
            % {
                "t": r["traced"],
                "n": r["total"],
                "p": percent(r["share"]),
                "d": r["direct"],
                "dp": percent(r["direct_share"]),
            }
        )
        w(
            _("Involvements: %(t)d of %(n)d (%(p)s); hours: %(th)s of %(nh)s (%(ph)s).")
            % {
                "t": i["traced"],
                "n": i["total"],
                "p": percent(i["share"]),
                "th": f"{h['traced']:g}",
                "nh": f"{h['total']:g}",
                "ph": percent(h["share"]),
            }
        )
        if out["routes"]:
            w("")
            w(_("How the work traces to paying customers"))
            w(
                table(
                    [
                        _("requester in"),
                        _("requests"),
                        _("reached"),
                        _("paying customer"),
                        _("path"),
                    ],
                    [
                        (
                            x["via"]["name"],
                            x["requests"],
                            _("direct") if x["direct"] else _("through the home organization"),
                            x["paying_customer"]["name"],
                            path_text(x["path"]),
                        )
                        for x in out["routes"]
                    ],
                )
            )
        untraced = out["untraced"]
        w("")
        w(_("Requests that trace to no paying customer: %(n)d") % {"n": untraced["total"]})
        if untraced["items"]:
            w(
                table(
                    [
                        _("request"),
                        _("opened"),
                        _("requester"),
                        _("organization"),
                        _("unit"),
                        _("title"),
                    ],
                    [
                        (
                            x["key"],
                            x["opened"],
                            x["requester"]["name"],
                            x["organization"],
                            x["unit"] or "—",
                            x["title"],
                        )
                        for x in untraced["items"]
                    ],
                )
            )
