from django.urls import path

from clientmap.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.organizations, name="organizations"),
    path("<key:key>/", views.organization, name="organization"),
]
