from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from clientmap.api import api
from clientmap.core import language
from clientmap.core.health import healthz
from clientmap.directory import views as directory_views

urlpatterns = [
    # the language switch works before signing in too (it is on the login page)
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("healthz", healthz, name="healthz"),
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
