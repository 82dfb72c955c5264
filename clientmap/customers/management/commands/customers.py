"""``clientmap customers TEAM_KEY``: who are this team's customers, and why."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from clientmap.core.text import table
from clientmap.customers import selectors, shapes
from clientmap.customers.models import Kind
from clientmap.directory.models import Team


def _with_old_keys(row: dict) -> dict:
    """The shape of ``shapes.relation``, plus the keys this command printed before it existed
    (``requests``, ``involvements``; deprecated, see CHANGELOG.md)."""
    return {**row, "requests": row["request_count"], "involvements": row["involvement_count"]}


class Command(BaseCommand):
    help = _("Who are this team's customers, and why (rules C1 and C2).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("team", help=_("team key"))
        parser.add_argument("--kind", choices=Kind.values, help=_("only this kind"))
        parser.add_argument("--basis", help=_("any of the letters R, D, S, I"))
        parser.add_argument(
            "--active", choices=["yes", "no"], help=_("only active (yes) or lapsed (no)")
        )
        parser.add_argument(
            "--prospects", action="store_true", help=_("list prospects instead of customers")
        )
        parser.add_argument("--json", action="store_true", help=_("machine-readable output"))

    def handle(self, *args: Any, **opts: Any) -> None:
        team = Team.objects.filter(key=opts["team"]).first()
        if team is None:
            raise CommandError(_("No team with key %(key)r.") % {"key": opts["team"]})
        active = None if opts["active"] is None else opts["active"] == "yes"
        rows = list(
            selectors.team_customers(
                team,
                kind=opts["kind"],
                basis=opts["basis"],
                active=active,
                prospects=opts["prospects"],
            )
        )
        if opts["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "team": {"key": team.key, "name": team.name},
                        "prospects": opts["prospects"],
                        "customers": [_with_old_keys(row) for row in shapes.relations(rows)],
                    },
                    indent=2,
                    cls=DjangoJSONEncoder,
                )
            )
            return
        title = _("Prospects of %(team)s") if opts["prospects"] else _("Customers of %(team)s")
        self.stdout.write(title % {"team": f"{team.name} ({team.key})"})
        if not rows:
            self.stdout.write(_("None."))
            return
        self.stdout.write(
            table(
                [
                    _("person"),
                    _("name"),
                    _("kind"),
                    _("basis"),
                    _("active"),
                    _("last evidence"),
                    _("evidence"),
                ],
                [
                    (
                        r.person.key,
                        r.person.name,
                        r.get_kind_display(),
                        r.basis or "-",
                        _("active") if r.active else _("lapsed"),
                        r.last_evidence,
                        r.request_count + r.involvement_count + r.prospect_request_count,
                    )
                    for r in rows
                ],
            )
        )
        self.stdout.write(_("%(n)d row(s).") % {"n": len(rows)})
