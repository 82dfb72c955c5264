"""Login is required everywhere, except where a view says otherwise and on the JSON API,
which authenticates each request itself (API token, or session with CSRF) and answers 401
instead of redirecting to a login page."""

from __future__ import annotations

from django.contrib.auth.middleware import LoginRequiredMiddleware


class LoginRequired(LoginRequiredMiddleware):
    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class ReplicaReads:
    """With ``DATABASE_REPLICA_URL`` set: GET/HEAD requests read from the replica (see
    :mod:`clientmap.core.replica`), except for a user who wrote in the last few seconds; the
    response says where it read (``X-Clientmap-Read-From``)."""

    SAFE = ("GET", "HEAD", "OPTIONS")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        from clientmap.core import replica

        if not replica.configured():
            return self.get_response(request)
        read_only = request.method in self.SAFE and not request.COOKIES.get(replica.PIN_COOKIE)
        token = replica.begin(read_only)
        try:
            response = self.get_response(request)
            used = replica.used()
        finally:
            replica.end(token)
        if request.method not in self.SAFE:
            response.set_cookie(
                replica.PIN_COOKIE,
                "1",
                max_age=replica.pin_seconds(),
                httponly=True,
                samesite="Lax",
                secure=getattr(settings, "SESSION_COOKIE_SECURE", False),
            )
        response["X-Clientmap-Read-From"] = "replica" if replica.REPLICA in used else "primary"
        return response


class AuditUserMiddleware:
    """Remember the signed-in user while a request is served, for the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from clientmap.core import audit

        token = audit.current_user.set(getattr(request, "user", None))
        try:
            return self.get_response(request)
        finally:
            audit.current_user.reset(token)


class RefuseNulBytes:
    """A NUL character can be stored by no database text column (PostgreSQL refuses it): any
    request carrying one in its path, query string, form or JSON body gets a clear 400 instead
    of a server error. File uploads (multipart) are left alone: a file may hold NUL bytes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = self._where(request)
        if where:
            message = f"The {where} holds a NUL character (\\u0000), which cannot be stored."
            if request.path_info.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse({"detail": message}, status=400)
            from django.http import HttpResponseBadRequest

            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _where(request) -> str:
        from urllib.parse import unquote_to_bytes

        if "\x00" in request.path_info:
            return "URL path"
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in unquote_to_bytes(query).decode("utf-8", "replace"):
            return "query string"
        kind = request.META.get("CONTENT_TYPE", "")
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and not kind.startswith(
            "multipart/"
        ):
            try:
                body = request.body
            except Exception:  # noqa: BLE001 — too large etc.: Django answers that itself
                return ""
            if b"\x00" in body or (b"\\u0000" in body and "json" in kind):
                return "request body"
            if b"%00" in body and kind.startswith("application/x-www-form-urlencoded"):
                return "request body"
        return ""
