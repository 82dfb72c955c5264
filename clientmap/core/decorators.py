from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from clientmap.core.roles import is_internal_user, is_staff


def internal_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff and team members only. Portal users are sent to the portal (if there is one)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_internal_user(request.user):
            from django.urls import NoReverseMatch, reverse

            try:
                return redirect(reverse("voice:portal"))
            except NoReverseMatch:
                raise PermissionDenied from None
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
