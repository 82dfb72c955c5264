"""``clientmap never-asked``: active customers never asked for feedback, or not lately (X1)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientmap.core.text import table
from clientmap.directory.models import Team
from clientmap.experience import selectors

KINDS = {0: "external_paying", 1: "external_nonpaying", 2: "internal"}


class Command(BaseCommand):
    help = _("Active customers never asked for feedback nor answering, or not in N months.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", help=_("only this team's customers (key)"))
        parser.add_argument("--months", type=int, help=_("not asked in this many months"))
        parser.add_argument("--limit", type=int, default=200)
        parser.add_argument("--json", action="store_true", help=_("machine-readable output"))

    def handle(self, *args: Any, **opts: Any) -> None:
        team = None
        if opts["team"]:
            team = Team.objects.filter(key=opts["team"]).first()
            if team is None:
                raise CommandError(_("No team with key %(key)r.") % {"key": opts["team"]})
        qs = selectors.never_asked(team=team, months=opts["months"])
        total = qs.count()
        people = [
            {
                "key": p.key,
                "name": p.name,
                "email": p.email,
                "organization": p.organization.key,
                "kind": KINDS.get(p.rank, "internal"),
                "last_asked": p.last_asked.isoformat() if p.last_asked else None,
                "last_answered": str(p.last_answered) if p.last_answered else None,
            }
            for p in qs[: opts["limit"]]
        ]
        if opts["json"]:
            self.stdout.write(
                json.dumps({"total": total, "people": people}, indent=2, ensure_ascii=False)
            )
            return
        self.stdout.write(
            table(
                [_("person"), _("name"), _("organization"), _("kind"), _("last asked")],
                [
                    (p["key"], p["name"], p["organization"], p["kind"], p["last_asked"] or "—")
                    for p in people
                ],
            )
        )
        self.stdout.write(_("%(n)d customers never asked or not lately.") % {"n": total})
