"""``clientmap customer-of PERSON_KEY``: which teams count this person as a customer, and why."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from clientmap.core.text import table
from clientmap.customers import selectors, shapes
from clientmap.directory.models import Person


class Command(BaseCommand):
    help = _("Which teams count this person as a customer, and why (or why not).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("person", help=_("person key"))
        parser.add_argument("--json", action="store_true", help=_("machine-readable output"))

    def handle(self, *args: Any, **opts: Any) -> None:
        person = Person.objects.select_related("organization").filter(key=opts["person"]).first()
        if person is None:
            raise CommandError(_("No person with key %(key)r.") % {"key": opts["person"]})
        answer = selectors.customer_of(person)
        if opts["json"]:
            data = shapes.person_answer(answer)
            for rel in data["customer_of"] + data["prospect_of"]:
                # The keys this command printed before shapes.py (deprecated, CHANGELOG.md).
                rel["requests"], rel["involvements"] = (
                    rel["request_count"],
                    rel["involvement_count"],
                )
            self.stdout.write(json.dumps(data, indent=2, cls=DjangoJSONEncoder))
            return
        self.stdout.write(f"{person.name} ({person.key}), {person.organization.name}")
        if answer.relations:
            self.stdout.write(_("Customer of:"))
            self.stdout.write(
                table(
                    [_("team"), _("name"), _("kind"), _("basis"), _("active"), _("evidence")],
                    [
                        (
                            r.team.key,
                            r.team.name,
                            r.get_kind_display(),
                            r.basis,
                            _("active") if r.active else _("lapsed"),
                            r.request_count + r.involvement_count,
                        )
                        for r in answer.relations
                    ],
                )
            )
        else:
            self.stdout.write(_("Nobody's customer."))
        if answer.prospects:
            self.stdout.write(
                _("Prospect of: %(teams)s")
                % {"teams": ", ".join(f"{r.team.name} ({r.team.key})" for r in answer.prospects)}
            )
        for reason in answer.reasons:
            self.stdout.write(f"- {reason}")
