from django.urls import path

from clientmap.customers import views

app_name = "customers"

urlpatterns = [
    path("teams/", views.teams, name="teams"),
    path("teams/<str:key>/", views.team, name="team"),
    path("teams/<str:key>/evidence/<str:person_key>/", views.evidence, name="evidence"),
    path("people/", views.people, name="people"),
    path("people/<str:key>/", views.person, name="person"),
]
