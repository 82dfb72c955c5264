from django.urls import path

from clientmap.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<uuid:pk>/", views.job, name="job"),
    path("<uuid:pk>/retry/", views.retry, name="retry"),
]
