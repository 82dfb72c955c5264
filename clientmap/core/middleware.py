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
