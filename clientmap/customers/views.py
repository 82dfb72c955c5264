"""Pages for the two questions: who are a team's customers, whose customer is a person."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from clientmap.catalog.models import Service
from clientmap.core import hooks
from clientmap.core.csvfiles import csv_response
from clientmap.core.decorators import internal_required
from clientmap.core.sorting import sorted_by
from clientmap.customers import overview, selectors, summary
from clientmap.customers.models import CustomerRelation, Kind, NobodysCustomer, TeamSummary
from clientmap.directory.models import Organization, Person, Team

BASES = ["R", "D", "S", "I"]
ACTIVE_CHOICES = ("active", "lapsed")
PEOPLE_STATUSES = ("customer", "active", "lapsed", "prospect", "nobody")


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _partial_wanted(request: HttpRequest) -> bool:
    """An htmx swap gets the fragment; a history restore (back button) needs the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


# --- teams ------------------------------------------------------------------------------------


def _team_counts(team_ids: list[int]) -> dict[int, dict]:
    """Customer counts of the given teams: their rows of the summary stored with the relations
    (``customers.summary``), one query by primary key."""
    rows = TeamSummary.objects.filter(team_id__in=team_ids).values_list(
        "team_id", "customers", "active", "external_paying", "prospects"
    )
    return {t: {"customers": c, "active": a, "paying": p, "prospects": n} for t, c, a, p, n in rows}


@internal_required
def teams(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    without = request.GET.get("without") == "customers"
    qs = Team.objects.select_related("unit")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(key__icontains=q))
    if without:
        # no customer: no stored row with a customer (a team without relations has no row)
        has = TeamSummary.objects.filter(team=OuterRef("pk"), customers__gt=0)
        qs = qs.filter(~Exists(has))
    order, heads = sorted_by(
        request.GET, {"name": "name", "key": "key", "unit": "unit__name"}, "name"
    )
    page = Paginator(qs.order_by(*order), 50).get_page(request.GET.get("page"))
    counts = _team_counts([t.pk for t in page.object_list])
    empty = {"customers": 0, "active": 0, "paying": 0, "prospects": 0}
    rows = [(t, counts.get(t.pk, empty)) for t in page.object_list]
    return render(
        request,
        "customers/teams.html",
        {
            "page": page,
            "rows": rows,
            "q": q,
            "without": without,
            "heads": heads,
            "query": _query_without_page(request),
        },
    )


def _filters(request: HttpRequest) -> dict:
    kind = request.GET.get("kind", "")
    basis = "".join(b for b in BASES if b in request.GET.getlist("basis"))
    active = request.GET.get("active", "")
    return {
        "kind": kind if kind in Kind.values else "",
        "basis": basis,
        "active": active if active in ACTIVE_CHOICES else "",
        "prospects": request.GET.get("prospects") in ("1", "on", "true"),
    }


@internal_required
def team(request: HttpRequest, key: str) -> HttpResponse:
    t = get_object_or_404(Team.objects.select_related("unit"), key=key)
    f = _filters(request)
    rows = selectors.team_customers(
        t,
        kind=f["kind"] or None,
        basis=f["basis"] or None,
        active=None if not f["active"] else f["active"] == "active",
        prospects=f["prospects"],
    )
    if request.GET.get("format") == "csv":
        return csv_response(
            f"{'prospects' if f['prospects'] else 'customers'}-{t.key}",
            [
                _("person key"),
                _("name"),
                _("e-mail"),
                _("organization"),
                _("kind"),
                _("basis"),
                _("active"),
                _("first evidence"),
                _("last evidence"),
                _("agreed requests"),
                _("involvements"),
            ],
            (
                (
                    r.person.key,
                    r.person.name,
                    r.person.email,
                    r.person.organization.name,
                    r.get_kind_display(),
                    r.basis,
                    _("yes") if r.active else _("no"),
                    r.first_evidence.isoformat() if r.first_evidence else "",
                    r.last_evidence.isoformat() if r.last_evidence else "",
                    r.request_count,
                    r.involvement_count,
                )
                for r in rows.iterator(chunk_size=2000)
            ),
        )
    page: Page = Paginator(rows, 100).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    badges = hooks.account_badges_for(r.person.organization_id for r in page.object_list)
    for r in page.object_list:
        r.fit_badge = badges.get(r.person.organization_id)
    context = {
        "team": t,
        "page": page,
        "f": f,
        "kinds": Kind.choices,
        "bases": BASES,
        "query": _query_without_page(request),
    }
    if _partial_wanted(request):
        return render(request, "customers/_relations.html", context)
    members = t.members.select_related("organization").order_by("name")
    summary = overview.team_summary(t)
    context.update(
        summary=summary,
        why_none=selectors.why_no_customers(t) if not summary["customers"] else None,
        members=members[:100],
        member_count=members.count(),
        services=Service.objects.filter(team=t).order_by("name"),
    )
    return render(request, "customers/team.html", context)


@internal_required
def evidence(request: HttpRequest, key: str, person_key: str) -> HttpResponse:
    t = get_object_or_404(Team, key=key)
    person = get_object_or_404(Person, key=person_key)
    relation = CustomerRelation.objects.filter(team=t, person=person).first()
    try:
        cols = max(1, min(20, int(request.GET.get("cols", "9"))))
    except ValueError:
        cols = 9
    context = {
        "team": t,
        "person": person,
        "relation": relation,
        "items": selectors.evidence(t, person),
        "cols": cols,
        "fit_badge": hooks.account_badge(person.organization_id),
    }
    if _partial_wanted(request):
        return render(request, "customers/_evidence.html", context)
    return render(request, "customers/evidence.html", context)


# --- people -----------------------------------------------------------------------------------


def _people_counts(person_ids: list[int]) -> dict[int, dict]:
    """How many teams each person is a customer (and a prospect) of: one grouped query."""
    rows = (
        CustomerRelation.objects.filter(person_id__in=person_ids)
        .values("person_id")
        .annotate(
            teams=Count("id", filter=Q(is_customer=True)),
            active=Count("id", filter=Q(is_customer=True, active=True)),
            prospects=Count("id", filter=Q(is_customer=False)),
        )
        .order_by()
    )
    return {r["person_id"]: r for r in rows}


@internal_required
def people(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    kind = kind if kind in Kind.values else ""
    status = request.GET.get("status", "")
    status = status if status in PEOPLE_STATUSES else ""
    org = None
    qs = Person.objects.select_related("organization", "unit")
    if request.GET.get("org"):
        org = get_object_or_404(Organization, key=request.GET["org"])
        qs = qs.filter(organization=org)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(key__icontains=q) | Q(email__icontains=q))
    mine = CustomerRelation.objects.filter(person=OuterRef("pk"))
    if kind:
        qs = qs.filter(Exists(mine.filter(is_customer=True, kind=kind)))
    if status == "customer":
        qs = qs.filter(Exists(mine.filter(is_customer=True)))
    elif status == "active":
        qs = qs.filter(Exists(mine.filter(is_customer=True, active=True)))
    elif status == "lapsed":
        qs = qs.filter(Exists(mine.filter(is_customer=True))).exclude(
            Exists(mine.filter(is_customer=True, active=True))
        )
    elif status == "nobody":
        # the list stored with the relations (customers.summary), not every person tested
        qs = qs.filter(pk__in=NobodysCustomer.objects.values("person_id"))
    elif status == "prospect":
        qs = qs.filter(Exists(mine.filter(is_customer=False)))
    order, heads = sorted_by(
        request.GET,
        {"name": "name", "organization": "organization__name", "unit": "unit__name"},
        "name",
    )
    paginator = Paginator(qs.order_by(*order), 50)
    if not (org or q or kind or status):
        # everyone: the count stored with the relations, not a count of every person
        paginator.count = summary.organization().people
    page = paginator.get_page(request.GET.get("page"))
    counts = _people_counts([p.pk for p in page.object_list])
    empty = {"teams": 0, "active": 0, "prospects": 0}
    rows = [(p, counts.get(p.pk, empty)) for p in page.object_list]
    return render(
        request,
        "customers/people.html",
        {
            "page": page,
            "rows": rows,
            "q": q,
            "kind": kind,
            "status": status,
            "heads": heads,
            "org": org,
            "kinds": Kind.choices,
            "query": _query_without_page(request),
        },
    )


@internal_required
def person(request: HttpRequest, key: str) -> HttpResponse:
    p = get_object_or_404(Person.objects.select_related("organization", "unit", "manager"), key=key)
    answer = selectors.customer_of(p)
    reports = p.reports.select_related("organization").order_by("name")
    return render(
        request,
        "customers/person.html",
        {
            "person": p,
            "answer": answer,
            "reports": reports[:50],
            "report_count": reports.count(),
            "member_of": Team.objects.filter(members=p).order_by("name"),
            "fit_badge": hooks.account_badge(p.organization_id),
        },
    )
