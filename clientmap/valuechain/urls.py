from django.urls import path

from clientmap.valuechain import views

app_name = "valuechain"

urlpatterns = [
    path("", views.value_map, name="map"),
    path("teams/<key:key>/", views.team, name="team"),
    path("services/<key:key>/", views.service, name="service"),
    path("services/<key:key>/tell/", views.tell, name="tell"),
    path("no-paying-customer/", views.unreached, name="unreached"),
    path("alerts/", views.alerts, name="alerts"),
    path("cycles/", views.cycles, name="cycles"),
]
