from django.urls import path

from clientmap.experience import views

app_name = "experience"

urlpatterns = [
    path("", views.satisfaction, name="satisfaction"),
    path("teams/<key:key>/", views.team_experience, name="team"),
    path("people/<key:key>/journey/", views.journey, name="journey"),
    path("never-asked/", views.never_asked, name="never_asked"),
    path("never-asked/survey/", views.survey_people, name="survey_people"),
    path("surveys/", views.surveys, name="surveys"),
    path("surveys/links.csv", views.survey_links, name="survey_links"),
    path("touchpoints/new/", views.record, name="record"),
    path("s/<str:token>/", views.survey, name="survey"),
]
