"""The product's URLs plus a bare view, for ``python -m bench load`` (CLIENTMAP_URLCONF)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path

from clientmap.urls import handler500  # noqa: F401
from clientmap.urls import urlpatterns as product_urls


@login_not_required
def bare(request):
    """A constant: what the server, the middleware and the session cost without any page."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *product_urls]
