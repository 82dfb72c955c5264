"""Login is required everywhere, except where a view says otherwise and on the JSON API,
which authenticates each request itself (session with CSRF, or HTTP Basic) and answers 401
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
