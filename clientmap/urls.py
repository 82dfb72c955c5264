from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from clientmap.api import api
from clientmap.core.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
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

# A busy database (no pooled connection free) answers 503 with Retry-After, not 500.
handler500 = "clientmap.core.views.server_error"
