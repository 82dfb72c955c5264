from django.contrib import admin
from django.urls import include, path

from clientmap.api import api
from clientmap.core import language
from clientmap.core.health import healthz
from clientmap.directory import views as directory_views

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # the language switch works before signing in too (it is on the login page) and keeps the
    # choice in the cookie and in the profile (clientmap.core.language)
    path("i18n/setlang/", language.set_language, name="set_language"),
    path("api/", api.urls),
]

# No language prefix: the chosen language is kept (clientmap.core.language).
urlpatterns += [
    path("admin/", admin.site.urls),
    path("", include("clientmap.core.urls")),
    path("directory/", include("clientmap.directory.urls")),
    path("inbox/", directory_views.inbox, name="inbox"),
    path("inbox/count/", directory_views.inbox_count, name="inbox_count"),
    path("", include("clientmap.customers.urls")),
    path("imports/", include("clientmap.imports.urls")),
    path("requests/", include("clientmap.engagements.urls")),
    path("value-chain/", include("clientmap.valuechain.urls")),
    path("voice/", include("clientmap.voice.urls")),
    path("experience/", include("clientmap.experience.urls")),
    path("fit/", include("clientmap.fit.urls")),
]

handler404 = "clientmap.core.views.not_found"
# A busy database (no pooled connection free) answers 503 with Retry-After, not 500.
handler500 = "clientmap.core.views.server_error"
