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


PICKABLE = {
    # kind: (model path, fields searched, label field)
    "service": ("clientmap.catalog.models.Service", ("key", "name"), "name"),
    "team": ("clientmap.directory.models.Team", ("key", "name"), "name"),
    "person": ("clientmap.directory.models.Person", ("key", "name", "email"), "name"),
    "organization": ("clientmap.directory.models.Organization", ("key", "name"), "name"),
    "wish": ("clientmap.voice.models.Wish", ("key", "title"), "title"),
}


@internal_required
def pick(request: HttpRequest, kind: str) -> HttpResponse:
    """Options for a searchable key field (an ``<input list=…>`` whose ``<datalist>`` htmx
    refills as one types): up to 20 records whose key or name contains what was typed, the key as
    the value and the name as the label."""
    from django.db.models import Q
    from django.http import Http404
    from django.utils.module_loading import import_string

    if kind not in PICKABLE:
        raise Http404
    path, fields, label = PICKABLE[kind]
    model = import_string(path)
    text = next((v.strip() for v in request.GET.values() if v.strip()), "")
    qs = model.objects.all()
    if text:
        cond = Q()
        for f in fields:
            cond |= Q(**{f"{f}__icontains": text})
        qs = qs.filter(cond)
    options = list(qs.order_by(label).values_list("key", label)[:20])
    return render(request, "core/_options.html", {"options": options})
