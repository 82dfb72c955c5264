"""``clientmap surveys send --request K | --segment team:T|organization:O|kind:K``,
``clientmap surveys remind``, ``clientmap surveys links``."""

from __future__ import annotations

import csv
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from clientmap.customers.models import Kind
from clientmap.directory.models import Organization, Team
from clientmap.engagements.models import Request
from clientmap.experience import services
from clientmap.experience.models import Survey


def parse_segment(values: list[str]) -> dict:
    """``team:KEY``, ``organization:KEY``, ``kind:KIND`` (combinable)."""
    out: dict = {}
    for value in values:
        what, sep, key = value.partition(":")
        if not sep or not key:
            raise CommandError(
                _("A segment is team:KEY, organization:KEY or kind:KIND, not %(v)r.") % {"v": value}
            )
        if what == "team":
            out["team"] = Team.objects.filter(key=key).first()
            if out["team"] is None:
                raise CommandError(_("No team with key %(key)r.") % {"key": key})
        elif what == "organization":
            out["organization"] = Organization.objects.filter(key=key).first()
            if out["organization"] is None:
                raise CommandError(_("No organization with key %(key)r.") % {"key": key})
        elif what == "kind":
            if key not in Kind.values:
                raise CommandError(
                    _("kind must be one of %(kinds)s") % {"kinds": ", ".join(Kind.values)}
                )
            out["kind"] = key
        else:
            raise CommandError(
                _("A segment is team:KEY, organization:KEY or kind:KIND, not %(v)r.") % {"v": value}
            )
    return out


class Command(BaseCommand):
    help = _("Send surveys (for a request or to a segment), send the reminders, export links.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        send = sub.add_parser("send", help=_("send surveys"))
        send.add_argument("--request", help=_("request key: survey its requester"))
        send.add_argument("--deciders", action="store_true", help=_("also the request's deciders"))
        send.add_argument(
            "--specifiers", action="store_true", help=_("also the request's specifiers")
        )
        send.add_argument(
            "--segment",
            action="append",
            default=[],
            help=_("team:KEY, organization:KEY or kind:KIND (repeat to combine)"),
        )
        send.add_argument("--json", action="store_true")
        remind = sub.add_parser("remind", help=_("send the one reminder that is due"))
        remind.add_argument("--json", action="store_true")
        sub.add_parser("links", help=_("the open survey links as CSV"))

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "remind":
            n = services.remind()
            out = {"reminded": n}
            self.stdout.write(
                json.dumps(out) if opts["json"] else _("%(n)d reminders sent.") % {"n": n}
            )
            return
        if action == "links":
            w = csv.writer(self.stdout)
            w.writerow(["person", "email", "language", "team", "request", "expires", "link"])
            qs = Survey.objects.filter(answered_at__isnull=True, expires_at__gt=timezone.now())
            for s in qs.select_related("person", "team", "request").order_by("sent_at", "pk"):
                w.writerow(
                    [
                        s.person.key,
                        s.person.email,
                        s.language,
                        s.team.key if s.team_id else "",
                        s.request.key if s.request_id else "",
                        s.expires_at.isoformat(),
                        services.link(s),
                    ]
                )
            return
        if bool(opts["request"]) == bool(opts["segment"]):
            raise CommandError(_("Give either --request KEY or --segment …"))
        if opts["request"]:
            req = Request.objects.filter(key=opts["request"]).first()
            if req is None:
                raise CommandError(_("No request with key %(key)r.") % {"key": opts["request"]})
            roles = ["requester"] + [r for r in ("deciders", "specifiers") if opts[r]]
            result = services.send_for_request(req, roles=roles)
        else:
            result = services.send_segment(**parse_segment(opts["segment"]))
        if opts["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        d = result.as_dict()
        self.stdout.write(
            _("%(sent)d surveys sent; skipped: %(skipped)s")
            % {"sent": d["sent"], "skipped": ", ".join(f"{k} {v}" for k, v in d["skipped"].items())}
        )
        sys.stdout.flush()
