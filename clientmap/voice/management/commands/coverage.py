"""``clientmap coverage``: how much of what customers wish for is already covered (W1)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientmap.core.text import table
from clientmap.directory.models import Team
from clientmap.voice import selectors


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f} %"


class Command(BaseCommand):
    help = _("Share of wishes and of votes already covered by existing services, and attestation.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", help=_("team key"))
        parser.add_argument("--json", action="store_true", help=_("machine-readable output"))

    def handle(self, *args: Any, **opts: Any) -> None:
        team = None
        if opts["team"]:
            team = Team.objects.filter(key=opts["team"]).first()
            if team is None:
                raise CommandError(_("No team with key %(key)r.") % {"key": opts["team"]})
        figures = selectors.figures(team)
        cov, att = figures["coverage"], figures["attestation"]
        if opts["json"]:
            self.stdout.write(json.dumps({"coverage": cov, "attestation": att}, indent=2))
            return
        self.stdout.write(
            table(
                [
                    "",
                    _("wishes"),
                    _("covered"),
                    _("share"),
                    _("votes"),
                    _("covered votes"),
                    _("share"),
                ],
                [
                    (
                        side,
                        c["wishes"],
                        c["covered_wishes"],
                        _pct(c["wish_share"]),
                        c["votes"],
                        c["covered_votes"],
                        _pct(c["vote_share"]),
                    )
                    for side, c in cov.items()
                ],
            )
        )
        self.stdout.write(
            _(
                "Acted on: %(acted)d of %(wishes)d wishes; asked %(asked)d people, %(answered)d "
                "answered, %(helped)d said it helped (attestation rate %(rate)s)."
            )
            % {**att, "rate": _pct(att["attestation_rate"])}
        )
