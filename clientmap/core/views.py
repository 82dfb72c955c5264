from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clientmap.core import hooks, tokens
from clientmap.core.csvfiles import csv_response
from clientmap.core.decorators import internal_required, staff_required
from clientmap.core.models import ApiToken, AuditEvent
from clientmap.core.roles import is_staff


@internal_required
def home(request: HttpRequest) -> HttpResponse:
    """The first screen: the whole organization's customers at a glance (each area adds its
    figures through ``hooks.overview``)."""
    figures, blocks = hooks.overview_figures()
    return render(request, "core/home.html", {"overview": figures, "overview_blocks": blocks})


@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """Everyone signed in: their own API tokens (staff: everyone's), create (shown once), revoke."""
    created_text = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            qs = ApiToken.objects.all() if is_staff(request.user) else request.user.api_tokens
            record = (
                qs.filter(pk=request.POST.get("token", "")).first()
                if request.POST.get("token", "").isdigit()
                else None
            )
            if record is None:
                raise Http404
            tokens.revoke(record, by=request.user)
            messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": record.prefix})
            return redirect("api_tokens")
        if request.user.has_usable_password():
            # a token is a long-lived key: confirm the password (throttled like the login form)
            from django.contrib.auth import authenticate

            confirmed = authenticate(
                request,
                username=request.user.get_username(),
                password=request.POST.get("password", ""),
            )
            if confirmed is None or confirmed.pk != request.user.pk:
                messages.error(request, _("Your password is needed to make a token."))
                return redirect("api_tokens")
        days_text = request.POST.get("expires", "").strip()
        try:
            days = float(days_text) if days_text else None
            if days is not None and not 0 < days <= 3650:
                raise ValueError
        except ValueError:
            messages.error(request, _("Expiry must be a number of days between 1 and 3650."))
            return redirect("api_tokens")
        _record, created_text = tokens.create_token(
            request.user,
            read_only=request.POST.get("scope") != "write",
            expires_days=days,
            name=request.POST.get("name", "").strip()[:100],
        )
    qs = ApiToken.objects.select_related("user")
    if not is_staff(request.user):
        qs = qs.filter(user=request.user)
    return render(
        request,
        "core/tokens.html",
        {"tokens": qs.order_by("revoked_at", "-created")[:200], "created_text": created_text},
    )


@staff_required
def audit(request: HttpRequest) -> HttpResponse:
    """Staff: who changed what (imports, overrides, merges, triage, roles, tokens); CSV export."""
    qs = AuditEvent.objects.all()
    action = request.GET.get("action", "").strip()
    who = request.GET.get("user", "").strip()
    if action:
        qs = qs.filter(action__startswith=action[:50])
    if who:
        qs = qs.filter(username=who[:150])
    if request.GET.get("format") == "csv":
        return csv_response(
            "audit-log",
            [
                _("time"),
                _("user"),
                _("action"),
                _("object type"),
                _("object"),
                _("before"),
                _("after"),
            ],
            (
                (
                    e.at.isoformat(),
                    e.username,
                    e.action,
                    e.object_type,
                    e.object_key,
                    json.dumps(e.before, ensure_ascii=False) if e.before is not None else "",
                    json.dumps(e.after, ensure_ascii=False) if e.after is not None else "",
                )
                for e in qs.iterator(chunk_size=2000)
            ),
        )
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit.html",
        {
            "page": page,
            "action": action,
            "who": who,
            "actions": AuditEvent.objects.order_by("action")
            .values_list("action", flat=True)
            .distinct(),
            "query": query.urlencode(),
        },
    )


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """404: JSON on the API (as its schema says), the usual page elsewhere."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Not Found"}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def locked_out(request: HttpRequest, credentials=None, *args, **kwargs) -> HttpResponse:
    """The answer to a locked-out sign-in: the login page with the reason, 429."""
    from django.conf import settings as conf

    minutes = int(conf.AXES_COOLOFF_TIME.total_seconds() // 60) if conf.AXES_COOLOFF_TIME else 0
    message = _(
        "Too many failed sign-ins for this user from this address: locked for %(minutes)d "
        "minutes. An administrator can unlock it now (clientmap unlock USER)."
    ) % {"minutes": minutes}
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    if request.resolver_match and request.resolver_match.url_name == "api_tokens":
        messages.error(request, message)
        return redirect("api_tokens")
    from django.contrib.auth.forms import AuthenticationForm

    form = AuthenticationForm(request)
    return render(
        request, "registration/login.html", {"form": form, "locked_out": message}, status=429
    )


RETRY_AFTER_SECONDS = 2


def database_busy(exc: BaseException | None) -> bool:
    """No database connection could be had: the pool stayed empty, or the server is full."""
    from django.db import OperationalError

    seen = 0
    while exc is not None and seen < 10:
        name = type(exc).__name__
        text = str(exc).lower()
        if name in ("PoolTimeout", "TooManyRequests") or (
            isinstance(exc, OperationalError | ConnectionError)
            and any(
                s in text
                for s in (
                    "too many clients",
                    "remaining connection slots",
                    "couldn't get a connection",
                    "connection pool",
                )
            )
        ):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler: a 503 with Retry-After when the cause is a busy database.

    Such a request failed before it could write anything (it had no connection), so the client
    can simply send it again; nothing is half done.
    """
    import sys

    from django.http import JsonResponse
    from django.utils.html import escape
    from django.utils.translation import gettext as _
    from django.views.defaults import server_error as default_server_error

    from clientmap.core import replica

    exc = sys.exc_info()[1]
    if replica.configured() and not replica.primary_available(every=0):
        message = _(
            "Writes are unavailable right now: the primary database does not answer. Nothing "
            "was changed; reading still works. Retry later."
        )
    elif database_busy(exc):
        message = _("The service is busy: no database connection was free. Retry in %(s)d s.") % {
            "s": RETRY_AFTER_SECONDS
        }
    else:
        return default_server_error(request)
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        response = HttpResponse(f"<h1>503</h1><p>{escape(message)}</p>", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


PICKABLE = {
    # kind: (model path, fields searched, label field)
    "service": ("clientmap.catalog.models.Service", ("key", "name"), "name"),
    "team": ("clientmap.directory.models.Team", ("key", "name"), "name"),
    "person": ("clientmap.directory.models.Person", ("key", "name", "email"), "name"),
    "organization": ("clientmap.directory.models.Organization", ("key", "name"), "name"),
    "wish": ("clientmap.voice.models.Wish", ("key", "title"), "title"),
    "unit": ("clientmap.directory.models.Unit", ("key", "name"), "name"),
}
# ``node``: any node of the value-chain picture, as ``TYPE:KEY`` (the map's "neighbourhood of").
NODE_KINDS = ("service", "team", "unit", "organization")


@internal_required
def pick(request: HttpRequest, kind: str) -> HttpResponse:
    """Options for a searchable key field (an ``<input list=…>`` whose ``<datalist>`` htmx
    refills as one types): up to 20 records whose key or name contains what was typed, the key as
    the value and the name as the label."""
    from django.db.models import Q
    from django.http import Http404
    from django.utils.module_loading import import_string

    text = next((v.strip() for v in request.GET.values() if v.strip()), "")

    def search(kind: str, limit: int) -> list[tuple[str, str]]:
        path, fields, label = PICKABLE[kind]
        qs = import_string(path).objects.all()
        if text:
            cond = Q()
            for f in fields:
                cond |= Q(**{f"{f}__icontains": text})
            qs = qs.filter(cond)
        return list(qs.order_by(label).values_list("key", label)[:limit])

    if kind == "node":
        # "team:t-db" typed in full still finds t-db among the teams
        prefix, sep, rest = text.partition(":")
        kinds = [prefix] if sep and prefix in NODE_KINDS else list(NODE_KINDS)
        if sep and prefix in NODE_KINDS:
            text = rest.strip()
        names = {
            "service": _("service"),
            "team": _("team"),
            "unit": _("unit"),
            "organization": _("organization"),
        }
        options = [
            (f"{k}:{key}", f"{name} · {names[k]}")
            for k in kinds
            for key, name in search(k, 20 // len(kinds))
        ]
    elif kind in PICKABLE:
        options = search(kind, 20)
    else:
        raise Http404
    return render(request, "core/_options.html", {"options": options})
