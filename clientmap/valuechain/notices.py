"""Tell the affected customers (V2): draft a message per recipient language, send it through
Django's e-mail backend, record each message sent (``ImpactNotice``).

The recipients are the direct customers reached by a failure — the C1 customers (people) of
every team the failed service affects — who have an e-mail address. Each gets the draft of their
language (``Person.language``) when it is one of the site's languages, the site's default
language otherwise. ``{name}`` in a draft is replaced by the recipient's name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientmap.catalog.models import Service
from clientmap.customers.models import CustomerRelation
from clientmap.directory import inbox
from clientmap.directory.models import Message, Person, Team
from clientmap.valuechain import reachsets
from clientmap.valuechain.graph import SERVICE, TEAM, ValueGraph, load_graph
from clientmap.valuechain.models import ImpactNotice, ReachSet

log = logging.getLogger(__name__)

BATCH = 500


def affected_team_ids(service: Service, graph: ValueGraph | None = None) -> list[int]:
    """Database ids of every team affected if ``service`` fails."""
    g = graph or load_graph()
    node = g.node(SERVICE, service.pk)
    if node < 0:
        return []
    order, _pred = g.bfs([node])
    return sorted(int(x) for x in g.db_id[g.of_type(order, TEAM)])


def recipients(team_ids: list[int], *, include_lapsed: bool = False) -> QuerySet[Person]:
    """The C1 customers of these teams who have an e-mail address, by name: only those with an
    active relation to one of them unless ``include_lapsed``."""
    if not team_ids:
        return Person.objects.none()
    relation = relations_of_teams(team_ids).filter(is_customer=True)
    if not include_lapsed:
        relation = relation.filter(active=True)
    # one pass over the relations (a semi-join), not a probe per person
    return (
        Person.objects.filter(pk__in=relation.values("person_id"))
        .exclude(email="")
        .order_by("name", "pk")
    )


def relations_of_teams(team_ids: list[int]) -> QuerySet[CustomerRelation]:
    """The relations of these teams: of every team, with no list, when they are all of them (a
    service whose failure reaches every team)."""
    qs = CustomerRelation.objects.all()
    if len(set(team_ids)) < Team.objects.count():
        qs = qs.filter(team_id__in=team_ids)
    return qs


def recipient_rows(
    team_ids: list[int], *, include_lapsed: bool = False, limit: int = 200, offset: int = 0
):
    """The recipients with what the sender needs to see first: their organization, the kind of
    customer they are (the best of their relations to the affected teams), their last activity
    with those teams, and whether they have gone quiet (lapsed); ``limit`` from ``offset``."""
    people = list(
        recipients(team_ids, include_lapsed=include_lapsed).select_related("organization")[
            offset : offset + limit
        ]
    )
    rank = {"external_paying": 0, "external_nonpaying": 1, "internal": 2}
    info: dict[int, dict] = {}
    for pid, kind, last, active in (
        relations_of_teams(team_ids)
        .filter(person_id__in=[p.pk for p in people], is_customer=True)
        .values_list("person_id", "kind", "last_evidence", "active")
    ):
        i = info.setdefault(pid, {"kind": kind, "last": last, "active": False})
        if rank.get(kind, 9) < rank.get(i["kind"], 9):
            i["kind"] = kind
        if last and (i["last"] is None or last > i["last"]):
            i["last"] = last
        i["active"] |= active
    labels = dict(CustomerRelation._meta.get_field("kind").choices)
    return [
        {
            "person": p,
            "kind": info.get(p.pk, {}).get("kind", ""),
            "kind_label": labels.get(info.get(p.pk, {}).get("kind", ""), ""),
            "last": info.get(p.pk, {}).get("last"),
            "lapsed": not info.get(p.pk, {}).get("active", True),
        }
        for p in people
    ]


@dataclass
class Audience:
    """Who "tell the affected customers" reaches when one service fails: the direct customers of
    the teams its failure reaches, with an e-mail address — read from the reach set of those
    teams (``reachsets``: stored figures and rows for a large set, a join of its teams with the
    relations for a small one); from the relations of ``team_ids`` when there is no such set."""

    team_ids: list[int]
    reach_set: ReachSet | None = None
    whole: bool = False  # the set is every team

    def people(self, *, include_lapsed: bool = False) -> QuerySet[Person]:
        """The recipients, by name."""
        if self.reach_set is None:
            return recipients(self.team_ids, include_lapsed=include_lapsed)
        return reachsets.recipients(self.reach_set, include_lapsed=include_lapsed, whole=self.whole)

    def count(self, *, include_lapsed: bool = False) -> int:
        if self.reach_set is None:
            return recipients(self.team_ids, include_lapsed=include_lapsed).count()
        return reachsets.recipient_count(
            self.reach_set, include_lapsed=include_lapsed, whole=self.whole
        )

    def rows(self, *, include_lapsed: bool = False, limit: int = 200, offset: int = 0):
        """One page of ``recipient_rows``."""
        if self.reach_set is None:
            return recipient_rows(
                self.team_ids, include_lapsed=include_lapsed, limit=limit, offset=offset
            )
        page = reachsets.recipient_page(
            self.reach_set,
            include_lapsed=include_lapsed,
            limit=limit,
            offset=offset,
            whole=self.whole,
        )
        people = Person.objects.select_related("organization").in_bulk(
            [r["person_id"] for r in page]
        )
        labels = dict(CustomerRelation._meta.get_field("kind").choices)
        return [
            {
                "person": people[r["person_id"]],
                "kind": r["kind"],
                "kind_label": labels.get(r["kind"], ""),
                "last": r["last"],
                "lapsed": r["lapsed"],
            }
            for r in page
        ]

    def languages(self, *, include_lapsed: bool = False) -> list[tuple[str, str, int]]:
        """``languages`` of the recipients."""
        if self.reach_set is None:
            return languages(recipients(self.team_ids, include_lapsed=include_lapsed))
        return _language_counts(
            reachsets.languages(self.reach_set, include_lapsed=include_lapsed, whole=self.whole)
        )


def audience(service: Service, graph: ValueGraph | None = None) -> Audience:
    """The ``Audience`` of ``service``'s failure."""
    g = graph or load_graph()
    node = g.node(SERVICE, service.pk)
    if node < 0:
        return Audience([])
    order, _pred = g.bfs([node])
    teams = g.of_type(order, TEAM)
    stored = reachsets.find(g, teams)
    return Audience(
        sorted(int(x) for x in g.db_id[teams]),
        stored,
        stored is not None and reachsets.every_team(g, stored),
    )


def language_of(code: str) -> str:
    """The draft language for a person's language: theirs when the site offers it."""
    offered = {c for c, _name in settings.LANGUAGES}
    return code if code in offered else settings.LANGUAGE_CODE


def languages(people: QuerySet[Person]) -> list[tuple[str, str, int]]:
    """(code, name, recipients) for each draft language needed, the default language first."""
    return _language_counts(people.order_by().values_list("language").annotate(n=Count("id")))


def _language_counts(rows) -> list[tuple[str, str, int]]:
    """(code, name, recipients) from (``Person.language``, recipients) pairs."""
    counts: dict[str, int] = {}
    for code, n in rows:
        lang = language_of(code or "")
        counts[lang] = counts.get(lang, 0) + n
    names = dict(settings.LANGUAGES)
    return sorted(
        ((c, str(names.get(c, c)), n) for c, n in counts.items()),
        key=lambda x: (x[0] != settings.LANGUAGE_CODE, x[0]),
    )


def default_draft(
    service: Service, language: str, *, alert_text: str = "", sender: str = ""
) -> tuple[str, str]:
    """The default subject and body, written in ``language``."""
    with translation.override(language):
        subject = _("Service disruption: %(service)s") % {"service": service.name}
        lines = [
            _("Hello {name},"),
            "",
            _(
                "%(service)s is currently disrupted. Services you receive from us rely on it "
                "and may be unavailable or slow."
            )
            % {"service": service.name},
        ]
        if alert_text:
            lines += ["", _("What we see: %(text)s") % {"text": alert_text}]
        lines += [
            "",
            _("We are working on it and will let you know as soon as it is resolved."),
            _("We apologise for the inconvenience."),
            "",
            _("Kind regards,"),
            sender or _("Your service team"),
        ]
    return subject, "\n".join(lines)


class TellForm(forms.Form):
    """A subject and body per recipient language."""

    alert_key = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)
    alert_text = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)
    include_lapsed = forms.BooleanField(
        required=False,
        label=gettext_lazy("Also tell customers who have gone quiet (lapsed)"),
    )

    def __init__(self, *args, langs: list[tuple[str, str, int]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.langs = langs
        for code, _name, _n in langs:
            self.fields[f"subject_{code}"] = forms.CharField(
                label=gettext_lazy("Subject"), max_length=300
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=gettext_lazy("Message"),
                widget=forms.Textarea(attrs={"rows": 11, "cols": 80}),
                help_text=gettext_lazy("{name} is replaced by each recipient's name."),
            )

    def groups(self) -> list[dict]:
        """For the template: one entry per language with its two bound fields."""
        return [
            {
                "code": code,
                "name": name,
                "count": n,
                "subject": self[f"subject_{code}"],
                "body": self[f"body_{code}"],
            }
            for code, name, n in self.langs
        ]

    def drafts(self) -> dict[str, tuple[str, str]]:
        return {
            code: (self.cleaned_data[f"subject_{code}"], self.cleaned_data[f"body_{code}"])
            for code, _name, _n in self.langs
        }


def initial_drafts(
    service: Service, langs: list[tuple[str, str, int]], *, alert_text: str = "", sender: str = ""
) -> dict[str, str]:
    initial: dict[str, str] = {}
    for code, _name, _n in langs:
        subject, body = default_draft(service, code, alert_text=alert_text, sender=sender)
        initial[f"subject_{code}"] = subject
        initial[f"body_{code}"] = body
    return initial


def send(
    service: Service,
    team_ids: list[int],
    drafts: dict[str, tuple[str, str]],
    *,
    sender=None,
    alert_key: str = "",
    include_lapsed: bool = False,
    to: Audience | None = None,
) -> tuple[int, int]:
    """Send each recipient the draft of their language and record it. Returns (sent, failed).
    The recipients are those of ``team_ids``, or of the audience ``to`` when given."""
    fallback = drafts.get(settings.LANGUAGE_CODE) or next(iter(drafts.values()), None)
    if fallback is None:
        return 0, 0
    sent = failed = 0
    pending: list[ImpactNotice] = []
    chosen = (
        to.people(include_lapsed=include_lapsed)
        if to is not None
        else recipients(team_ids, include_lapsed=include_lapsed)
    )
    people = chosen.only("id", "name", "email", "language", "user_id", "delivery")
    with get_connection() as connection:
        for person in people.iterator(chunk_size=BATCH):
            lang = language_of(person.language or "")
            subject, body = drafts.get(lang, fallback)
            body = body.replace("{name}", person.name)
            message = EmailMessage(subject, body, to=[person.email], connection=connection)
            try:
                ok = message.send()
            except OSError:  # smtplib errors included
                log.exception("Could not send the impact notice to %s", person.email)
                failed += 1
                continue
            if not ok:
                failed += 1
                continue
            sent += 1
            if person.user_id and person.delivery in ("app", "both"):
                # Their copy in the inbox (the e-mail is already sent).
                inbox.tell(
                    person,
                    subject,
                    body,
                    kind=Message.Kind.IMPACT,
                    url=reverse("valuechain:service", args=[service.key]),
                    mail=False,
                )
            pending.append(
                ImpactNotice(
                    person_id=person.pk,
                    service=service,
                    service_key=service.key,
                    alert_key=alert_key,
                    email=person.email,
                    language=lang,
                    subject=subject,
                    body=body,
                    sent_by=sender if getattr(sender, "pk", None) else None,
                )
            )
            if len(pending) >= BATCH:
                ImpactNotice.objects.bulk_create(pending)
                pending = []
    if pending:
        ImpactNotice.objects.bulk_create(pending)
    return sent, failed
