"""Experience pages: satisfaction, a team's experience, a person's journey, never asked, the
staff survey tools, and the public survey page (no login; the signed token is the permission).
Thin views over ``selectors``, ``report`` and ``services``."""

from __future__ import annotations

import csv
from datetime import date
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override
from django.views.decorators.http import require_POST

from clientmap.catalog.models import Service
from clientmap.core.decorators import internal_required, staff_required
from clientmap.core.sorting import sorted_by
from clientmap.customers.models import Kind
from clientmap.directory.models import Organization, Person, Team
from clientmap.engagements.models import Request
from clientmap.experience import charts, report, selectors, services, store
from clientmap.experience.models import SatisfactionRow, Survey, Touchpoint
from clientmap.experience.services import Outcome

BY_CHOICES = [
    ("team", gettext_lazy("team")),
    ("service", gettext_lazy("service")),
    ("organization", gettext_lazy("organization")),
    ("kind", gettext_lazy("customer kind")),
]


def _team_param(request: HttpRequest) -> Team | None:
    key = request.GET.get("team", "").strip()
    return get_object_or_404(Team, key=key) if key else None


# The columns of a satisfaction table (``?sort=``, ``core.sorting``): public name → field of
# ``SatisfactionRow``. Every column sorts; ties keep the name order.
SATISFACTION_COLUMNS = {
    "name": "name",
    "answers": "answers",
    "csat": "csat",
    "mean": "mean_score",
    "trend": "csat_trend",
    "response": "response_rate",
    "due": "due",
    "kept": "kept_share",
    "delay": "median_delay",
}
PER_PAGE = 50
CHART_BARS = 20


def _sorted_rows(rows: list, order: list) -> list:
    """``order`` (from ``sorted_by``) applied to rows in memory, as SQL would: nulls last, ties
    in the rows' own order (name, then key)."""
    first = order[0]
    field = first.expression.name
    present = [r for r in rows if getattr(r, field) is not None]
    present.sort(key=lambda r: getattr(r, field), reverse=first.descending)
    return present + [r for r in rows if getattr(r, field) is None]


def satisfaction_rows(by: str, *, team: Team | None, kind: str, q: str, order: list):
    """The rows of one satisfaction table, sorted and filtered: a queryset over the stored
    table (``store``) for everyone's figures, or one team's rows built in memory."""
    if team is None:
        store.ensure_current()
        qs = SatisfactionRow.objects.filter(by=by, customer_kind=kind)
        if q:
            qs = qs.filter(Q(name__icontains=q) | Q(group__icontains=q))
        return qs.order_by(*order)
    rows = store.rows(by, team_ids=[team.pk], customer_kind=kind, cached=True)
    if q:
        needle = q.casefold()
        rows = [r for r in rows if needle in r.name.casefold() or needle in r.group.casefold()]
    return _sorted_rows(rows, order)


@internal_required
def satisfaction(request: HttpRequest) -> HttpResponse:
    """CSAT, mean, response rate and promises kept by team/service/organization/kind: 50 rows a
    page, sorted by any column, filtered by name or key and customer kind."""
    by = request.GET.get("by", "team")
    by = by if by in dict(BY_CHOICES) else "team"
    team = _team_param(request)
    kind = request.GET.get("kind", "")
    kind = kind if kind in Kind.values else ""
    q = request.GET.get("q", "").strip()[:200]
    order, heads = sorted_by(request.GET, SATISFACTION_COLUMNS, "-answers")
    rows = satisfaction_rows(by, team=team, kind=kind, q=q, order=order)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    labels = dict(Kind.choices)
    for r in page.object_list:
        r.label = str(labels.get(r.group, r.group)) if by == "kind" else r.name or _("(none)")
    overall = selectors.figures("all", team_ids=[team.pk] if team else None).get(
        0, selectors.Figures()
    )
    trend = report.trend(team=team)
    bars = charts.bars(
        [(r.label, r.csat) for r in page.object_list[:CHART_BARS]],
        title=_("CSAT by %(by)s") % {"by": dict(BY_CHOICES)[by]},
    )
    line = charts.lines(
        trend["months"],
        [(_("CSAT"), trend["csat"]), (_("Promises kept"), trend["kept"])],
        title=_("CSAT and promises kept by month"),
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "experience/satisfaction.html",
        {
            "by": by,
            "by_choices": BY_CHOICES,
            "team": team,
            "kind": kind,
            "kinds": Kind.choices,
            "q": q,
            "sort": request.GET.get("sort", ""),
            "heads": heads,
            "page": page,
            "chart_bars": min(CHART_BARS, len(page.object_list)),
            "overall": overall,
            "trend": trend,
            "bars": bars,
            "line": line,
            "query": query.urlencode(),
            "teams": Team.objects.order_by("name").values_list("key", "name"),
        },
    )


@internal_required
def team_experience(request: HttpRequest, key: str) -> HttpResponse:
    """One team: its figures and trend, by service and kind, and its value-chain view (V1)."""
    team = get_object_or_404(Team, key=key)
    trend = report.trend(team=team)
    chain = selectors.value_chain_satisfaction(team)
    line = charts.lines(
        trend["months"],
        [(_("CSAT"), trend["csat"]), (_("Promises kept"), trend["kept"])],
        title=_("CSAT and promises kept by month"),
    )
    compare = charts.bars(
        [
            (_("Direct customers"), chain["direct_customers"].answers.csat),
            (_("Paying customers reached"), chain["paying_reached"].answers.csat),
            (_("Reached directly"), chain["paying_reached_directly"].answers.csat),
        ],
        title=_("CSAT of direct customers and of the paying customers reached"),
    )
    return render(
        request,
        "experience/team.html",
        {
            "team": team,
            "chain": chain,
            "trend": trend,
            "line": line,
            "compare": compare,
            "by_service": report.table("service", team=team),
            "by_kind": report.table("kind", team=team),
            "never_asked": selectors.never_asked_count(team=team),
        },
    )


@internal_required
def journey(request: HttpRequest, key: str) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("organization"), key=key)
    team = _team_param(request)
    data = selectors.journey(person, team=team, limit=0)
    page = Paginator(data["timeline"], selectors.JOURNEY_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    teams = Team.objects.filter(
        Q(pk__in=Touchpoint.objects.filter(person=person).values("team_id"))
        | Q(pk__in=Request.objects.filter(requester=person).values("team_id"))
    ).order_by("name")
    return render(
        request,
        "experience/journey.html",
        {
            "person": person,
            "team": team,
            "j": data,
            "page": page,
            "query": query.urlencode(),
            "teams": teams.values_list("key", "name"),
        },
    )


@internal_required
def never_asked(request: HttpRequest) -> HttpResponse:
    team = _team_param(request)
    try:
        months = max(1, min(120, int(request.GET.get("months", ""))))
    except ValueError:
        months = None
    page = Paginator(selectors.NeverAskedPage(team=team, months=months), 50).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "experience/never_asked.html",
        {
            "team": team,
            "months": months or services.rules.never_asked_months(),
            "page": page,
            "query": query.urlencode(),
            "teams": Team.objects.order_by("name").values_list("key", "name"),
        },
    )


@staff_required
@require_POST
def survey_people(request: HttpRequest) -> HttpResponse:
    """The never-asked list's button: survey the people ticked (quiet period respected)."""
    team_key = request.POST.get("team", "")
    team = get_object_or_404(Team, key=team_key) if team_key else None
    keys = request.POST.getlist("person")
    ids = list(Person.objects.filter(key__in=keys).values_list("pk", flat=True))
    if not ids:
        messages.error(request, _("Tick at least one person to survey."))
    else:
        result = services.send_segment(team=team, people=ids, by=request.user)
        _tell(request, result)
    url = reverse("experience:never_asked")
    return redirect(url + ("?" + urlencode({"team": team.key}) if team else ""))


def _tell(request: HttpRequest, result: services.SendResult) -> None:
    skipped = sum(result.skipped.values())
    messages.success(
        request,
        _("%(sent)d surveys sent; %(skipped)d people skipped (%(why)s).")
        % {
            "sent": result.sent,
            "skipped": skipped,
            "why": ", ".join(f"{k}: {v}" for k, v in sorted(result.skipped.items())) or "—",
        },
    )


class SendForm(forms.Form):
    request = forms.CharField(label=gettext_lazy("Request key"), required=False)
    deciders = forms.BooleanField(label=gettext_lazy("also its deciders"), required=False)
    specifiers = forms.BooleanField(label=gettext_lazy("also its specifiers"), required=False)
    team = forms.CharField(label=gettext_lazy("Team key (its active customers)"), required=False)
    organization = forms.CharField(label=gettext_lazy("Organization key"), required=False)
    kind = forms.ChoiceField(
        label=gettext_lazy("Customer kind"),
        required=False,
        choices=[("", "—"), *Kind.choices],
    )


@staff_required
def surveys(request: HttpRequest) -> HttpResponse:
    """Staff: send surveys (for a request, or to a segment) and see the latest ones."""
    form = SendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if d["request"]:
                r = Request.objects.filter(key=d["request"]).first()
                if r is None:
                    raise ValueError(_("No request with key %(key)s.") % {"key": d["request"]})
                roles = ["requester"] + [x for x in ("deciders", "specifiers") if d[x]]
                _tell(request, services.send_for_request(r, roles=roles, by=request.user))
            else:
                team = Team.objects.filter(key=d["team"]).first() if d["team"] else None
                org = (
                    Organization.objects.filter(key=d["organization"]).first()
                    if d["organization"]
                    else None
                )
                if d["team"] and team is None:
                    raise ValueError(_("No team with key %(key)s.") % {"key": d["team"]})
                if d["organization"] and org is None:
                    raise ValueError(
                        _("No organization with key %(key)s.") % {"key": d["organization"]}
                    )
                _tell(
                    request,
                    services.send_segment(
                        team=team, organization=org, kind=d["kind"] or None, by=request.user
                    ),
                )
            return redirect("experience:surveys")
        except ValueError as exc:
            messages.error(request, str(exc))
    latest = Survey.objects.select_related("person", "team", "request")[:100]
    return render(
        request,
        "experience/surveys.html",
        {"form": form, "latest": latest, "total": Survey.objects.count()},
    )


@staff_required
def survey_links(request: HttpRequest) -> HttpResponse:
    """Staff: the links of unanswered, unexpired surveys as CSV (to send by other means)."""
    now = timezone.now()
    qs = Survey.objects.filter(answered_at__isnull=True, expires_at__gt=now).select_related(
        "person", "team", "request"
    )
    if request.GET.get("team"):
        qs = qs.filter(team__key=request.GET["team"])
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="survey-links.csv"'
    w = csv.writer(response)
    w.writerow(
        ["person", "name", "email", "language", "team", "request", "sent", "expires", "link"]
    )
    for s in qs.order_by("sent_at", "pk").iterator(chunk_size=2000):
        w.writerow(
            [
                _cell(s.person.key),
                _cell(s.person.name),
                s.person.email,
                s.language,
                _cell(s.team.key) if s.team_id else "",
                _cell(s.request.key) if s.request_id else "",
                s.sent_at.isoformat(),
                s.expires_at.isoformat(),
                services.link(s),
            ]
        )
    return response


def _cell(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: keep them text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


class TouchpointForm(forms.Form):
    person = forms.CharField(label=gettext_lazy("Person key"))
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[(k, label) for k, label in Touchpoint.Kind.choices if k in Touchpoint.RECORDABLE],
    )
    day = forms.DateField(label=gettext_lazy("Day"), initial=date.today)
    team = forms.CharField(label=gettext_lazy("Team key"), required=False)
    service = forms.CharField(label=gettext_lazy("Service key"), required=False)
    request = forms.CharField(label=gettext_lazy("Request key"), required=False)
    score = forms.IntegerField(
        label=gettext_lazy("Score (1–5, survey answers only)"),
        required=False,
        min_value=1,
        max_value=5,
    )
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, widget=forms.Textarea)

    def clean(self):
        data = super().clean()
        for name, model in (
            ("person", Person),
            ("team", Team),
            ("service", Service),
            ("request", Request),
        ):
            value = data.get(name)
            if value:
                obj = model.objects.filter(key=value).first()
                if obj is None:
                    self.add_error(name, _("No such key: %(key)s") % {"key": value})
                data[name] = obj
            else:
                data[name] = None
        return data


@staff_required
def record(request: HttpRequest) -> HttpResponse:
    """Staff: record a meeting, call, mail, notice or survey answer by hand."""
    form = TouchpointForm(request.POST or None, initial={"person": request.GET.get("person", "")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            tp = services.record(
                person=d["person"],
                kind=d["kind"],
                day=d["day"],
                team=d["team"],
                service=d["service"],
                request=d["request"],
                score=d["score"],
                comment=d["comment"],
                by=request.user,
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Touchpoint recorded."))
            return redirect("experience:journey", tp.person.key)
    return render(request, "experience/record.html", {"form": form})


# --- the public survey page ------------------------------------------------------------------


@login_not_required
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the question (never records: mail scanners open links); POST answers once."""
    problem, s = services.open_survey(token)
    language = s.language if s is not None and s.language else None
    with override(language or request.LANGUAGE_CODE):
        if request.method == "POST" and problem is None:
            outcome, s = services.answer(
                token, request.POST.get("score"), request.POST.get("comment", "")
            )
            if outcome == Outcome.RECORDED:
                return render(request, "experience/survey_done.html", {"s": s})
            if outcome != Outcome.INVALID:
                return _problem(request, outcome, s)
            return render(
                request,
                "experience/survey.html",
                {"s": s, "token": token, "error": _("Choose a score from 1 to 5.")},
                status=400,
            )
        if problem:
            return _problem(request, problem, s)
        return render(request, "experience/survey.html", {"s": s, "token": token})


def _problem(request: HttpRequest, problem: str, s: Survey | None) -> HttpResponse:
    status = {Outcome.TAMPERED: 404, Outcome.REFUSED: 403}.get(problem, 410)
    return render(
        request, "experience/survey_problem.html", {"problem": problem, "s": s}, status=status
    )
