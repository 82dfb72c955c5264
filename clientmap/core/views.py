from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clientmap.core import hooks
from clientmap.core.decorators import internal_required


@internal_required
def home(request: HttpRequest) -> HttpResponse:
    """The first screen: the whole organization's customers at a glance (each area adds its
    figures through ``hooks.overview``)."""
    figures, blocks = hooks.overview_figures()
    return render(request, "core/home.html", {"overview": figures, "overview_blocks": blocks})


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
