from django.urls import path

from clientmap.customers import views

app_name = "customers"

urlpatterns = [
    path("teams/", views.teams, name="teams"),
    path("teams/<key:key>/", views.team, name="team"),
    path("teams/<key:key>/evidence/<key:person_key>/", views.evidence, name="evidence"),
    path("people/", views.people, name="people"),
    path("people/<key:key>/", views.person, name="person"),
]
