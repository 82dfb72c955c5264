"""``clientmap satisfaction``: CSAT, mean score, response rate and promises kept (X1)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientmap.core.text import table
from clientmap.directory.models import Team
from clientmap.experience import report


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f} %"


def one(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


class Command(BaseCommand):
    help = _(
        "CSAT, mean score, response rate and promises kept, by team, service, organization or kind."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", help=_("only this team (key)"))
        parser.add_argument(
            "--by", choices=["team", "service", "organization", "kind"], default="team"
        )
        parser.add_argument("--window", type=int, help=_("window in days (default 365)"))
        parser.add_argument("--json", action="store_true", help=_("machine-readable output"))

    def handle(self, *args: Any, **opts: Any) -> None:
        team = None
        if opts["team"]:
            team = Team.objects.filter(key=opts["team"]).first()
            if team is None:
                raise CommandError(_("No team with key %(key)r.") % {"key": opts["team"]})
        rows = report.table(opts["by"], team=team, window_days=opts["window"])
        overall = report.table("all", team=team, window_days=opts["window"])
        if opts["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "by": opts["by"],
                        "team": team.key if team else None,
                        "overall": report.as_json(overall)[0] if overall else None,
                        "groups": report.as_json(rows),
                        "trend": report.trend(team=team, window_days=opts["window"])["rows"],
                    },
                    indent=2,
                    ensure_ascii=False,
                )
            )
            return
        self.stdout.write(
            table(
                [
                    opts["by"],
                    _("answers"),
                    _("CSAT"),
                    _("mean"),
                    _("response rate"),
                    _("promises due"),
                    _("kept"),
                    _("median delay"),
                ],
                [
                    (
                        r.name,
                        r.figures.answers.answers,
                        pct(r.figures.answers.csat),
                        one(r.figures.answers.mean_score),
                        pct(r.figures.responses.rate),
                        r.figures.promises.due,
                        pct(r.figures.promises.kept_share),
                        one(r.figures.promises.median_delay_days),
                    )
                    for r in overall + rows
                ],
            )
        )
