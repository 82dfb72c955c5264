from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from clientmap.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
]

urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("clientmap.core.urls")),
    path("directory/", include("clientmap.directory.urls")),
    path("", include("clientmap.customers.urls")),
    path("imports/", include("clientmap.imports.urls")),
    path("requests/", include("clientmap.engagements.urls")),
    path("value-chain/", include("clientmap.valuechain.urls")),
    path("voice/", include("clientmap.voice.urls")),
    path("experience/", include("clientmap.experience.urls")),
    path("fit/", include("clientmap.fit.urls")),
    prefix_default_language=False,
)
