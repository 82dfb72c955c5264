from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clientmap.core import hooks
from clientmap.core.decorators import internal_required
from clientmap.customers import overview


@internal_required
def home(request: HttpRequest) -> HttpResponse:
    """The first screen: the whole organization's customers at a glance."""
    return render(
        request,
        "core/home.html",
        {"overview": overview.organization_overview(), "blocks": hooks.overview_blocks()},
    )
