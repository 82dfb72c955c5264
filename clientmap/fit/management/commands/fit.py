"""``clientmap fit``: the accounts' groups (K1) with both scores and reasons."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientmap.core import derived
from clientmap.core.text import table
from clientmap.directory.models import Organization
from clientmap.fit import api, rules, selectors


def _score(v: float | None) -> str:
    return _("no data") if v is None else f"{v:.2f}"


class Command(BaseCommand):
    help = _("Key customers: every account's fit group, both scores and the reasons (rule K1).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "organization", nargs="?", help=_("one organization key: its account in detail")
        )
        parser.add_argument("--group", type=int, choices=[1, 2, 3, 4], help=_("only this group"))
        parser.add_argument(
            "--history", action="store_true", help=_("recomputes and moves between groups")
        )
        parser.add_argument("--recompute", action="store_true", help=_("recompute first"))
        parser.add_argument("--as-of", help=_("the day to recompute for (YYYY-MM-DD)"))
        parser.add_argument("--json", action="store_true", help=_("machine-readable output"))

    def handle(self, *args: Any, **opts: Any) -> None:
        derived.ensure_current()  # a new day places every account again (rules.parameters)
        if opts["recompute"] or opts["as_of"]:
            try:
                as_of = date.fromisoformat(opts["as_of"]) if opts["as_of"] else None
            except ValueError:
                raise CommandError(
                    _("--as-of: not a date (YYYY-MM-DD): %(v)r") % {"v": opts["as_of"]}
                ) from None
            run = rules.recompute(as_of=as_of)
            self.stderr.write(
                _("Recomputed %(n)s accounts in %(s).2f s.") % {"n": run.accounts, "s": run.seconds}
            )
        if opts["history"]:
            return self._history(opts["json"])
        if opts["organization"]:
            org = Organization.objects.filter(key=opts["organization"]).first()
            if org is None:
                raise CommandError(
                    _("No organization with key %(key)r.") % {"key": opts["organization"]}
                )
            return self._account(org, opts["json"])
        rows = api.placements(opts["group"])
        if opts["json"]:
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write(_("No accounts."))
            return
        self.stdout.write(
            table(
                [
                    _("Organization"),
                    _("Group"),
                    _("Customer wants us"),
                    _("We want the customer"),
                    _("Revenue"),
                    _("Reasons"),
                ],
                [
                    [
                        f"{r['name']} ({r['organization']})",
                        f"{r['group']} {r['group_name']}" + (" *" if r["override"] else "")
                        if r["group"]
                        else _("no data"),
                        _score(r["wants_us"]),
                        _score(r["we_want"]),
                        f"{r['revenue']:.0f}",
                        "; ".join(r["reasons"][:2] + ([r["diagnosis"]] if r["diagnosis"] else [])),
                    ]
                    for r in rows
                ],
            )
        )

    def _account(self, org: Organization, as_json: bool) -> None:
        data = api.account(org)
        if as_json:
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str))
            return
        g = data["group"]
        self.stdout.write(f"{org.name} ({org.key})")
        self.stdout.write(
            _("Group: %(g)s") % {"g": f"{g} {data['group_name']}" if g else _("no data")}
            + (f"  ({_('override')})" if data["override"] else "")
        )
        if data["policy"]:
            self.stdout.write(_("Policy: %(p)s") % {"p": data["policy"]})
        self.stdout.write(
            f"{_('Customer wants us')}: {_score(data['wants_us'])}   "
            f"{_('We want the customer')}: {_score(data['we_want'])}   "
            f"{_('Revenue')}: {data['revenue']:.0f}"
        )
        for title, parts in (
            (_("The customer wants us"), data["wants_us_parts"]),
            (_("We want the customer"), data["we_want_parts"]),
        ):
            self.stdout.write("")
            self.stdout.write(title)
            self.stdout.write(
                table(
                    [_("Part"), _("Value"), _("Score"), _("Weight"), _("Rule")],
                    [
                        [
                            p["label"],
                            p["shown"],
                            "—" if p["score"] is None else f"{p['score']:.2f}",
                            f"{p['weight']:g}",
                            p["rule"],
                        ]
                        for p in parts
                    ],
                )
            )
        self.stdout.write("")
        for w in data["reasons"]:
            self.stdout.write(f"- {w}")

    def _history(self, as_json: bool) -> None:
        runs = selectors.history()
        if as_json:
            self.stdout.write(json.dumps(runs, indent=2, default=str))
            return
        if not runs:
            self.stdout.write(_("No recompute yet."))
            return
        self.stdout.write(
            table(
                [_("As of"), _("Accounts"), "1", "2", "3", "4", _("No group"), _("Moves")],
                [
                    [
                        r["as_of"].isoformat(),
                        r["accounts"],
                        *[r["groups"][g] for g in (1, 2, 3, 4)],
                        r["unplaced"],
                        "—" if r["moves"] is None else r["moves"],
                    ]
                    for r in runs
                ],
            )
        )
        since, moves = selectors.moves()
        if since is not None:
            self.stdout.write("")
            self.stdout.write(_("Moves since %(d)s:") % {"d": since.as_of.isoformat()})
            for m in moves:
                self.stdout.write(
                    f"  {m['organization'].name} ({m['organization'].key}): {m['from'] or '—'} → {m['to'] or '—'}"
                )
