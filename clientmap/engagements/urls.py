from django.urls import path

from clientmap.engagements import views

app_name = "engagements"

urlpatterns = [
    path("", views.requests, name="requests"),
]
