from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from clientmap.api import api
from clientmap.core.health import healthz

urlpatterns = [
    # the language switch works before signing in too (it is on the login page)
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
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

handler404 = "clientmap.core.views.not_found"
# A busy database (no pooled connection free) answers 503 with Retry-After, not 500.
handler500 = "clientmap.core.views.server_error"
