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
