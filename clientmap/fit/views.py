"""Fit pages: the 2×2 matrix with its table, one account, moves, history, settings, overrides."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientmap.core.decorators import internal_required, staff_required
from clientmap.directory.models import Organization
from clientmap.fit import config, rules, selectors, services, svg
from clientmap.fit.models import Group, Override


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _group_param(request: HttpRequest) -> int | None:
    try:
        g = int(request.GET.get("group", ""))
    except ValueError:
        return None
    return g if g in Group.values else None


@internal_required
def matrix(request: HttpRequest) -> HttpResponse:
    run = selectors.latest()
    group = _group_param(request)
    q = request.GET.get("q", "").strip()
    data = selectors.matrix(run)
    rows = data["rows"]  # in the table's order
    chart = selectors.matrix_chart(run, data, highlight=group)
    listed = rows
    if group is not None:
        listed = [r for r in listed if r["group"] == group]
    if q:
        ql = q.casefold()
        listed = [r for r in listed if ql in r["name"].casefold() or ql in r["key"].casefold()]
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    page.object_list = selectors.in_words(list(page.object_list))
    return render(
        request,
        "fit/matrix.html",
        {
            "run": run,
            "chart": chart,
            "page": page,
            "group": group,
            "q": q,
            "query": _query_without_page(request),
            "groups": [
                (g, selectors.SHORT[g], selectors.POLICY[g], data["counts"][g])
                for g in Group.values
            ],
            "unplaced": data["unplaced"],
            "off_chart": len(rows) - data["points"],
            "total": len(rows),
            "density": data["points"] > svg.ALL_POINTS,
            "top_n": svg.TOP_N,
        },
    )


@internal_required
def account(request: HttpRequest, key: str) -> HttpResponse:
    org = get_object_or_404(Organization, key=key)
    run = selectors.latest()
    c = selectors.current([org.pk], run=run).get(org.pk)
    cfg = selectors.run_config(run)
    today = timezone.localdate()
    context = {
        "org": org,
        "run": run,
        "c": c,
        "cfg": cfg,
        "badge": selectors.badge_of(c, org.key),
        "explain": selectors.explain(c.parts, cfg) if c else None,
        "reasons": selectors.reasons(c, cfg) if c else [],
        "diagnosis": selectors.DIAGNOSIS.get(c.diagnosis) if c and c.diagnosis else None,
        "timeline": selectors.timeline(org.pk),
        "overrides": list(
            Override.objects.filter(organization=org).select_related("created_by")[:20]
        ),
        "today": today,
        "deciders": list(
            rules.decision_makers(org.pk, run.as_of if run else today, int(cfg["window_days"]))[:50]
        ),
        "groups": selectors.names(),
    }
    return render(request, "fit/account.html", context)


@require_POST
@staff_required
def override(request: HttpRequest, key: str) -> HttpResponse:
    org = get_object_or_404(Organization, key=key)
    try:
        group = int(request.POST.get("group", ""))
        expires = date.fromisoformat(request.POST.get("expires", ""))
    except ValueError:
        messages.error(request, _("Give a group (1–4) and an expiry date (YYYY-MM-DD)."))
        return redirect("fit:account", key=org.key)
    try:
        services.override(
            org,
            group=group,
            reason=request.POST.get("reason", ""),
            expires=expires,
            user=request.user,
        )
    except ValidationError as exc:
        for msgs in exc.message_dict.values():
            for m in msgs:
                messages.error(request, m)
    else:
        messages.success(request, _("Override saved."))
    return redirect("fit:account", key=org.key)


@require_POST
@staff_required
def clear_override(request: HttpRequest, key: str) -> HttpResponse:
    org = get_object_or_404(Organization, key=key)
    if services.clear(org, user=request.user):
        messages.success(request, _("Override ended; the computed group applies again."))
    return redirect("fit:account", key=org.key)


@internal_required
def moves(request: HttpRequest) -> HttpResponse:
    run = selectors.latest()
    since, rows = selectors.moves(run)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "fit/moves.html",
        {"run": run, "since": since, "page": page, "query": _query_without_page(request)},
    )


@internal_required
def history(request: HttpRequest) -> HttpResponse:
    return render(request, "fit/history.html", {"runs": selectors.history()})


@require_POST
@staff_required
def recompute(request: HttpRequest) -> HttpResponse:
    run = rules.recompute()
    messages.success(
        request,
        _("Recomputed %(n)s accounts in %(s).2f s.") % {"n": run.accounts, "s": run.seconds},
    )
    return redirect(request.POST.get("next") or "fit:matrix")


@staff_required
def settings_page(request: HttpRequest) -> HttpResponse:
    try:
        locked = config.file_values()
        file_error = None
    except config.ConfigError as exc:
        locked, file_error = {}, str(exc)
    stored = config.stored_values()
    errors: dict[str, str] = {}
    posted: dict[str, str] = {}
    if request.method == "POST":
        values = {}
        for p in config.PARAMETERS:
            raw = request.POST.get(p.key, "").strip().replace(",", ".")
            posted[p.key] = raw
            if p.key in locked or raw == "":
                continue
            try:
                values[p.key] = config.validate({p.key: raw})[p.key]
            except config.ConfigError as exc:
                errors[p.key] = str(exc)
        if not errors:
            config.save({**stored, **values}, user=request.user)
            messages.success(request, _("Settings saved. They apply from the next recompute."))
            return redirect("fit:settings")
    now = config.current() if file_error is None else {**config.DEFAULTS, **stored}
    rows = [
        {
            "p": p,
            "value": posted.get(p.key, _num(now[p.key])),
            "default": _num(p.default),
            "locked": p.key in locked,
            "changed": p.key in stored,
            "error": errors.get(p.key),
        }
        for p in config.PARAMETERS
    ]
    sections = [
        (_("The customer wants us: weights"), [r for r in rows if r["p"].kind == "weight_a"]),
        (_("We want the customer: weights"), [r for r in rows if r["p"].kind == "weight_b"]),
        (_("Thresholds"), [r for r in rows if r["p"].kind == "threshold"]),
    ]
    return render(
        request,
        "fit/settings.html",
        {"sections": sections, "file_error": file_error, "has_file": bool(locked)},
        status=400 if errors else 200,
    )


def _num(v: float) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else f"{v:g}"
