from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from clientmap.core.decorators import internal_required
from clientmap.directory.models import Team
from clientmap.engagements import selectors
from clientmap.engagements.models import Request

PAGE = 50


def _int(value: str | None) -> int | None:
    try:
        n = int(value or "")
    except ValueError:
        return None
    return n if n > 0 else None


@internal_required
def requests(request: HttpRequest) -> HttpResponse:
    """Every request, filtered by team, status, timeliness and dates, sorted by any column,
    fifty a page: the page the overview's request figures link to."""
    g = request.GET
    f = selectors.RequestFilters(
        team=g.get("team", "").strip(),
        status=g.get("status", ""),
        timeliness=g.get("timeliness", ""),
        since=_int(g.get("since")),
        closed_since=_int(g.get("closed_since")),
        q=g.get("q", "").strip(),
        sort=g.get("sort", "-opened"),
    )
    page = selectors.RequestPaginator(
        selectors.request_list(f), PAGE, count=selectors.stored_count(f)
    ).get_page(g.get("page"))
    keep = {k: v for k, v in g.items() if k not in ("page", "sort") and v}
    columns = [
        ("key", Request._meta.get_field("key").verbose_name),
        ("team", Request._meta.get_field("team").verbose_name),
        ("requester", Request._meta.get_field("requester").verbose_name),
        ("status", Request._meta.get_field("status").verbose_name),
        ("opened", Request._meta.get_field("opened").verbose_name),
        ("target", Request._meta.get_field("target").verbose_name),
        ("closed", Request._meta.get_field("closed").verbose_name),
    ]
    current = f.sort.lstrip("-")
    headers = [
        {
            "name": name,
            "label": label,
            "sorted": "descending"
            if current == name and f.sort.startswith("-")
            else ("ascending" if current == name else ""),
            "url": "?" + urlencode({**keep, "sort": name if f.sort == f"-{name}" else f"-{name}"}),
        }
        for name, label in columns
    ]
    team = Team.objects.filter(key=f.team).first() if f.team else None
    return render(
        request,
        "engagements/requests.html",
        {
            "page": page,
            "f": f,
            "team": team,
            "headers": headers,
            "query": urlencode({**keep, "sort": f.sort}),
            "statuses": Request.Status.choices,
        },
    )
