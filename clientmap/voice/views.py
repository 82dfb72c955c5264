"""The wish portal (customers) and triage (staff): thin views over services and selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientmap.catalog.models import Service
from clientmap.core import signing
from clientmap.core.csvfiles import csv_response
from clientmap.core.decorators import internal_required
from clientmap.core.roles import is_staff, person_of
from clientmap.directory.models import Team
from clientmap.voice import selectors, services
from clientmap.voice.models import Wish


def _person(request: HttpRequest):
    person = person_of(request.user)
    if person is None and not is_staff(request.user):
        raise PermissionDenied
    return person


def portal(request: HttpRequest) -> HttpResponse:
    """Every signed-in person with a profile: the wishes they may see, most wanted first."""
    person = _person(request)
    qs = selectors.visible_wishes(request.user).select_related("team")
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(text__icontains=q))
    if status in Wish.Status.values:
        qs = qs.filter(status=status)
    min_demand = request.GET.get("min_demand", "")
    # The demand stored on each wish (voice.store): sorting by it is an index scan.
    qs = selectors.stored_demand(qs)
    if min_demand.isdigit():
        qs = qs.filter(demand__gte=int(min_demand))
    sort = {"new": "-created", "demand": "-demand"}.get(request.GET.get("sort", ""), "-vote_count")
    if request.GET.get("format") == "csv":
        return csv_response(
            "wishes",
            [_("key"), _("title"), _("status"), _("team"), _("votes"), _("demand"), _("created")],
            (
                (
                    w.key,
                    w.title,
                    w.get_status_display(),
                    w.team.name if w.team_id else "",
                    w.vote_count,
                    w.demand,
                    w.created.date().isoformat(),
                )
                for w in qs.order_by(sort, "-vote_count", "-created").iterator(chunk_size=2000)
            ),
        )
    page = Paginator(qs.order_by(sort, "-vote_count", "-created"), 30).get_page(
        request.GET.get("page")
    )
    voted = set()
    if person is not None:
        voted = set(
            person.votes.filter(wish__in=page.object_list).values_list("wish_id", flat=True)
        )
    return render(
        request,
        "voice/portal.html",
        {
            "page": page,
            "voted": voted,
            "q": q,
            "status": status,
            "statuses": Wish.Status.choices,
            "teams": Team.objects.order_by("name"),
            "can_post": person is not None,
            "min_demand": min_demand,
        },
    )


def similar(request: HttpRequest) -> HttpResponse:
    """While typing a new wish: the existing ones it resembles (htmx partial)."""
    _person(request)
    text = request.GET.get("title", "") + " " + request.GET.get("text", "")
    found = selectors.similar(text, selectors.visible_wishes(request.user))
    return render(request, "voice/_similar.html", {"found": found})


@require_POST
def submit(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    if person is None:
        raise PermissionDenied
    title = request.POST.get("title", "").strip()
    if not title:
        messages.error(request, _("A wish needs a title."))
        return redirect("voice:portal")
    team = Team.objects.filter(key=request.POST.get("team", "")).first()
    visibility = request.POST.get("visibility", Wish.Visibility.PUBLIC)
    if visibility not in Wish.Visibility.values:
        visibility = Wish.Visibility.PUBLIC
    try:
        wish = services.submit_wish(
            person, title, request.POST.get("text", ""), team=team, visibility=visibility
        )
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("voice:portal")
    messages.success(request, _("Thank you: your wish is recorded."))
    return redirect("voice:wish", key=wish.key)


def _visible(request: HttpRequest, key: str) -> tuple[Wish, Wish]:
    """``(named, live)`` if this user may see the wish (404 otherwise, never 403); a merged wish
    is followed to its survivor, which the user must be able to see too."""
    try:
        return selectors.resolve_wish(request.user, key)
    except Wish.DoesNotExist:
        raise Http404 from None


def wish(request: HttpRequest, key: str) -> HttpResponse:
    person = _person(request)
    named, w = _visible(request, key)
    if named.pk != w.pk:
        messages.info(request, _("This wish was merged into another one."))
        return redirect("voice:wish", key=w.key)
    context = {
        "wish": w,
        "voted": person is not None and w.votes.filter(person=person).exists(),
        "following": person is not None and w.follows.filter(person=person).exists(),
        "comments": w.comments.select_related("person"),
        "changes": w.status_changes.select_related("by"),
        "covered_by": w.covered_by.order_by("name"),
        "staff": is_staff(request.user),
        "statuses": Wish.Status.choices,
        "weights": selectors.weights(w) if is_staff(request.user) else {},
    }
    return render(request, "voice/wish.html", context)


@require_POST
def vote(request: HttpRequest, key: str) -> HttpResponse:
    person = _person(request)
    if person is None:
        raise PermissionDenied
    _named, w = _visible(request, key)
    if request.POST.get("undo"):
        services.unvote(w, person)
    else:
        services.vote(w, person)
    w.refresh_from_db()
    voted = w.votes.filter(person=person).exists()
    if request.htmx:
        return render(request, "voice/_vote.html", {"wish": w, "voted": voted})
    return redirect("voice:wish", key=w.key)


@require_POST
def comment(request: HttpRequest, key: str) -> HttpResponse:
    person = _person(request)
    if person is None:
        raise PermissionDenied
    _named, w = _visible(request, key)
    if request.POST.get("text", "").strip():
        try:
            services.comment(w, person, request.POST["text"])
        except ValueError as exc:
            messages.error(request, str(exc))
    if request.POST.get("follow"):
        services.follow(w, person)
    return redirect("voice:wish", key=w.key)


@require_POST
def triage(request: HttpRequest, key: str) -> HttpResponse:
    if not is_staff(request.user):
        raise PermissionDenied
    w = get_object_or_404(Wish, key=key)
    action = request.POST.get("action")
    try:
        if action == "status":
            services.change_status(
                w, request.POST["status"], by=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Status changed; followers were told."))
        elif action == "merge":
            into = request.POST.get("into", "").strip()
            survivor = Wish.objects.filter(key=into).first()
            if survivor is None:
                messages.error(
                    request,
                    _("No wish has the key “%(key)s”: pick one from the list as you type.")
                    % {"key": into},
                )
                return redirect("voice:wish", key=w.key)
            services.merge(w, survivor, by=request.user)
            messages.success(request, _("Merged: the votes moved to the surviving wish."))
            return redirect("voice:wish", key=survivor.key)
        elif action == "cover":
            key = request.POST.get("service", "").strip()
            service = Service.objects.filter(key=key).first()
            if service is None:
                messages.error(
                    request,
                    _("No service has the key “%(key)s”: pick one from the list as you type.")
                    % {"key": key},
                )
                return redirect("voice:wish", key=w.key)
            services.cover(w, service, by=request.user)
            messages.success(request, _("Linked to the service that covers it."))
    except (ValueError, KeyError) as exc:
        messages.error(request, str(exc))
    return redirect("voice:wish", key=w.key)


@internal_required
def coverage(request: HttpRequest) -> HttpResponse:
    """Coverage and the virtuous cycle, for every team or one: two aggregate queries
    (``coverage.figures``). The team is a searchable key field (thousands of teams: the list
    is filled as one types, not rendered into every page)."""
    key = request.GET.get("team", "").strip()
    team = Team.objects.filter(key=key).first() if key else None
    if key and team is None:
        messages.error(
            request,
            _("No team has the key “%(key)s”: pick one from the list as you type.") % {"key": key},
        )
    figures = selectors.figures(team)
    return render(
        request,
        "voice/coverage.html",
        {
            "coverage": figures["coverage"],
            "cycle": figures["attestation"],
            "team": team,
            "team_key": key,
        },
    )


@login_not_required
def attest(request: HttpRequest, token: str) -> HttpResponse:
    """The one-use link sent after delivery; the signed, expiring token is the permission."""
    try:
        att = services.attestation_for_link(token)
    except signing.TokenUsed:
        return render(request, "voice/attest.html", {"answered": True})
    except signing.TokenExpired as exc:
        return render(request, "voice/attest.html", {"error": str(exc)}, status=410)
    except signing.TokenError as exc:
        return render(request, "voice/attest.html", {"error": str(exc)}, status=404)
    if request.method == "POST" and att.answered_at is None:
        services.attest(token, request.POST.get("helped") == "yes", request.POST.get("comment", ""))
        att.refresh_from_db()
    return render(request, "voice/attest.html", {"att": att, "answered": att.answered_at})
