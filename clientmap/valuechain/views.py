"""Pages of the value chain (V1–V3): the whole map, a team's reach and lens, a service's impact
(with "tell the affected customers"), teams reaching no paying customer, the alert feed ranking,
cycles and isolated services. The answers come from ``selectors`` and ``feed``; the picture
from ``svg``; sending from ``notices``."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from clientmap.catalog.models import Service
from clientmap.core.csvfiles import csv_response
from clientmap.core.decorators import internal_required, staff_required
from clientmap.core.roles import is_staff
from clientmap.directory.models import Team
from clientmap.valuechain import drawing, feed, flow, notices, selectors, svg
from clientmap.valuechain import overview as vc_overview
from clientmap.valuechain.graph import SERVICE, TEAM, load_graph
from clientmap.valuechain.models import ImpactNotice

PAGE = 50
LIMIT = 100  # items per section on the reach and impact pages
RECIPIENTS = 50  # recipients per page of "tell the affected customers"
MAX_FEED_BYTES = 5 * 1024 * 1024
MAX_RANKED_SHOWN = 500


def _page_number(request: HttpRequest) -> int:
    try:
        return max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        return 1


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _level_links(request: HttpRequest, current: str) -> list[dict]:
    labels = {
        "services": _("every service"),
        "teams": _("services inside their team"),
        "units": _("teams inside their unit"),
    }
    out = []
    for level in svg.LEVELS:
        query = request.GET.copy()
        query["group"] = level
        out.append(
            {
                "level": level,
                "label": labels[level],
                "url": "?" + query.urlencode(),
                "current": level == current,
            }
        )
    return out


# --- the whole map --------------------------------------------------------------------------------


@internal_required
def value_map(request: HttpRequest) -> HttpResponse:
    """The whole value chain, or the neighbourhood of one node (``?focus=KEY&depth=2``)."""
    g = load_graph()
    focus_text = request.GET.get("focus", "").strip()
    try:
        depth = min(max(int(request.GET.get("depth", 2)), 1), 6)
    except ValueError:
        depth = 2
    group = request.GET.get("group")
    focus = -1
    nodes = None
    if focus_text:
        focus = svg.resolve(g, focus_text)
        if focus < 0:
            messages.error(
                request,
                _("No service, team, unit or organization has the key %(key)s.")
                % {"key": focus_text},
            )
        else:
            nodes = svg.neighbourhood(g, focus, depth)
    title = (
        _("Neighbourhood of %(name)s") % {"name": g.names[focus]}
        if focus >= 0
        else _("Value chain")
    )
    select_text = request.GET.get("select", "").strip()
    selected = svg.resolve(g, select_text) if select_text else -1
    if select_text and selected < 0:
        messages.error(
            request,
            _("No service, team, unit or organization has the key %(key)s.") % {"key": select_text},
        )
    pic = svg.build(
        g,
        nodes,
        level=group,
        focus=[focus] if focus >= 0 else None,
        title=title,
        selected=selected if selected >= 0 else None,
    )
    return render(
        request,
        "valuechain/map.html",
        {
            "section": "map",
            "picture": pic,
            "svg": svg.render(pic),
            "summary": selectors.graph_summary(g),
            "levels": _level_links(request, pic.level),
            "focus": g.label(focus) if focus >= 0 else None,
            "focus_text": focus_text,
            "select_text": select_text,
            "selected": g.label(selected) if selected >= 0 else None,
            "teams": Team.objects.order_by("name").values_list("key", "name"),
            "depth": depth,
            "depths": range(1, 7),
            "max_nodes": svg.MAX_NODES,
        },
    )


# --- a team: reach (V1) and lens (V3) -------------------------------------------------------------


def _bars(lens: dict) -> list[dict]:
    """The lens shares as percentages for the bars: direct, through the home organization."""
    out = []
    labels = {
        "requests": _("Requests"),
        "involvements": _("Involvements"),
        "hours": _("Involvement hours"),
    }
    for key, label in labels.items():
        s = lens[key]
        if not s["total"]:
            out.append({"key": key, "label": label, "total": 0})
            continue
        traced = round(100 * s["traced"] / s["total"])
        direct = round(100 * s["direct"] / s["total"])
        out.append(
            {
                "key": key,
                "label": label,
                "total": s["total"],
                "traced": s["traced"],
                "direct_count": s["direct"],
                "pct": traced,
                "direct": direct,
                "home": max(traced - direct, 0),
            }
        )
    return out


@internal_required
def team(request: HttpRequest, key: str) -> HttpResponse:
    team = get_object_or_404(Team.objects.select_related("unit"), key=key)
    g = load_graph()
    reach = selectors.reach(team, limit=LIMIT, graph=g)
    number = _page_number(request)
    lens = selectors.lens(team, limit=PAGE, graph=g, untraced_offset=(number - 1) * PAGE)
    page = Paginator(range(lens["untraced"]["total"]), PAGE).get_page(number)
    if page.number != number and lens["untraced"]["total"]:
        offset = (page.number - 1) * PAGE
        lens = selectors.lens(team, limit=PAGE, graph=g, untraced_offset=offset)
    node = g.node(TEAM, team.pk)
    pic = None
    if node >= 0:
        sources = [node, *g.services_of_team(node).tolist()]
        pic = svg.build(
            g,
            svg.team_nodes(g, node),
            level=request.GET.get("group"),
            focus=[node],
            marked=sources,
            selected=node,
            title=_("What %(team)s's work reaches") % {"team": team.name},
        )
    return render(
        request,
        "valuechain/team.html",
        {
            "section": "team",
            "team": team,
            "reach": reach,
            "lens": lens,
            "bars": _bars(lens),
            "page": page,
            "query": _query_without_page(request),
            "picture": pic,
            "svg": svg.render(pic) if pic else "",
            "levels": _level_links(request, pic.level) if pic else [],
            "map_url": reverse("valuechain:map") + "?" + urlencode({"focus": f"team:{team.key}"}),
        },
    )


# --- a service: impact (V2) and "tell the affected customers" ------------------------------------


def _include_lapsed(request: HttpRequest) -> bool:
    source = request.POST if request.method == "POST" else request.GET
    return source.get("include_lapsed") in ("1", "on", "true") or source.get("lapsed") == "1"


def _tell_form(request: HttpRequest, service: Service, audience: notices.Audience, data=None):
    lapsed = _include_lapsed(request)
    langs = audience.languages(include_lapsed=lapsed)
    alert_key = request.GET.get("alert", "")[:200]
    alert_text = request.GET.get("alert_text", "")[:2000]
    sender = request.user.get_full_name() or request.user.get_username()
    person = getattr(request.user, "person", None)
    if person is not None:
        sender = person.name
    initial = notices.initial_drafts(service, langs, alert_text=alert_text, sender=sender)
    initial.update({"alert_key": alert_key, "alert_text": alert_text, "include_lapsed": lapsed})
    return notices.TellForm(data, langs=langs, initial=initial)


@internal_required
def service(request: HttpRequest, key: str) -> HttpResponse:
    service = get_object_or_404(Service.objects.select_related("team"), key=key)
    g = load_graph()
    impact = selectors.impact(service, limit=LIMIT, graph=g)
    return _service_page(request, service, g, impact)


def _service_page(request, service, g, impact, form=None, preview=False) -> HttpResponse:
    node = g.node(SERVICE, service.pk)
    pic = None
    if node >= 0:
        affected = svg.impact_nodes(g, node)
        pic = svg.build(
            g,
            affected,
            level=request.GET.get("group"),
            focus=[node],
            marked=affected,
            title=_("If %(service)s fails") % {"service": service.name},
        )
    tell = None
    if is_staff(request.user):
        audience = notices.audience(service, g)
        lapsed = _include_lapsed(request)
        if form is None:
            form = _tell_form(request, service, audience)
        everyone = audience.count(include_lapsed=True)
        count = everyone if lapsed else audience.count()
        number = _page_number(request)
        page = Paginator(range(count), RECIPIENTS).get_page(number)
        tell = {
            "form": form,
            "count": count,
            "lapsed_left_out": 0 if lapsed else everyone - count,
            "include_lapsed": lapsed,
            "rows": audience.rows(
                include_lapsed=lapsed, limit=RECIPIENTS, offset=(page.number - 1) * RECIPIENTS
            ),
            "page": page,
            "query": _query_without_page(request),
            "preview": _previews(form) if preview else None,
        }
    sent = ImpactNotice.objects.filter(service=service).select_related("person", "sent_by")
    return render(
        request,
        "valuechain/service.html",
        {
            "section": "service",
            "service": service,
            "impact": impact,
            "picture": pic,
            "svg": svg.render(pic) if pic else "",
            "levels": _level_links(request, pic.level) if pic else [],
            "tell": tell,
            "sent": sent[:20],
            "sent_total": sent.count(),
            "alert": request.GET.get("alert", ""),
            "map_url": reverse("valuechain:map")
            + "?"
            + urlencode({"focus": f"service:{service.key}"}),
        },
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )


def _previews(form) -> list[dict]:
    """Each language's message as its first recipient will read it."""
    return [
        {"code": code, "name": name, "count": n, "subject": subject, "body": body}
        for (code, name, n), (subject, body) in zip(form.langs, form.drafts().values(), strict=True)
    ]


@require_POST
@internal_required
@staff_required
def tell(request: HttpRequest, key: str) -> HttpResponse:
    """Send the drafted message to every direct customer reached that has an e-mail address."""
    service = get_object_or_404(Service.objects.select_related("team"), key=key)
    g = load_graph()
    audience = notices.audience(service, g)
    form = _tell_form(request, service, audience, data=request.POST)
    if not form.is_valid() or request.POST.get("confirm") != "1":
        # First the preview: who gets what; sending needs the second button ("confirm").
        impact = selectors.impact(service, limit=LIMIT, graph=g)
        return _service_page(request, service, g, impact, form=form, preview=form.is_valid())
    sent, failed = notices.send(
        service,
        audience.team_ids,
        form.drafts(),
        to=audience,
        sender=request.user,
        alert_key=form.cleaned_data.get("alert_key", ""),
        include_lapsed=form.cleaned_data.get("include_lapsed", False),
    )
    if sent:
        messages.success(
            request,
            ngettext(
                "Sent %(n)d message and recorded it.",
                "Sent %(n)d messages and recorded them.",
                sent,
            )
            % {"n": sent},
        )
    if failed:
        messages.error(
            request,
            ngettext(
                "%(n)d message could not be sent.", "%(n)d messages could not be sent.", failed
            )
            % {"n": failed},
        )
    if not sent and not failed:
        messages.info(
            request, _("Nobody to tell: no direct customer reached has an e-mail address.")
        )
    return redirect(reverse("valuechain:service", args=[service.key]) + "#sent")


# --- teams reaching no paying customer ------------------------------------------------------------


@internal_required
def unreached(request: HttpRequest) -> HttpResponse:
    g = load_graph()
    number = _page_number(request)
    data = selectors.teams_reaching_no_paying_customer(
        limit=PAGE, offset=(number - 1) * PAGE, graph=g
    )
    page = Paginator(range(data["total"]), PAGE).get_page(number)
    if page.number != number and data["total"]:
        data = selectors.teams_reaching_no_paying_customer(
            limit=PAGE, offset=(page.number - 1) * PAGE, graph=g
        )
    return render(
        request,
        "valuechain/unreached.html",
        {"section": "unreached", "data": data, "page": page, "query": _query_without_page(request)},
    )


# --- alerts ---------------------------------------------------------------------------------------


def _ranking_csv(result: dict) -> HttpResponse:
    """The whole ranking (and the alerts about unknown components) for a spreadsheet."""
    header = [
        _("rank"),
        _("alert"),
        _("service"),
        _("severity"),
        _("time"),
        _("text"),
        _("paying customers"),
        _("paying customers directly"),
        _("direct customers"),
        _("teams affected"),
        _("revenue"),
    ]

    def rows():
        for r in result["ranked"]:
            a = r["alert"]
            yield (
                r["rank"],
                a.get("key", ""),
                r["service"]["name"] if isinstance(r["service"], dict) else r["service"],
                a.get("severity", ""),
                a.get("time", ""),
                a.get("text", ""),
                r["paying_customers"],
                r["paying_direct"],
                r["direct_customers"],
                r["teams_affected"],
                r["revenue"],
            )
        for u in result["unknown"]:
            yield (
                "",
                u.get("key", ""),
                u.get("component", ""),
                u.get("severity", ""),
                u.get("time", ""),
                u.get("text", ""),
                "",
                "",
                "",
                "",
                u.get("reason", ""),
            )

    return csv_response("alerts-ranked", header, rows())


@internal_required
def alerts(request: HttpRequest) -> HttpResponse:
    """Upload or paste an alert feed (CSV or JSON) and see it ranked by customer impact."""
    result = None
    error = ""
    text = ""
    if request.method == "POST":
        upload = request.FILES.get("feed")
        text = request.POST.get("text", "")
        content: str | bytes = text
        filename = ""
        if upload is not None:
            if upload.size and upload.size > MAX_FEED_BYTES:
                error = _("The file is too large (at most %(mb)d MB).") % {
                    "mb": MAX_FEED_BYTES // (1024 * 1024)
                }
            else:
                content, filename = upload.read(), upload.name or ""
        if not error:
            try:
                parsed = feed.parse_alerts(content, filename=filename)
            except feed.AlertFeedError as exc:
                error = str(exc)
            except UnicodeDecodeError:
                error = _("The file is not UTF-8 text.")
            else:
                if not parsed:
                    error = _("No alerts given.")
                else:
                    result = feed.rank_alerts(parsed)
                    if request.POST.get("format") == "csv":
                        return _ranking_csv(result)
                    result["total"] = len(result["ranked"])
                    result["shown"] = result["ranked"][:MAX_RANKED_SHOWN]
    kept_team = None
    if request.method != "POST":
        # No feed given: rank this month's kept alerts (alerts.csv of the workbook), optionally
        # only those that affect one team (the overview links here).
        team_key = request.GET.get("team", "")
        kept = vc_overview.kept_alerts(team_key)
        kept_team = Team.objects.filter(key=team_key).first() if team_key else None
        if kept:
            result = feed.rank_alerts(kept)
            result["total"] = len(result["ranked"])
            result["shown"] = result["ranked"][:MAX_RANKED_SHOWN]
            result["kept"] = True
    return render(
        request,
        "valuechain/alerts.html",
        {
            "section": "alerts",
            "kept_team": kept_team,
            "result": result,
            "error": error,
            "text": text,
            "can_tell": is_staff(request.user),
            "max_shown": MAX_RANKED_SHOWN,
        },
        status=400 if error else 200,
    )


# --- graph correctness ----------------------------------------------------------------------------


@internal_required
def cycles(request: HttpRequest) -> HttpResponse:
    g = load_graph()
    number = _page_number(request)
    isolated = selectors.isolated_services(limit=PAGE, offset=(number - 1) * PAGE, graph=g)
    page = Paginator(range(isolated["total"]), PAGE).get_page(number)
    if page.number != number and isolated["total"]:
        isolated = selectors.isolated_services(limit=PAGE, offset=(page.number - 1) * PAGE, graph=g)
    return render(
        request,
        "valuechain/cycles.html",
        {
            "section": "cycles",
            "cycles": selectors.cycles(graph=g),
            "isolated": isolated,
            "page": page,
            "query": _query_without_page(request),
        },
    )


@internal_required
def team_flow(request: HttpRequest, key: str) -> HttpResponse:
    """A team's reach picture: team → services → paying organizations, widths by paying
    customers, with the same figures as a table beside it."""
    team = get_object_or_404(Team.objects.select_related("unit"), key=key)
    data = flow.reach_flow(team)
    return render(
        request,
        "valuechain/flow.html",
        {"section": "team", "team": team, "flow": data, "svg": drawing.render_flow(data)},
    )
