"""``/healthz``: is this app process able to serve? For load balancers and monitors; no login.

It says only whether the database answers and whether a jobs worker was seen recently — no
names, versions, counts or hosts.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from clientmap.core import jobs

WORKER_FRESH_SECONDS = 60


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with ``{"status": "ok"}``; ``degraded`` when no worker was seen; 503 when the
    database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        response = JsonResponse({"status": "down", "database": "unreachable"}, status=503)
        response["Retry-After"] = "5"
        return response
    try:
        seen = jobs.last_worker_seen()
    except DatabaseError:
        seen = None
    age = (timezone.now() - seen).total_seconds() if seen else None
    fresh = age is not None and age <= WORKER_FRESH_SECONDS
    return JsonResponse(
        {
            "status": "ok" if fresh else "degraded",
            "database": "ok",
            "worker": "ok" if fresh else ("stale" if seen else "never seen"),
            "worker_seen_seconds_ago": None if age is None else int(age),
        }
    )
