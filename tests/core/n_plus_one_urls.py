"""A URL configuration with one page that reads a relation once per row (an N+1), to prove the
test settings' N+1 detector (django-zeal) fails such a page."""

from django.http import HttpResponse
from django.urls import path

from clientmap.directory.models import Team


def per_row(request):
    return HttpResponse(", ".join(t.unit.name for t in Team.objects.all()))


def joined(request):
    return HttpResponse(", ".join(t.unit.name for t in Team.objects.select_related("unit")))


urlpatterns = [path("per-row/", per_row), path("joined/", joined)]
