from django.urls import path

from clientmap.fit import views

app_name = "fit"

# Organization keys may hold "/": the account routes take a path, the longer ones first.
urlpatterns = [
    path("", views.matrix, name="matrix"),
    path("moves/", views.moves, name="moves"),
    path("history/", views.history, name="history"),
    path("settings/", views.settings_page, name="settings"),
    path("recompute/", views.recompute, name="recompute"),
    path("accounts/<path:key>/override/clear/", views.clear_override, name="clear_override"),
    path("accounts/<path:key>/override/", views.override, name="override"),
    path("accounts/<path:key>/", views.account, name="account"),
]
