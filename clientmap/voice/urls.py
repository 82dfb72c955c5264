from django.urls import path

from clientmap.voice import views

app_name = "voice"

urlpatterns = [
    path("", views.portal, name="portal"),
    path("similar/", views.similar, name="similar"),
    path("new/", views.submit, name="submit"),
    path("coverage/", views.coverage, name="coverage"),
    path("attest/<str:token>/", views.attest, name="attest"),
    path("wishes/<key:key>/", views.wish, name="wish"),
    path("wishes/<key:key>/vote/", views.vote, name="vote"),
    path("wishes/<key:key>/comment/", views.comment, name="comment"),
    path("wishes/<key:key>/triage/", views.triage, name="triage"),
]
