"""``clientmap reach TEAM_KEY``: the paying customers a team's work reaches (V1)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientmap.directory.models import Team
from clientmap.valuechain import selectors
from clientmap.valuechain.text import counts_text, paying_table, reached_table


class Command(BaseCommand):
    help = _("The paying customers a team's work reaches through the value chain (V1).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("team", help=_("team key"))
        parser.add_argument("--limit", type=int, default=200, help=_("rows per list"))
        parser.add_argument("--json", action="store_true", help=_("machine-readable output"))

    def handle(self, *args: Any, **opts: Any) -> None:
        team = Team.objects.filter(key=opts["team"]).first()
        if team is None:
            raise CommandError(_("No team with key %(key)r.") % {"key": opts["team"]})
        out = selectors.reach(team, limit=opts["limit"])
        if opts["json"]:
            self.stdout.write(json.dumps(out, indent=2, ensure_ascii=False))
            return
        w = self.stdout.write
        w(_("Reach of %(team)s") % {"team": f"{team.name} ({team.key})"})
        w(_("Services: %(list)s") % {"list": ", ".join(s["key"] for s in out["services"]) or "—"})
        w("")
        if out["reaches_paying_customer"]:
            w(
                _("Paying customers reached: %(n)d (%(d)d directly)")
                % {"n": out["paying_customers"]["total"], "d": out["paying_customers"]["direct"]}
            )
            w(paying_table(out["paying_customers"]))
        else:
            w(_("This team's work reaches no paying customer."))
        w("")
        w(_("Direct customers (C1): %(c)s") % {"c": counts_text(out["direct_customers"])})
        w(
            _("Customers reached (C1 customers of every team reached): %(c)s")
            % {"c": counts_text(out["customers_reached"])}
        )
        served = out["served"]
        w(
            _("Serves: %(s)d services, %(u)d units, %(o)d other organizations, %(t)d teams.")
            % {
                "s": served["services"]["total"],
                "u": served["units"]["total"],
                "o": served["organizations"]["total"],
                "t": served["teams"]["total"],
            }
        )
        for title, key in ((_("Units"), "units"), (_("Organizations"), "organizations")):
            if served[key]["items"]:
                w("")
                w(title)
                w(reached_table(served[key]))
